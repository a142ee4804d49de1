"""Sphinx configuration of the course's site; build it with ``python tools/build_site.py``.

tools/build_site.py assembles each edition's sources (symbolic links that mirror the repository)
and runs Sphinx once per edition with this file, telling it which edition in M2P_SITE_EDITION.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tools"), str(Path(__file__).resolve().parent / "_ext")]

import course_config  # noqa: E402

REPOSITORY = course_config.repository_url()          # [project.urls] Repository in pyproject.toml
BRANCH = os.environ.get("M2P_SITE_BRANCH", "main")    # the branch the Colab links open
EDITIONS = json.loads(os.environ.get("M2P_SITE_EDITIONS", "[]"))
EDITION = next((e for e in EDITIONS if e["language"] == os.environ.get("M2P_SITE_EDITION")), None)
if EDITION is None:
    raise RuntimeError("build the site with `python tools/build_site.py` (it tells Sphinx which edition)")

project = "m2p-course"
author = "the m2p-course authors"
copyright = "the m2p-course authors, MIT licence"
language = EDITION["language"]
html_title = "m2p-course" if language == "en" else f"m2p-course · {EDITION['label']}"

extensions = ["myst_nb", "m2p_site"]
root_doc = "index"
include_patterns = ["index.md", f"{EDITION['notebooks']}/*.ipynb", *(f"{page}.md" for page in EDITION["pages"])]
exclude_patterns = ["**/.ipynb_checkpoints"]
templates_path = ["_templates"]
html_static_path = ["_static", os.environ["M2P_SITE_STATIC"]]
html_css_files = ["m2p.css"]

# myst and myst-nb: the stored outputs, never re-executed (CI checked them)
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
nb_output_stderr = "show"
highlight_language = "text"                           # a fence without a language is a diagram, not code
mathjax_path = "mathjax/tex-chtml.js"                 # a local MathJax 3 (tools/build_site.py), no CDN
suppress_warnings = ["mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": BRANCH,
    "path_to_docs": "",                               # a page's path is its file's path in the repository
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "article_header_end": ["edition-switch.html", "article-header-buttons.html"],
    "navigation_with_keys": False,
    "footer_content_items": ["copyright.html"],
}
html_context = {"default_mode": "light"}
html_last_updated_fmt = None
html_show_sphinx = False

# what m2p_site needs: the editions (for the language switch) and where repository files live
m2p_editions = EDITIONS
m2p_edition = EDITION["language"]
m2p_repository = REPOSITORY
m2p_branch = BRANCH
m2p_root = str(ROOT)
