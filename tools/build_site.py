#!/usr/bin/env python
"""Build the course's website from the stored notebooks, with Sphinx, myst-nb and sphinx-book-theme.

    python tools/build_site.py            # build/site/index.html (and build/site/ko/ for the Korean edition)
    python tools/build_site.py --strict   # warnings are errors (so does M2P_SITE_STRICT=1: .ci/site-check)

Nothing is executed: the pages show the outputs stored in the notebooks, the ones CI checked.
Each edition is a Sphinx project assembled in ``build/site-src/<language>/`` (git ignores build/) out
of hard links to the repository's Markdown files, notebooks and images, at their own paths, so a
page's path is its notebook's path in the repository: that is what its Open-in-Colab button opens.

- English, always: README.md as the front page, then ``notebooks/*.ipynb`` in order, then the
  pages in ``docs/`` (``DOC_PAGES``); its HTML goes to ``build/site/``.
- Korean, when ``notebooks/ko/*.ipynb`` exist: README.ko.md (if there) as its front page,
  ``notebooks/ko/*.ipynb`` (the same file names) and GLOSSARY.ko.md (if there); into ``build/site/ko/``.
  Every page then carries a switch to the same page in the other edition.

The configuration is ``docs/conf.py``; the repository URL (for the Colab links, and for links to
repository files that are not pages) is ``[project.urls] Repository`` in pyproject.toml.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
SOURCES = BUILD / "site-src"
SITE = BUILD / "site"
DOCS = ROOT / "docs"
# the pages beyond the notebooks, in the order of the site's sidebar
DOC_PAGES = ["docs/teaching", "docs/training", "docs/performance", "docs/package", "docs/maintainers"]
# where the front page's text starts: the README's language links stay on GitHub
AFTER_LANGUAGES = "<!-- /languages -->"
# repository entries never linked into a site's sources
NOT_LINKED = {"build", "out", "m2p_demo", "node_modules", "__pycache__"}
# what the sources mirror (as hard links): a link to any other repository file goes to GitHub
MIRRORED = {".md", ".ipynb", ".png", ".jpg", ".jpeg", ".gif", ".svg"}


@dataclass(frozen=True)
class Edition:
    language: str          # Sphinx's language, and the folder name of its sources
    label: str             # what the language switch shows, in that language
    notebooks: str         # the folder of its notebooks, relative to the repository
    output: str            # its folder under build/site/ ("" for the first edition)
    front: str             # its front page's Markdown file, relative to the repository
    pages: tuple[str, ...] = ()  # further pages (docnames), shown after the notebooks
    captions: tuple[str, str] = ("Notebooks", "Guides")  # the sidebar's two parts, in that language

    def notebook_names(self, root: Path = ROOT) -> list[str]:
        return sorted(p.name for p in (root / self.notebooks).glob("*.ipynb"))


EDITIONS = [
    Edition("en", "English", "notebooks", "", "README.md", tuple(DOC_PAGES)),
    Edition("ko", "한국어", "notebooks/ko", "ko", "README.ko.md", ("GLOSSARY.ko",), ("노트북", "더 읽을거리")),
]


def editions(root: Path = ROOT) -> list[Edition]:
    """The editions this repository has: English always, each other one where its notebooks exist."""
    return [e for e in EDITIONS if e is EDITIONS[0] or e.notebook_names(root)]


def front_page(edition: Edition, root: Path = ROOT) -> str:
    """The edition's index.md: its front page's text (after the language links), then the sidebar's contents."""
    lines = []
    front = root / edition.front
    if front.exists():
        text = front.read_text(encoding="utf-8")
        lines += ["```{include} " + edition.front]
        if AFTER_LANGUAGES in text:
            lines += [f":start-after: {AFTER_LANGUAGES}"]
        lines += ["```", ""]
    else:                                  # an edition whose front page is not written yet
        lines += [f"# m2p-course ({edition.label})", ""]
    notebooks = [f"{edition.notebooks}/{Path(name).stem}" for name in edition.notebook_names(root)]
    pages = [page for page in edition.pages if (root / f"{page}.md").exists()]
    for caption, entries in zip(edition.captions, (notebooks, pages), strict=True):
        if entries:
            lines += ["```{toctree}", ":hidden:", f":caption: {caption}", ":maxdepth: 1", "", *entries, "```", ""]
    return "\n".join(lines)


def mirrored(root: Path = ROOT) -> list[Path]:
    """The repository files a site's sources mirror: pages, notebooks and the images they show."""
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in NOT_LINKED and not d.startswith("."))
        files += [Path(folder, name) for name in sorted(names) if Path(name).suffix.lower() in MIRRORED]
    notebooks = root / "notebooks"
    return [p for p in files if notebooks not in p.parents] + sorted(notebooks.rglob("*.ipynb"))


def link(target: Path, link_path: Path) -> None:
    """A hard link (Sphinx resolves symbolic links, and would find the file outside its sources), or a copy."""
    link_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(target, link_path)
    except OSError:                        # another file system
        shutil.copy2(target, link_path)


def assemble(edition: Edition, root: Path = ROOT, sources: Path = SOURCES) -> Path:
    """``sources/<language>/``: the repository's pages, notebooks and images at their own paths, and index.md."""
    folder = sources / edition.language
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in mirrored(root):
        link(path, folder / path.relative_to(root))
    (folder / "index.md").write_text(front_page(edition, root), encoding="utf-8")
    return folder


def mathjax_static(static: Path) -> Path:
    """MathJax 3 for the pages' formulas, from the django-static-mathjax package (no CDN: the site works offline)."""
    import mathjax  # django-static-mathjax, in the [site] extra

    es5 = Path(mathjax.__path__[0]) / "static" / "mathjax" / "es5"
    target = static / "mathjax"
    if not (target / "tex-chtml.js").exists():
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(es5, target, ignore=shutil.ignore_patterns("sre", "node-main.js", "*-svg*.js", "mml-*.js",
                                                                   "*-full*.js", "svg"))
    return static


def build(strict: bool = False, root: Path = ROOT, site: Path = SITE, sources: Path = SOURCES) -> list[Edition]:
    built = editions(root)
    static = mathjax_static(sources / "_static")
    if site.exists():
        shutil.rmtree(site)
    for edition in built:
        folder = assemble(edition, root, sources)
        env = dict(os.environ, M2P_SITE_EDITION=edition.language, M2P_SITE_STATIC=str(static),
                   M2P_SITE_EDITIONS=json.dumps([asdict(e) for e in built]))
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(DOCS), "-d",
                   str(BUILD / "site-doctrees" / edition.language), str(folder), str(site / edition.output)]
        if strict:
            command[3:3] = ["-W", "--keep-going"]
        start = time.monotonic()
        subprocess.run(command, env=env, check=True)
        print(f"{edition.label} edition: {len(edition.notebook_names(root))} notebooks -> "
              f"{(site / edition.output / 'index.html').relative_to(root)} in {time.monotonic() - start:.0f} s",
              flush=True)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", default=os.environ.get("M2P_SITE_STRICT") == "1",
                        help="fail on any Sphinx warning (the default when M2P_SITE_STRICT=1)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        built = build(strict=args.strict)
    except subprocess.CalledProcessError as error:
        print(f"the site did not build: sphinx exited with {error.returncode}", file=sys.stderr)
        return 1
    print(f"site: {len(built)} edition(s) in {time.monotonic() - start:.0f} s; open {(SITE / 'index.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
