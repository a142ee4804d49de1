"""The course's one repository URL, and where it is written.

The URL lives in ``pyproject.toml`` as ``[project.urls] Repository``. Everything else reads it from
there: the site's Colab links (``docs/conf.py``), the site check, and the tests; and
``tools/set_repository.py`` writes it into the one line of every notebook that needs it, the
Colab-only ``pip install "m2p-course @ git+<URL>"`` in the notebook's first code cell.

Plain functions, no third-party imports (``tomllib``, or ``tomli`` on Python 3.10), so that the
site's configuration, the tools and the tests can all import it.
"""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest's own dependency
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
NOTEBOOKS = ROOT / "notebooks"
GITHUB = re.compile(r"https://github\.com/(?P<owner>[A-Za-z0-9][A-Za-z0-9-]*)/(?P<name>[A-Za-z0-9._-]+)")
# the notebooks' install line: "m2p-course @ git+https://github.com/OWNER/NAME"
INSTALL = re.compile(r'"m2p-course @ git\+(?P<url>[^"]*)"')
# the line in pyproject.toml's [project.urls] table
PYPROJECT_LINE = re.compile(r'^(?P<key>Repository\s*=\s*)"(?P<url>[^"]*)"', re.MULTILINE)


def check_repository_url(url: str) -> str:
    """``url`` if it is ``https://github.com/OWNER/NAME`` (Colab opens notebooks from GitHub only)."""
    if not isinstance(url, str):
        raise TypeError(f"the repository URL must be a str, got {type(url).__name__}")
    if not GITHUB.fullmatch(url) or url.endswith(".git"):
        raise ValueError(f"the repository URL must look like https://github.com/OWNER/NAME "
                         f"(no .git, no trailing slash: Colab opens notebooks from GitHub), got {url!r}")
    return url


def repository_url(pyproject: Path = PYPROJECT) -> str:
    """``[project.urls] Repository`` from ``pyproject.toml``, checked."""
    data = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))
    try:
        url = data["project"]["urls"]["Repository"]
    except KeyError:
        raise ValueError(f"{pyproject} has no [project.urls] Repository = \"https://github.com/OWNER/NAME\"") from None
    return check_repository_url(url)


def github_parts(url: str) -> tuple[str, str]:
    """``("OWNER", "NAME")`` of ``https://github.com/OWNER/NAME``."""
    match = GITHUB.fullmatch(check_repository_url(url))
    return match["owner"], match["name"]


def pages_url(url: str) -> str:
    """Where GitHub Pages publishes the site of ``url``'s repository."""
    owner, name = github_parts(url)
    return f"https://{owner.lower()}.github.io/{name}/"


# README's links to the repository: on GitHub, Colab's view of it, its GitHub Pages site
README_LINK = re.compile(r"https://(?:github\.com|colab\.research\.google\.com/github)/(?P<owner>[A-Za-z0-9-]+)/"
                         r"(?P<name>[A-Za-z0-9._-]+?)(?=[/)>\s]|$)"
                         r"|https://(?P<pages_owner>[a-z0-9-]+)\.github\.io/(?P<pages_name>[A-Za-z0-9._-]+?)(?=[/)>\s]|$)")


def readme_paths(root: Path = ROOT) -> list[Path]:
    """README.md and each edition's README.<lang>.md."""
    return sorted(Path(root).glob("README*.md"))


def readme_repositories(text: str) -> list[tuple[str, str]]:
    """Every (owner, name) that a README's GitHub, Colab or GitHub Pages links name."""
    found = []
    for match in README_LINK.finditer(text):
        owner, name = (match["owner"], match["name"]) if match["owner"] else (match["pages_owner"], match["pages_name"])
        found.append((owner.lower(), name))
    return found


def with_readme_repository(text: str, url: str) -> str:
    """A README's text with every GitHub, Colab and GitHub Pages link moved to ``url``'s repository."""
    owner, name = github_parts(url)

    def move(match: re.Match) -> str:
        if match["owner"]:
            return match[0][: match.start("owner") - match.start()] + f"{owner}/{name}"
        return f"https://{owner.lower()}.github.io/{name}"
    return README_LINK.sub(move, text)


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """Every course notebook: ``notebooks/*.ipynb`` and each edition's ``notebooks/<lang>/*.ipynb``."""
    folder = Path(root) / "notebooks"
    return sorted(folder.glob("*.ipynb")) + sorted(folder.glob("*/*.ipynb"))


def first_code_cell(nb: dict) -> dict:
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            return cell
    raise ValueError("the notebook has no code cell")


def _source(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def notebook_repository(nb: dict) -> str:
    """The URL in the install line of ``nb``'s first code cell (exactly one such line)."""
    found = INSTALL.findall(_source(first_code_cell(nb)))
    if len(found) != 1:
        raise ValueError(f"the first code cell must hold exactly one \"m2p-course @ git+<URL>\" install line, "
                         f"found {len(found)}")
    return found[0]


def with_repository(nb: dict, url: str) -> bool:
    """Write ``url`` into ``nb``'s install line, in place; True if anything changed."""
    check_repository_url(url)
    notebook_repository(nb)  # exactly one line, or a clear error
    cell = first_code_cell(nb)
    old = _source(cell)
    new = INSTALL.sub(lambda m: f'"m2p-course @ git+{url}"', old)
    cell["source"] = new
    return new != old


def set_pyproject_repository(text: str, url: str) -> str:
    """``pyproject.toml``'s text with its ``Repository = "..."`` line set to ``url``."""
    check_repository_url(url)
    new, count = PYPROJECT_LINE.subn(lambda m: f'{m["key"]}"{url}"', text)
    if count != 1:
        raise ValueError(f'pyproject.toml must hold one line Repository = "..." in [project.urls], found {count}')
    return new
