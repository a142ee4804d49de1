#!/usr/bin/env python
"""Point the course at a repository: one command for a fork.

    python tools/set_repository.py https://github.com/YOU/YOUR-FORK   # write it everywhere
    python tools/set_repository.py                                    # show it; exit 1 if a notebook disagrees

The URL is ``[project.urls] Repository`` in ``pyproject.toml``; the site's Colab links are made
from it. Every notebook (``notebooks/*.ipynb``, and each edition's ``notebooks/<lang>/*.ipynb``)
repeats it once, in its first code cell's Colab-only install line
``"m2p-course @ git+<URL>"``; this tool rewrites that line and nothing else (the outputs are
untouched: the line runs on Colab only). README.md (and each README.<lang>.md) links to the repository
on GitHub, on Colab and on GitHub Pages; those links move too. ``tests/test_repository_url.py``
checks that they all agree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_config  # noqa: E402


def disagreements(root: Path, url: str) -> list[str]:
    problems = []
    for path in course_config.notebook_paths(root):
        try:
            found = course_config.notebook_repository(nbformat.read(path, as_version=4))
        except ValueError as error:
            problems.append(f"{path.relative_to(root)}: {error}")
            continue
        if found != url:
            problems.append(f"{path.relative_to(root)}: installs from {found}")
    expected = tuple(part.lower() for part in course_config.github_parts(url))
    for path in course_config.readme_paths(root):
        for owner, name in course_config.readme_repositories(path.read_text(encoding="utf-8")):
            if (owner, name.lower()) != expected:
                problems.append(f"{path.relative_to(root)}: links to {owner}/{name}")
    return problems


def set_repository(root: Path, url: str) -> list[Path]:
    """Write ``url`` into pyproject.toml and every notebook; return the files changed."""
    course_config.check_repository_url(url)
    changed = []
    pyproject = root / "pyproject.toml"
    old = pyproject.read_text(encoding="utf-8")
    new = course_config.set_pyproject_repository(old, url)
    if new != old:
        pyproject.write_text(new, encoding="utf-8")
        changed.append(pyproject)
    for path in course_config.notebook_paths(root):
        nb = nbformat.read(path, as_version=4)
        if course_config.with_repository(nb, url):
            nbformat.write(nb, path)
            changed.append(path)
    for path in course_config.readme_paths(root):
        old = path.read_text(encoding="utf-8")
        new = course_config.with_readme_repository(old, url)
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None, root: Path = course_config.ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="https://github.com/OWNER/NAME (default: only check)")
    args = parser.parse_args(argv)
    if args.url is not None:
        try:
            changed = set_repository(root, args.url)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for path in changed:
            print(f"wrote {path.relative_to(root)}")
        print(f"{len(changed)} files changed")
    url = course_config.repository_url(root / "pyproject.toml")
    problems = disagreements(root, url)
    print(f"repository: {url} (pyproject.toml [project.urls] Repository); "
          f"{len(course_config.notebook_paths(root))} notebooks")
    for problem in problems:
        print(f"  DISAGREES {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
