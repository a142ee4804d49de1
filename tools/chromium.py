"""Debian's Chromium driven by Playwright: what tools/browser_check.py and tools/site_check.py share.

``.ci/install-browser`` installs both (Chromium from Debian's packages, Playwright pinned in
constraints.txt); Playwright's own browser download is never used.
"""

from __future__ import annotations

import socket
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]   # Docker gives /dev/shm 64 MB: Chromium would crash on big pages
VIEWPORT = {"width": 1280, "height": 900}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium(executable: str) -> None:
    if not Path(executable).exists():
        raise SystemExit(f"{executable} not found: install Debian's chromium (.ci/install-browser does)")


def launch(playwright, profile: Path, executable: str = CHROMIUM, viewport: dict | None = None):
    """A persistent Chromium context (its own profile folder) from a started ``sync_playwright()``."""
    require_chromium(executable)
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
        viewport=viewport or VIEWPORT)
