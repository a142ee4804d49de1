#!/usr/bin/env python
"""Open every course notebook in JupyterLab in a real browser and check what a student sees.

    .ci/browser-check                                   # installs Chromium, a Hangul font, Playwright if missing
    python tools/browser_check.py                       # every notebooks/*.ipynb and notebooks/ko/*.ipynb
    python tools/browser_check.py --notebooks 00 03     # the notebooks whose names start with 00 or 03, both editions
    python tools/browser_check.py --notebooks ko/03     # the Korean 03 only (en/03: the English one)
    python tools/browser_check.py --dir /tmp/bad        # another folder (e.g. to see the check fail)

nbval runs the cells but cannot see a widget that fails to draw, nor a "Run All" that stops.
This starts its own JupyterLab server (on a free port, with a token) on a temporary copy of
``notebooks/`` (the repository's files are never opened, so nothing can be saved over them),
with notebook windowing turned off (JupyterLab 4 otherwise renders only the visible cells),
and drives Debian's Chromium (``/usr/bin/chromium``) through Playwright. For each notebook,
with its outputs cleared, it clicks Run > Run All Cells, waits until the kernel is idle and
no cell is pending, and checks:

- every code cell got an execution count (no ``[ ]:`` or ``[*]:`` left) and no cell shows an error;
- every widget rendered (no "Error displaying widget" / "Loading widget..."), and the widget
  views drawn are as many as the widgets the run displayed and as the stored notebook shows;
- in each widget, moving its FIRST control (slider: arrow key on the handle; dropdown: another
  option; toggle buttons: another button; checkbox: a click) changes what the widget's Output
  shows, without an error;
- in a Korean notebook (``notebooks/ko/``), Hangul draws in the widgets' font, not as boxes: the
  browser draws a Hangul syllable and a character no font has into a canvas, in the font of the
  first widget's label, and the two must differ (Chromium shows the same box for both when no font
  has Hangul; .ci/browser-check installs Debian's fonts-nanum);
- a full-page screenshot is saved as ``out/browser/<notebook>.png``, ``out/browser/ko/<notebook>.png``
  for a Korean one, and the first widget alone as ``<notebook>-widget.png`` beside it (git-ignored).

Prints, per notebook: cells run, widgets found, widgets that reacted, time. Exits 1 on any
failure, with the reason. The server and the browser are stopped at the end whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from chromium import CHROMIUM, free_port, launch, require_chromium
from playwright.sync_api import (
    Error as PlaywrightError,
    Locator,
    Page,
    TimeoutError as PlaywrightTimeout,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "out" / "browser"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# a cell's output that holds a widget view (not one nested in an Output widget), and the controls
WIDGET_ROOT = (".jp-NotebookPanel .jp-Cell-outputArea > .jp-OutputArea-child"
               " > .jp-OutputArea-output:has(> .jupyter-widgets)")
CONTROLS = ".widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-checkbox"
BROKEN_WIDGET_TEXTS = ("Error displaying widget", "Loading widget...")
# matplotlib's warning when the font lacks a character (tests/test_stored_notebooks.py looks for it too)
MISSING_GLYPH = re.compile(r"Glyph \d+.*? missing from (?:current )?font")
# JupyterLab user settings for this run only (a temporary user_settings_dir)
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},          # render every cell
    "@jupyterlab/apputils-extension/notification": {"checkForUpdates": False, "fetchNews": "false"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


@dataclass
class Result:
    name: str
    cells: int = 0
    cells_run: int = 0
    widgets: int = 0
    reacted: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- the server

def copy_notebooks(folder: Path, names: list[str], workdir: Path) -> Path:
    """A copy of ``folder`` (data files included) with the chosen notebooks' outputs cleared."""
    target = workdir / "notebooks"
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for name in names:
        path = target / name
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        nb["metadata"].pop("widgets", None)
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return target


def write_settings(settings_dir: Path) -> None:
    for plugin, values in SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


class Server:
    """``jupyter lab`` from this Python environment, on ``root``, stopped by ``stop()``."""

    def __init__(self, root: Path, workdir: Path):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        settings, workspaces = workdir / "settings", workdir / "workspaces"
        write_settings(settings)
        workspaces.mkdir()
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(workdir / "config"),
                   JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), PYTHONUNBUFFERED="1")
        self.log_path = workdir / "server.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
             f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workspaces}",
             "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
             "--ServerApp.allow_root=True"],
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready()

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("/api/status")
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def shutdown_kernels(self) -> None:
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()               # jupyter_server shuts its kernels down on SIGTERM
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)   # the group this script started
                self.process.wait()
        self.log.close()


# ---------------------------------------------------------------------------- the page

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

# what the notebook shows and what its model holds, read in the page
STATE_JS = """([panelSelector, widgetMime]) => {
  const panel = document.querySelector(panelSelector);
  if (!panel) return null;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim());
  const notebook = window.jupyterapp.shell.currentWidget;
  const session = notebook.sessionContext.session;
  const kernel = session && session.kernel ? session.kernel.status : 'none';
  const model = notebook.content.model;
  let errors = [], widgets = 0;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    for (let j = 0; j < cell.outputs.length; j++) {
      const output = cell.outputs.get(j);
      if (output.type === 'error') errors.push(`cell ${i}: ${output.toJSON().ename}: ${output.toJSON().evalue}`);
      if (output.data && output.data[widgetMime]) widgets += 1;
    }
  }
  const status = indicator ? indicator.dataset.status : 'none';
  return {status, kernel, prompts, errors, widgets};
}"""


def state(page: Page) -> dict:
    return page.evaluate(STATE_JS, [PANEL, WIDGET_MIME])


def wait_until(predicate, timeout: float, what: str, poll: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def kernel_idle(page: Page) -> bool:
    s = state(page)
    return bool(s) and s["status"] == s["kernel"] == "idle" and "[*]:" not in s["prompts"]


def settle(page: Page, timeout: float, what: str) -> None:
    """Wait until the kernel is idle and no cell is pending, twice in a row a second apart."""
    def stable() -> bool:
        if not kernel_idle(page):
            return False
        time.sleep(1.0)
        return kernel_idle(page)
    wait_until(stable, timeout, what)


def click_menu(page: Page, menu: str, item: str) -> None:
    page.locator(f'li.lm-MenuBar-item:has(div.lm-MenuBar-itemLabel:text-is("{menu}"))').click()
    page.locator(f'.lm-Menu ul li:has(div.lm-Menu-itemLabel:text-is("{item}"))').click()


def start_kernel(page: Page) -> None:
    """Wait for the notebook's kernel; accept the "Select Kernel" dialog (Python 3) if JupyterLab asks."""
    dialog = page.locator(".jp-Dialog")

    def ready() -> bool:
        if dialog.count():
            dialog.locator("button.jp-mod-accept").click()
        return kernel_idle(page)
    wait_until(ready, 120, "the kernel to start")


def run_all(page: Page, timeout: float) -> None:
    start_kernel(page)
    click_menu(page, "Run", "Run All Cells")
    try:                                            # Run All marks every queued cell [*] at once
        wait_until(lambda: "[*]:" in state(page)["prompts"], 10, "Run All to start", poll=0.1)
    except TimeoutError:
        pass                                        # all done already, or nothing ran: checked below
    settle(page, timeout, "Run All to finish")


def output_content(widget: Locator) -> str:
    """What the widget's Output shows: each output's type, text and image sources (not its styles)."""
    return widget.locator(".widget-output").first.evaluate("""out =>
      [...out.querySelectorAll('.jp-OutputArea-output')].map(o => [
        o.dataset.mimeType || '', o.innerText, ...[...o.querySelectorAll('img')].map(img => img.src)
      ].join('|')).join('\\n')""")


def move_first_control(page: Page, widget: Locator) -> str:
    """Move the widget's first control the way a person would; return what was done."""
    control = widget.locator(CONTROLS).first
    classes = control.get_attribute("class") or ""
    if "widget-slider" in classes:
        readout = control.locator(".widget-readout")
        before = readout.text_content()
        handle = control.locator(".noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")
        if readout.text_content() == before:          # at its maximum: go the other way
            page.keyboard.press("ArrowLeft")
        return f"slider {before.strip()} -> {readout.text_content().strip()}"
    if "widget-dropdown" in classes:
        select = control.locator("select")
        options = select.locator("option").all_text_contents()
        current = select.evaluate("s => s.selectedIndex")
        choice = options[1 if current == 0 else 0]
        select.select_option(label=choice)
        return f"dropdown {options[current]} -> {choice}"
    if "widget-toggle-buttons" in classes:
        button = control.locator("button:not(.mod-active)").first
        label = button.text_content().strip()
        button.click()
        return f"toggle -> {label}"
    if "widget-checkbox" in classes:
        box = control.locator("input[type=checkbox]")
        checked = box.is_checked()
        box.click()
        return f"checkbox {checked} -> {not checked}"
    raise AssertionError(f"no control found (looked for {CONTROLS})")


# Does the page draw Hangul in ``font``? A syllable against U+10FFFD (private use: no font has it, so the
# browser draws its missing-glyph box): equal pixels mean Hangul comes out as boxes too.
HANGUL_JS = """(font) => {
  const canvas = document.createElement('canvas');
  canvas.width = 96; canvas.height = 40;
  const g = canvas.getContext('2d');
  const draw = text => { g.clearRect(0, 0, 96, 40); g.font = font; g.fillText(text, 4, 30);
                         return g.getImageData(0, 0, 96, 40).data.join(','); };
  return draw('한글') !== draw('\\u{10FFFD}\\u{10FFFD}');
}"""


def widget_font(widget: Locator) -> str:
    """The CSS font of the widget's first label (or of the widget itself), e.g. '13px system-ui, sans-serif'."""
    return widget.evaluate("""w => { const el = w.querySelector('.widget-label, label, .widget-html-content') || w;
                                     const s = getComputedStyle(el); return `${s.fontSize} ${s.fontFamily}`; }""")


def check_hangul(page: Page, widget: Locator, result: Result) -> None:
    font = widget_font(widget)
    hangul = "".join(ch for ch in widget.inner_text() if "\uac00" <= ch <= "\ud7a3")
    drawn = page.evaluate(HANGUL_JS, font)
    print(f"    Hangul in the widgets' font ({font}): {'drawn' if drawn else 'BOXES'}; "
          f"the first widget shows {len(hangul)} Hangul syllables", flush=True)
    if not drawn:
        result.failures.append(f"Hangul draws as boxes in the widgets' font ({font}): no Hangul font "
                               "(install Debian's fonts-nanum, as .ci/browser-check does)")


def check_widget(page: Page, widget: Locator, number: int, result: Result) -> None:
    try:
        before = output_content(widget)
    except PlaywrightTimeout:
        result.failures.append(f"widget {number}: has no Output area (.widget-output)")
        return
    if not before.strip():
        result.failures.append(f"widget {number}: its Output area is empty before any change")
    action = move_first_control(page, widget)
    try:                                            # the kernel redraws the Output, then goes idle
        wait_until(lambda: output_content(widget) != before, 60, "the output to change", poll=0.25)
    except TimeoutError:
        pass                                        # reported below
    settle(page, 120, f"widget {number} to redraw after '{action}'")
    after = output_content(widget)
    text = widget.inner_text()
    if "Traceback" in text:
        calls = [line.strip() for line in text.splitlines() if line.startswith("File ")]
        last = [line.strip() for line in text.splitlines() if line.strip()][-1]
        result.failures.append(f"widget {number}: shows an error after '{action}': {last} "
                               f"(raised in {calls[-1] if calls else '?'}; first call {calls[0] if calls else '?'})")
    elif MISSING_GLYPH.search(text):
        result.failures.append(f"widget {number}: after '{action}' a figure lost glyphs: "
                               f"{MISSING_GLYPH.search(text)[0]!r}")
    elif after == before:
        result.failures.append(f"widget {number}: '{action}' did not change its output")
    else:
        result.reacted += 1
    print(f"    widget {number}: {action}: {'changed' if after != before else 'UNCHANGED'}", flush=True)


def stored_widget_count(path: Path) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(WIDGET_MIME in output.get("data", {})
               for cell in nb["cells"] if cell["cell_type"] == "code" for output in cell["outputs"])


def screenshot(page: Page, path: Path) -> None:
    """The whole notebook: make the window as tall as the notebook, then take the page."""
    height = page.evaluate(f"""() => {{
      const scroller = document.querySelector('{PANEL} .jp-WindowedPanel-outer');
      return scroller ? scroller.scrollHeight : 0; }}""")
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(max(900, height + 200), 32000)})
    page.evaluate(f"() => document.querySelector('{PANEL} .jp-WindowedPanel-outer').scrollTop = 0")
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": 900})


def check_notebook(context, server: Server, folder: Path, name: str, timeout: float) -> Result:
    result = Result(name)
    start = time.monotonic()
    page = context.new_page()
    js_errors: list[str] = []                       # uncaught errors in the page: printed, not judged
    page.on("pageerror", lambda error: js_errors.append(str(error).splitlines()[0]))
    try:
        page.goto(f"{server.url}/lab/tree/{name}?reset&token={server.token}")
        page.locator(f"{PANEL} .jp-Cell").first.wait_for(timeout=120_000)
        page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")  # more room
        run_all(page, timeout)
        s = state(page)
        prompts = s["prompts"]
        result.cells = len(prompts)
        result.cells_run = sum(p not in ("[ ]:", "[*]:", "") for p in prompts)
        not_run = [i for i, p in enumerate(prompts) if p in ("[ ]:", "[*]:", "")]
        if not_run:
            result.failures.append(f"{len(not_run)} code cells have no execution count "
                                   f"(code cells {not_run[:10]}: {[prompts[i] for i in not_run[:10]]})")
        result.failures += [f"error output in {e}" for e in s["errors"]]

        roots = page.locator(WIDGET_ROOT)
        try:                                        # views draw asynchronously after the run
            wait_until(lambda: not any(t in page.locator(PANEL).inner_text() for t in BROKEN_WIDGET_TEXTS),
                       30, "the widgets to draw")
        except TimeoutError:
            text = page.locator(PANEL).inner_text()
            result.failures += [f"a widget shows '{t}'" for t in BROKEN_WIDGET_TEXTS if t in text]
        result.widgets = roots.count()
        stored = stored_widget_count(folder / name)
        if not (result.widgets == s["widgets"] == stored):
            result.failures.append(f"widgets: {result.widgets} drawn, {s['widgets']} displayed by the run, "
                                   f"{stored} in the stored notebook")
        for number in range(result.widgets):
            check_widget(page, roots.nth(number), number, result)
        shots = OUT / Path(name).parent
        shots.mkdir(parents=True, exist_ok=True)
        if result.widgets:
            if is_korean(name):
                check_hangul(page, roots.first, result)
            roots.first.scroll_into_view_if_needed()
            roots.first.screenshot(path=str(shots / f"{Path(name).stem}-widget.png"))
        screenshot(page, shots / f"{Path(name).stem}.png")
    except (TimeoutError, PlaywrightError, AssertionError) as error:      # PlaywrightTimeout is one too
        result.failures.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
        try:
            (OUT / Path(name).parent).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUT / Path(name).parent / f"{Path(name).stem}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - the failure above is what matters
            pass
    finally:
        for message in js_errors[:5]:
            print(f"    note: JavaScript error in the page: {message}", flush=True)
        page.close()
        server.shutdown_kernels()
        result.seconds = time.monotonic() - start
    return result


def is_korean(name: str) -> bool:
    return Path(name).parent.name == "ko"


def select(folder: Path, prefixes: list[str] | None) -> list[str]:
    """Notebook paths relative to ``folder``: its own, then those of its ko/ folder (the Korean edition).

    A prefix picks both editions' notebooks that start with it; ``ko/NN`` the Korean one, ``en/NN`` the English."""
    names = sorted(p.name for p in folder.glob("*.ipynb")) + sorted(f"ko/{p.name}" for p in folder.glob("ko/*.ipynb"))

    def matches(name: str, prefix: str) -> bool:
        if prefix.startswith("ko/"):
            return is_korean(name) and Path(name).name.startswith(prefix[3:])
        if prefix.startswith("en/"):
            return not is_korean(name) and name.startswith(prefix[3:])
        return Path(name).name.startswith(prefix)

    if prefixes:
        chosen = [n for n in names if any(matches(n, p) for p in prefixes)]
        missing = [p for p in prefixes if not any(matches(n, p) for n in names)]
        if missing:
            raise SystemExit(f"no notebook in {folder} starts with {missing}; there are {names}")
        names = chosen
    if not names:
        raise SystemExit(f"no notebooks found in {folder}")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", nargs="+", metavar="NN",
                        help="name prefixes, e.g. 00 03 (both editions), ko/03, en/03 (default: all)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per notebook's Run All (300)")
    parser.add_argument("--dir", type=Path, default=NOTEBOOKS,
                        help="the notebooks' folder (notebooks/; its ko/ folder is the Korean edition)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the browser to drive ({CHROMIUM})")
    args = parser.parse_args(argv)
    folder = args.dir.resolve()
    names = select(folder, args.notebooks)
    require_chromium(args.chromium)
    OUT.mkdir(parents=True, exist_ok=True)

    results: list[Result] = []
    total = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="m2p-browser-") as tmp:
        workdir = Path(tmp)
        server = Server(copy_notebooks(folder, names, workdir), workdir)
        try:
            with sync_playwright() as playwright:
                context = launch(playwright, workdir / "chromium-profile", args.chromium)
                try:
                    for name in names:
                        print(f"{name}: running", flush=True)
                        result = check_notebook(context, server, folder, name, args.timeout)
                        results.append(result)
                        print(f"{name}: {result.cells_run}/{result.cells} code cells run, "
                              f"{result.widgets} widgets, {result.reacted} reacted, {result.seconds:.0f} s"
                              + ("" if not result.failures else "  FAILED"), flush=True)
                        for failure in result.failures:
                            print(f"    FAIL {failure}", flush=True)
                finally:
                    context.close()
        finally:
            server.stop()
    failed = [r.name for r in results if r.failures]
    print(f"{len(results)} notebooks in {time.monotonic() - total:.0f} s; screenshots in "
          f"{OUT.relative_to(ROOT)}/; " + (f"FAILED: {', '.join(failed)}" if failed else "all passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
