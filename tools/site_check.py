#!/usr/bin/env python
"""Open every page of the built site in a real browser and check what a reader gets.

    .ci/site-check                        # builds the site (README's site command), installs Chromium, then this
    python tools/site_check.py            # build/site/ as it is
    python tools/site_check.py --site DIR # another build

Serves the site on a free local port (a static file server, as GitHub Pages is) and drives Debian's
Chromium through Playwright (tools/chromium.py). Every HTML page of every edition is opened, and:

- no console error and no uncaught error in the page; no request to the site fails and none leaves
  the machine (the site carries what it shows, MathJax included, so requests outside are refused
  and reported);
- every internal link leads to a file of the site, and its ``#anchor`` to an id on that page; every
  image loads (a non-zero natural width);
- every Colab link opens ``colab.research.google.com/github/OWNER/NAME/blob/BRANCH/PATH`` with the
  repository of pyproject.toml and a PATH that is a notebook in this repository; every notebook page
  has one, to its own notebook; every link to a repository file on GitHub names a file that exists;
- typed into the search box, "soft-argmax" finds notebook 07;
- with a second edition, each page's language switch leads to the same page in the other one.

Screenshots: ``out/site/front.png`` (the front page) and ``out/site/notebook.png`` (notebook 07), and
``out/site/<lang>-front.png`` for each further edition. Prints each failure and a summary; exits 1
on any failure.
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import posixpath
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_config  # noqa: E402

ROOT = course_config.ROOT
SITE = ROOT / "build" / "site"
OUT = ROOT / "out" / "site"
NOT_PAGES = {"_static", "_sources", "_images", "_downloads"}
COLAB = "https://colab.research.google.com/github/"
SEARCH_TERM = "soft-argmax"
SEARCH_EXPECTS = "07_heatmaps_soft_argmax"
SCREENSHOT_NOTEBOOK = "notebooks/07_heatmaps_soft_argmax.html"


# ---------------------------------------------------------------------------- pure logic (tests/test_site_check.py)

def site_pages(site: Path) -> list[str]:
    """Every HTML page of the site, as a path relative to it ("index.html", "ko/notebooks/ko/00_x.html")."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site)
        if not NOT_PAGES & set(relative.parts):
            pages.append(relative.as_posix())
    return pages


def internal_target(href: str, page: str, origin: str) -> tuple[str, str] | None:
    """The site file (relative path) and anchor that ``href`` on ``page`` leads to, or None if it leaves the site.

    ``href`` is the link's resolved URL (``a.href`` in the page), ``origin`` the server's ``http://host:port``.
    """
    url = urljoin(f"{origin}/{page}", href)
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    path = unquote(parts.path).lstrip("/")
    if path == "" or path.endswith("/"):
        path += "index.html"
    return path, unquote(parts.fragment)


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)


def html_ids(text: str) -> set[str]:
    """Every element id in an HTML page."""
    parser = _Ids()
    parser.feed(text)
    return parser.ids


def broken_internal_link(site: Path, target: tuple[str, str], ids_of) -> str | None:
    """Why the internal link ``target`` (from ``internal_target``) is broken, or None."""
    path, anchor = target
    file = site / path
    if not file.is_file():
        return f"no such file {path}"
    if anchor and file.suffix == ".html" and anchor not in ids_of(path):
        return f"no id {anchor!r} in {path}"
    return None


def colab_notebook(url: str) -> tuple[str, str, str, str] | None:
    """(owner, name, branch, path) of a Colab link to a notebook on GitHub, or None for any other URL."""
    if not url.startswith(COLAB):
        return None
    parts = url[len(COLAB):].split("#")[0].split("?")[0].split("/")
    if len(parts) < 5 or parts[2] != "blob":
        return None
    owner, name, _, branch, *path = parts
    return owner, name, branch, "/".join(path)


def github_file(url: str, repository: str) -> tuple[str, str] | None:
    """(branch, path) of a link to a file or folder of ``repository`` on GitHub, or None."""
    for kind in ("blob", "tree"):
        prefix = f"{repository}/{kind}/"
        if url.startswith(prefix):
            branch, _, path = url[len(prefix):].split("#")[0].partition("/")
            return branch, path
    return None


def colab_problem(url: str, repository: str, root: Path) -> str | None:
    """Why a Colab link does not open a notebook of this repository, or None."""
    found = colab_notebook(url)
    if found is None:
        return f"not a Colab link to a notebook on GitHub: {url}"
    owner, name, _, path = found
    if (owner, name) != course_config.github_parts(repository):
        return f"opens {owner}/{name}, not the repository of pyproject.toml ({repository}): {url}"
    if not path.endswith(".ipynb") or not (root / path).is_file():
        return f"opens {path}, which is not a notebook in the repository: {url}"
    return None


def notebook_of_page(page: str, editions: list[dict]) -> str | None:
    """The repository notebook a page shows ("notebooks/07_x.ipynb"), or None for a page that is no notebook."""
    for edition in sorted(editions, key=lambda e: -len(e["output"])):
        prefix = f"{edition['output']}/" if edition["output"] else ""
        if page.startswith(prefix):
            rest = page[len(prefix):]
            folder = edition["notebooks"] + "/"
            if rest.startswith(folder) and "/" not in rest[len(folder):]:
                return rest[:-len(".html")] + ".ipynb"
            return None
    return None


# ---------------------------------------------------------------------------- the server

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _HTTPServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):   # the browser may drop a connection it no longer needs
            super().handle_error(request, client_address)


class Server:
    """The site's folder over HTTP on 127.0.0.1, in a thread, as GitHub Pages serves it."""

    def __init__(self, site: Path):
        from chromium import free_port

        self.httpd = _HTTPServer(("127.0.0.1", free_port()),
                                         functools.partial(_Quiet, directory=str(site)))
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------- the browser

LINKS_JS = """() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  images: [...document.querySelectorAll('img')].map(img => ({src: img.currentSrc || img.src,
                                                             ok: img.complete && img.naturalWidth > 0})),
  lang: document.documentElement.lang,
  switch: [...document.querySelectorAll('a.m2p-edition')].map(a => ({lang: a.hreflang, href: a.href})),
})"""


@dataclass
class Report:
    pages: int = 0
    links: int = 0
    colab: int = 0
    images: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, page: str, message: str) -> None:
        self.failures.append(f"{page}: {message}")
        print(f"    FAIL {page}: {message}", flush=True)


class Checker:
    def __init__(self, site: Path, server: Server, editions: list[dict], repository: str, report: Report):
        self.site, self.server, self.editions, self.repository, self.report = site, server, editions, repository, report
        self.events: list[str] = []
        self._ids: dict[str, set[str]] = {}

    def ids_of(self, path: str) -> set[str]:
        if path not in self._ids:
            self._ids[path] = html_ids((self.site / path).read_text(encoding="utf-8", errors="replace"))
        return self._ids[path]

    def watch(self, context) -> None:
        """Record console errors, page errors, failed requests and requests that leave the machine."""
        origin = self.server.origin

        def route(request_route):
            url = request_route.request.url
            if url.startswith(origin) or url.startswith(("data:", "blob:", "about:")):
                request_route.continue_()
            else:
                self.events.append(f"requests something outside the site: {url}")
                request_route.abort()
        context.route("**/*", route)

        def on_page(page):
            page.on("console", lambda m: m.type == "error" and self.events.append(f"console error: {m.text}"))
            page.on("pageerror", lambda e: self.events.append(f"error in the page: {str(e).splitlines()[0]}"))
            page.on("requestfailed", lambda r: r.url.startswith(origin)
                    and self.events.append(f"request failed: {r.url} ({r.failure})"))
            page.on("response", lambda r: r.url.startswith(origin) and r.status >= 400
                    and self.events.append(f"HTTP {r.status}: {r.url}"))
        context.on("page", on_page)

    def check_page(self, page, path: str) -> None:
        self.events.clear()
        page.goto(f"{self.server.origin}/{path}", wait_until="load")
        page.wait_for_timeout(150)                   # MathJax and the theme's scripts run after load
        found = page.evaluate(LINKS_JS)
        for event in self.events:
            self.report.fail(path, event)
        own_notebook = notebook_of_page(path, self.editions)
        colab_targets = set()
        for href in found["links"]:
            self.report.links += 1
            target = internal_target(href, path, self.server.origin)
            if target is not None:
                problem = broken_internal_link(self.site, target, self.ids_of)
                if problem:
                    self.report.fail(path, f"broken link {href}: {problem}")
            elif href.startswith(COLAB):
                self.report.colab += 1
                problem = colab_problem(href, self.repository, ROOT)
                if problem:
                    self.report.fail(path, problem)
                else:
                    colab_targets.add(colab_notebook(href)[3])
            elif (file := github_file(href, self.repository)) is not None and not (ROOT / file[1]).exists():
                self.report.fail(path, f"links to {file[1]} on GitHub, which is not in the repository")
        if own_notebook is not None and own_notebook not in colab_targets:
            self.report.fail(path, f"has no Open-in-Colab link to its notebook {own_notebook} "
                                   f"(Colab links: {sorted(colab_targets)})")
        for image in found["images"]:
            self.report.images += 1
            if not image["ok"]:
                self.report.fail(path, f"image does not load: {image['src']}")
        self.check_switch(path, found)
        self.report.pages += 1

    def check_switch(self, path: str, found: dict) -> None:
        """With two editions, every page links to each other edition, to the same notebook where it has it."""
        here = next(e for e in sorted(self.editions, key=lambda e: -len(e["output"]))
                    if not e["output"] or path.startswith(e["output"] + "/"))
        if found["lang"] != here["language"]:
            self.report.fail(path, f"<html lang={found['lang']!r}>, expected {here['language']!r}")
        others = [e for e in self.editions if e is not here]
        if path.endswith(("search.html", "genindex.html")):
            return                                     # Sphinx's own pages
        switch = {s["lang"]: s["href"] for s in found["switch"]}
        for other in others:
            if other["language"] not in switch:
                self.report.fail(path, f"no language switch to {other['label']}")
                continue
            notebook = notebook_of_page(path, self.editions)
            expected = posixpath.join(other["output"], "index.html")
            if notebook is not None:
                counterpart = f"{other['notebooks']}/{Path(notebook).name}"
                if (ROOT / counterpart).exists():
                    expected = posixpath.join(other["output"], counterpart[:-len(".ipynb")] + ".html")
            target = internal_target(switch[other["language"]], path, self.server.origin)
            if target is None or target[0] != expected:
                self.report.fail(path, f"the switch to {other['label']} leads to {switch[other['language']]}, "
                                       f"expected {expected}")

    def check_search(self, page) -> None:
        """Type the term into the front page's search box, press Enter, expect notebook 07 among the results."""
        self.events.clear()
        page.goto(f"{self.server.origin}/index.html", wait_until="load")
        page.keyboard.press("Control+k")               # the theme's shortcut opens its search dialog
        box = page.locator("input[name='q']:visible").first
        box.wait_for(timeout=5000)
        box.fill(SEARCH_TERM)
        box.press("Enter")
        page.wait_for_url("**/search.html?*", timeout=10_000)
        results = page.locator("#search-results ul.search li a")
        try:
            results.first.wait_for(timeout=20_000)
        except Exception:  # noqa: BLE001 - reported as the failure it is
            self.report.fail("search", f"typing {SEARCH_TERM!r} into the search box found nothing")
            return
        hrefs = results.evaluate_all("links => links.map(a => a.href)")
        for event in self.events:
            self.report.fail("search.html", event)
        if not any(SEARCH_EXPECTS in href for href in hrefs):
            self.report.fail("search", f"{SEARCH_TERM!r} found {len(hrefs)} pages, not notebook 07: {hrefs[:5]}")
        print(f"search: {SEARCH_TERM!r} -> {len(hrefs)} results, notebook 07 among them: "
              f"{any(SEARCH_EXPECTS in h for h in hrefs)}", flush=True)


def screenshots(page, origin: str, editions: list[dict]) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    shots = [("index.html", OUT / "front.png"), (SCREENSHOT_NOTEBOOK, OUT / "notebook.png")]
    shots += [(f"{e['output']}/index.html", OUT / f"{e['language']}-front.png") for e in editions if e["output"]]
    for path, target in shots:
        page.goto(f"{origin}/{path}", wait_until="load")
        page.wait_for_timeout(500)
        page.screenshot(path=str(target))
    return [target for _, target in shots]


def main(argv: list[str] | None = None) -> int:
    from chromium import CHROMIUM, launch, require_chromium

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=SITE, help="the built site (build/site/)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the browser to drive ({CHROMIUM})")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").exists():
        raise SystemExit(f"{site}/index.html not found: build the site first (README's site command)")
    require_chromium(args.chromium)
    import build_site
    from playwright.sync_api import sync_playwright

    editions = [vars(e) | {"pages": list(e.pages)} for e in build_site.editions(ROOT)]
    editions = [e for e in editions if (site / e["output"] / "index.html").exists()]
    repository = course_config.repository_url()
    pages = site_pages(site)
    report = Report()
    start = time.monotonic()
    server = Server(site)
    try:
        with tempfile.TemporaryDirectory(prefix="m2p-site-") as tmp, sync_playwright() as playwright:
            context = launch(playwright, Path(tmp) / "chromium-profile", args.chromium)
            try:
                checker = Checker(site, server, editions, repository, report)
                checker.watch(context)
                page = context.new_page()
                for path in pages:
                    checker.check_page(page, path)
                print(f"{report.pages} pages ({', '.join(e['label'] for e in editions)}): {report.links} links, "
                      f"{report.colab} Colab links, {report.images} images", flush=True)
                checker.check_search(page)
                shots = screenshots(page, server.origin, editions)
            finally:
                context.close()
    finally:
        server.stop()
    print(f"site check: {len(pages)} pages in {time.monotonic() - start:.0f} s; screenshots "
          f"{', '.join(str(s.relative_to(ROOT)) for s in shots)}; "
          + (f"{len(report.failures)} FAILURES" if report.failures else "all passed"))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
