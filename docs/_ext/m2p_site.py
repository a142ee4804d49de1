"""The course site's own Sphinx extension (docs/conf.py loads it).

- A link to a notebook that this edition lacks (not translated yet) goes to the same notebook in
  another edition.
- Links to repository files that are not pages of the site (``CONTRIBUTING.md``,
  ``benchmarks/bench_long_song.py``, ``tools/colab/``) point at the file on GitHub, so README.md
  and the pages in docs/ link the same way on GitHub and on the site.
- A stored notebook's widget (a view with no state: only a live kernel draws it) shows a note
  saying so, where the page would otherwise show nothing.
- The language switch: each page gets ``edition_switch``, the same page in every other edition
  (a notebook of the same file name, or that edition's front page), for
  ``_templates/edition-switch.html``.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def repository_path(docname: str, target: str) -> str | None:
    """The repository path that ``target`` names, from the page ``docname``, or None if it is no path.

    The site's sources mirror the repository, so a page's docname is its file's path there.
    """
    path = target.split("#", 1)[0]
    if not path or SCHEME.match(path) or path.startswith(("/", "#")):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(docname), path))
    return None if joined == ".." or joined.startswith("../") else joined


def github_url(repository: str, branch: str, path: str, is_dir: bool) -> str:
    return f"{repository}/{'tree' if is_dir else 'blob'}/{branch}/{path}"


def other_edition_page(docname: str, current: dict, editions: list[dict], root: Path) -> str | None:
    """The site path (no .html) of ``docname`` in another edition that has it as a page, or None."""
    for other in editions:
        if other is current:
            continue
        notebook = posixpath.dirname(docname) == other["notebooks"] and (root / f"{docname}.ipynb").exists()
        if notebook or docname in other["pages"]:
            return posixpath.join(other["output"], docname)
    return None


def other_edition_notebook(path: str, current: dict, editions: list[dict], root: Path) -> str | None:
    """For a notebook of ``current``'s folder that it lacks: the page (site path, no .html) of the first
    other edition that has a notebook of that name."""
    folder, name = posixpath.split(path)
    if folder != current["notebooks"] or not name.endswith(".ipynb"):
        return None
    for other in editions:
        if other is not current and (root / other["notebooks"] / name).exists():
            return posixpath.join(other["output"], other["notebooks"], name[: -len(".ipynb")])
    return None


class RepositoryLinks(SphinxTransform):
    """A myst link to a repository file that is not a page of this edition becomes a link to GitHub;
    a link to an edition's front page (README.md, README.ko.md) goes to that edition's index."""

    default_priority = 200

    def apply(self) -> None:
        config, root = self.config, Path(self.config.m2p_root)
        editions = config.m2p_editions
        current = next((e for e in editions if e["language"] == config.m2p_edition), None)
        fronts = {posixpath.splitext(e["front"])[0]: e for e in editions}
        for node in list(self.document.findall(addnodes.pending_xref)) + list(
                self.document.findall(addnodes.download_reference)):
            if node.get("reftype") != "myst":
                continue
            refdoc = node.get("refdoc", self.env.docname)
            if node.get("refdomain") == "doc":             # a Markdown file or a notebook
                docname = node["reftarget"]
                if docname in self.env.found_docs:
                    continue                               # a page of this edition
                if docname in fronts and current is not None:
                    front = fronts[docname]
                    if front is current:
                        node["reftarget"] = "index"
                        continue
                    url = relative_url(posixpath.join(current["output"], refdoc),
                                       posixpath.join(front["output"], "index"))
                    node.replace_self(nodes.reference("", "", *node.children, refuri=url, internal=False))
                    continue
                page = other_edition_page(docname, current, editions, root) if current is not None else None
                if page is not None:                       # e.g. README.ko.md's link to docs/teaching.md
                    url = relative_url(posixpath.join(current["output"], refdoc), page)
                    node.replace_self(nodes.reference("", "", *node.children, refuri=url, internal=False))
                    continue
                path = next((docname + suffix for suffix in config.source_suffix
                             if (root / (docname + suffix)).exists()), None)
                anchor = node.get("reftargetid") or ""
            elif node.get("refdomain") in (None, ""):      # a path that is no page
                path = repository_path(refdoc, node["reftarget"])
                anchor = node["reftarget"].partition("#")[2]
            else:
                continue
            if path is not None and not (root / path).exists() and current is not None:
                elsewhere = other_edition_notebook(path, current, editions, root)
                if elsewhere is not None:                  # not translated yet: the page of another edition
                    url = relative_url(posixpath.join(current["output"], refdoc), elsewhere)
                    node.replace_self(nodes.reference("", "", *node.children, refuri=url, internal=False))
                    continue
            if path is None or not (root / path).exists():
                continue                                   # myst warns about it: the strict build fails
            url = github_url(config.m2p_repository, config.m2p_branch, path, (root / path).is_dir())
            reference = nodes.reference("", "", *node.children, refuri=url + (f"#{anchor}" if anchor else ""),
                                        internal=False, classes=["m2p-repository-file"])
            node.replace_self(reference)


WIDGET_VIEW = '<script type="application/vnd.jupyter.widget-view+json">'
WIDGET_NOTE = {
    "en": "An interactive widget is here. It needs a running Python kernel: open this notebook in Colab "
          "(the rocket button at the top of the page) or in Jupyter, and run it.",
    "ko": "여기에는 직접 움직여 볼 수 있는 위젯이 있습니다. 위젯은 파이썬 커널이 실행 중일 때만 그려지므로, "
          "페이지 위쪽의 로켓 버튼으로 Colab에서 열거나 Jupyter에서 노트북을 실행해 보세요.",
}


class WidgetNote(SphinxPostTransform):
    """After myst-nb picks each output's mime type (priority 4): a widget view becomes a note."""

    default_priority = 5
    formats = ("html",)

    def run(self, **kwargs) -> None:
        note = WIDGET_NOTE.get(self.config.language, WIDGET_NOTE["en"])
        for node in list(self.document.findall(nodes.raw)):
            if node.astext().startswith(WIDGET_VIEW):
                node.replace_self(nodes.paragraph(note, note, classes=["m2p-widget-note"]))


def counterpart(pagename: str, edition: dict, other: dict, root: Path) -> str:
    """The page of ``other`` that shows what ``pagename`` of ``edition`` shows."""
    prefix = edition["notebooks"] + "/"
    if pagename.startswith(prefix):
        name = pagename[len(prefix):]
        if (root / other["notebooks"] / f"{name}.ipynb").exists():
            return f"{other['notebooks']}/{name}"
    return "index"


def relative_url(from_page: str, to_page: str) -> str:
    return posixpath.relpath(to_page + ".html", posixpath.dirname(from_page) or ".")


def edition_switch(app, pagename, templatename, context, doctree) -> None:
    editions = app.config.m2p_editions
    current = next(e for e in editions if e["language"] == app.config.m2p_edition)
    root = Path(app.config.m2p_root)
    here = posixpath.join(current["output"], pagename)
    switch = []
    for other in editions:
        if other is current:
            continue
        there = posixpath.join(other["output"], counterpart(pagename, current, other, root))
        switch.append({"language": other["language"], "label": other["label"], "url": relative_url(here, there)})
    context["edition_switch"] = switch


def setup(app):
    for name, default in (("m2p_editions", []), ("m2p_edition", "en"), ("m2p_repository", ""),
                          ("m2p_branch", "main"), ("m2p_root", "")):
        app.add_config_value(name, default, "html")
    app.add_transform(RepositoryLinks)
    app.add_post_transform(WidgetNote)
    app.connect("html-page-context", edition_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
