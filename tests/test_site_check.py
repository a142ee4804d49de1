"""The site check's logic: which pages, where a link leads, which Colab links open a notebook of this repository.

Opening the pages in Chromium is .ci/site-check's job, not the unit tests'."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
spec = importlib.util.spec_from_file_location("site_check", ROOT / "tools" / "site_check.py")
site_check = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = site_check               # its dataclasses look their module up there
spec.loader.exec_module(site_check)

ORIGIN = "http://127.0.0.1:8000"
REPO = "https://github.com/m2p-course/m2p-course"
COLAB = "https://colab.research.google.com/github/m2p-course/m2p-course/blob/main/"
EDITIONS = [{"language": "en", "label": "English", "notebooks": "notebooks", "output": ""},
            {"language": "ko", "label": "한국어", "notebooks": "notebooks/ko", "output": "ko"}]


def test_pages_are_the_html_files_less_sphinxs_own_folders(tmp_path):
    for name in ("index.html", "search.html", "notebooks/00_a.html", "ko/index.html", "ko/notebooks/ko/00_a.html",
                 "_static/x.html", "ko/_sources/y.html", "_images/z.html", "notebooks/a.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<html></html>")
    assert site_check.site_pages(tmp_path) == ["index.html", "ko/index.html", "ko/notebooks/ko/00_a.html",
                                               "notebooks/00_a.html", "search.html"]


@pytest.mark.parametrize("href, page, expected", [
    ("../index.html#quickstart", "docs/teaching.html", ("index.html", "quickstart")),
    (f"{ORIGIN}/notebooks/07_x.html", "index.html", ("notebooks/07_x.html", "")),
    (f"{ORIGIN}/ko/", "index.html", ("ko/index.html", "")),
    ("#learning-goals", "notebooks/07_x.html", ("notebooks/07_x.html", "learning-goals")),
    ("docs/a%20b.html", "index.html", ("docs/a b.html", "")),
    ("https://github.com/m2p-course/m2p-course", "index.html", None),
    ("http://127.0.0.1:9999/index.html", "index.html", None),          # another port is another site
])
def test_internal_target_resolves_like_the_browser(href, page, expected):
    assert site_check.internal_target(href, page, ORIGIN) == expected


def test_a_broken_internal_link_says_what_is_missing(tmp_path):
    (tmp_path / "index.html").write_text('<h1 id="top">x</h1><section id="quickstart"></section>')
    ids = lambda path: site_check.html_ids((tmp_path / path).read_text())  # noqa: E731
    assert site_check.broken_internal_link(tmp_path, ("index.html", "quickstart"), ids) is None
    assert site_check.broken_internal_link(tmp_path, ("index.html", ""), ids) is None
    assert site_check.broken_internal_link(tmp_path, ("index.html", "nope"), ids) == "no id 'nope' in index.html"
    assert site_check.broken_internal_link(tmp_path, ("gone.html", ""), ids) == "no such file gone.html"


def test_html_ids():
    assert site_check.html_ids('<div id="a"><span id="b">x</span><p id="">y</p></div>') == {"a", "b"}


def test_colab_links_are_read_into_owner_name_branch_and_path():
    assert site_check.colab_notebook(COLAB + "notebooks/ko/07_x.ipynb") == (
        "m2p-course", "m2p-course", "main", "notebooks/ko/07_x.ipynb")
    assert site_check.colab_notebook("https://colab.research.google.com/drive/123") is None
    assert site_check.colab_notebook("https://colab.research.google.com/github/a/b") is None
    assert site_check.colab_notebook("https://example.org/notebooks/07_x.ipynb") is None


def test_a_colab_link_must_open_a_notebook_of_this_repository():
    notebook = sorted((ROOT / "notebooks").glob("*.ipynb"))[7].relative_to(ROOT).as_posix()
    assert site_check.colab_problem(COLAB + notebook, REPO, ROOT) is None
    assert "not a notebook in the repository" in site_check.colab_problem(COLAB + "notebooks/99_no.ipynb", REPO, ROOT)
    assert "not a notebook in the repository" in site_check.colab_problem(COLAB + "README.md", REPO, ROOT)
    wrong = "https://colab.research.google.com/github/someone/fork/blob/main/" + notebook
    assert "opens someone/fork, not the repository of pyproject.toml" in site_check.colab_problem(wrong, REPO, ROOT)
    assert "not a Colab link" in site_check.colab_problem("https://colab.research.google.com/", REPO, ROOT)


def test_github_file_links():
    assert site_check.github_file(f"{REPO}/blob/main/CONTRIBUTING.md#tests", REPO) == ("main", "CONTRIBUTING.md")
    assert site_check.github_file(f"{REPO}/tree/main/tools/colab", REPO) == ("main", "tools/colab")
    assert site_check.github_file(REPO, REPO) is None
    assert site_check.github_file("https://github.com/other/repo/blob/main/x.md", REPO) is None


@pytest.mark.parametrize("page, notebook", [
    ("notebooks/07_x.html", "notebooks/07_x.ipynb"),
    ("ko/notebooks/ko/07_x.html", "notebooks/ko/07_x.ipynb"),
    ("index.html", None), ("ko/index.html", None), ("docs/teaching.html", None), ("ko/GLOSSARY.ko.html", None),
])
def test_the_notebook_a_page_shows(page, notebook):
    assert site_check.notebook_of_page(page, EDITIONS) == notebook
