"""The site's build: which editions, each one's front page and sidebar, sources that mirror the repository;
README's site command. Building it with Sphinx is .ci/site-check's job (the [site] extra)."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).parents[1]
spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
build_site = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = build_site               # its dataclasses look their module up there
spec.loader.exec_module(build_site)

README = (ROOT / "README.md").read_text(encoding="utf-8")


def repository(tmp_path, korean=()):
    """A small repository: README, two notebooks, a docs page, an image, and Korean notebooks if asked."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "README.md").write_text("[한국어](README.ko.md)\n<!-- /languages -->\n\n# Course\n")
    for name in ("00_a.ipynb", "01_b.ipynb"):
        (tmp_path / "notebooks" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "notebooks" / name).write_text("{}")
    for name in korean:
        (tmp_path / "notebooks" / "ko").mkdir(parents=True, exist_ok=True)
        (tmp_path / "notebooks" / "ko" / name).write_text("{}")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "teaching.md").write_text("# Teaching\n")
    (tmp_path / "docs" / "conf.py").write_text("")
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "plot.png").write_bytes(b"png")
    (tmp_path / "benchmarks" / "bench.py").write_text("")
    for skipped in ("build/site/index.md", "out/x.png", ".venv/lib/x.md", ".git/x.md"):
        (tmp_path / skipped).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / skipped).write_text("")
    return tmp_path


def test_english_always_korean_when_its_notebooks_exist(tmp_path):
    assert [e.language for e in build_site.editions(repository(tmp_path))] == ["en"]
    assert [e.language for e in build_site.editions(repository(tmp_path / "k", ["00_a.ipynb"]))] == ["en", "ko"]


def test_the_front_page_is_readme_after_its_language_links_then_the_sidebar(tmp_path):
    root = repository(tmp_path)
    english = build_site.front_page(build_site.EDITIONS[0], root)
    assert english.startswith("```{include} README.md\n:start-after: <!-- /languages -->\n```")
    notebooks = english[english.index(":caption: Notebooks"):]
    assert notebooks.index("notebooks/00_a") < notebooks.index("notebooks/01_b") < notebooks.index(":caption: Guides")
    assert "docs/teaching\n" in english and "docs/training" not in english      # only the pages there are


def test_a_korean_edition_without_its_readme_yet_still_has_a_front_page(tmp_path):
    root = repository(tmp_path, ["01_b.ipynb"])
    korean = build_site.front_page(build_site.EDITIONS[1], root)
    assert korean.startswith("# m2p-course (한국어)")
    assert ":caption: 노트북" in korean and "notebooks/ko/01_b" in korean and "notebooks/00_a" not in korean
    (root / "README.ko.md").write_text("# 강의\n")                       # no language marker: all of it
    assert build_site.front_page(build_site.EDITIONS[1], root).startswith("```{include} README.ko.md\n```")


def test_the_sources_mirror_the_repository_as_hard_links(tmp_path):
    root = repository(tmp_path / "repo", ["00_a.ipynb"])
    folder = build_site.assemble(build_site.EDITIONS[0], root, tmp_path / "sources")
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == ["README.md", "benchmarks/plot.png", "docs/teaching.md", "index.md",
                     "notebooks/00_a.ipynb", "notebooks/01_b.ipynb", "notebooks/ko/00_a.ipynb"]
    assert (folder / "docs" / "teaching.md").stat().st_ino == (root / "docs" / "teaching.md").stat().st_ino
    assert not (folder / "docs" / "teaching.md").is_symlink()       # Sphinx would resolve it out of its sources
    build_site.assemble(build_site.EDITIONS[0], root, tmp_path / "sources")    # again: from scratch, no error


def test_readme_gives_the_site_command_between_its_markers():
    section = re.search(r"<!-- site -->\n```bash\n(.*?)```\n<!-- /site -->", README, re.S)
    assert section, "README.md needs the site command between <!-- site --> and <!-- /site -->"
    lines = section[1].strip().splitlines()
    assert lines == ['.venv/bin/pip install -c constraints.txt -e ".[site]" && .venv/bin/python tools/build_site.py']


def test_readme_is_a_front_page():
    lines = README.splitlines()
    assert len(lines) <= 150
    assert lines[0] == "[한국어](README.ko.md)" and lines[1] == build_site.AFTER_LANGUAGES
    quickstart = re.search(r"<!-- quickstart -->\n```bash\n(.*?)```\n<!-- /quickstart -->", README, re.S)
    assert len(quickstart[1].strip().splitlines()) == 2                  # .ci/run reads exactly two
    for page in build_site.DOC_PAGES:
        assert f"]({page}.md)" in README and (ROOT / f"{page}.md").exists()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):           # one row each, with its Colab link
        assert f"](notebooks/{notebook.name})" in README
        assert f"/blob/main/notebooks/{notebook.name})" in README


@pytest.mark.parametrize("marker", ["quickstart", "site"])
def test_the_korean_readme_gives_the_same_commands(marker):
    """README.ko.md repeats README.md's commands between the same markers; .ci/run and .ci/site-build read
    README.md's, so the Korean front page must not drift from them."""
    pattern = rf"<!-- {marker} -->\n```bash\n(.*?)```\n<!-- /{marker} -->"
    korean = re.search(pattern, (ROOT / "README.ko.md").read_text(encoding="utf-8"), re.S)
    assert korean, f"README.ko.md needs its {marker} commands between <!-- {marker} --> and <!-- /{marker} -->"
    assert korean[1] == re.search(pattern, README, re.S)[1]


def test_the_korean_readme_gives_a_colab_link_per_korean_notebook():
    korean = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    for notebook in sorted((ROOT / "notebooks" / "ko").glob("*.ipynb")):
        assert f"](notebooks/ko/{notebook.name})" in korean
        assert f"/blob/main/notebooks/ko/{notebook.name})" in korean


def test_the_site_extra_has_ranges_and_constraints_pin_each_package():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["site"]
    pinned = {line.split("==")[0].lower().replace("_", "-") for line in
              (ROOT / "constraints.txt").read_text().splitlines() if "==" in line}
    assert len(extras) >= 3
    for requirement in extras:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)[0]
        assert ">=" in requirement and "<" in requirement, f"{requirement}: a range, please"
        assert name.lower() in pinned, f"{name} is not pinned in constraints.txt"
