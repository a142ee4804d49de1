"""The repository URL: one value in pyproject.toml, written into every notebook by tools/set_repository.py."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import course_config  # noqa: E402

spec = importlib.util.spec_from_file_location("set_repository", ROOT / "tools" / "set_repository.py")
set_repository = importlib.util.module_from_spec(spec)
spec.loader.exec_module(set_repository)

NOTEBOOKS = course_config.notebook_paths()


def test_the_value_is_a_github_repository():
    url = course_config.repository_url()
    assert url == "https://github.com/m2p-course/m2p-course"
    assert course_config.github_parts(url) == ("m2p-course", "m2p-course")
    assert course_config.pages_url(url) == "https://m2p-course.github.io/m2p-course/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_every_notebooks_first_code_cell_installs_from_it(path):
    nb = nbformat.read(path, as_version=4)
    cell = course_config.first_code_cell(nb)
    assert 'if "google.colab" in sys.modules:' in cell.source      # the install runs on Colab only
    assert course_config.notebook_repository(nb) == course_config.repository_url()


def test_the_check_finds_every_notebook_and_agrees():
    assert len(NOTEBOOKS) >= 13
    assert set_repository.disagreements(ROOT, course_config.repository_url()) == []


@pytest.mark.parametrize("bad", ["https://github.com/you", "https://gitlab.com/you/fork", "github.com/you/fork",
                                 "https://github.com/you/fork.git", "https://github.com/you/fork/", ""])
def test_a_url_that_colab_cannot_open_is_refused(bad):
    with pytest.raises(ValueError, match="https://github.com/OWNER/NAME"):
        course_config.check_repository_url(bad)


def test_a_url_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="must be a str, got NoneType"):
        course_config.check_repository_url(None)


def test_a_first_cell_without_exactly_one_install_line_is_an_error():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"), nbformat.v4.new_code_cell("import sys")])
    with pytest.raises(ValueError, match="exactly one .* found 0"):
        course_config.notebook_repository(nb)
    with pytest.raises(ValueError, match="no code cell"):
        course_config.notebook_repository(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x")]))


def test_pyproject_without_the_value_is_a_clear_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match=r"no \[project.urls\] Repository"):
        course_config.repository_url(tmp_path / "pyproject.toml")


def test_readme_links_to_the_repository_on_github_colab_and_pages():
    found = course_config.readme_repositories((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(found) >= 14                  # the site twice, a Colab link per notebook
    assert set(found) == {("m2p-course", "m2p-course")}


def test_readme_links_are_found_and_moved_whatever_their_kind():
    text = ("[site](https://m2p-course.github.io/m2p-course/) <https://github.com/m2p-course/m2p-course>\n"
            "[open](https://colab.research.google.com/github/m2p-course/m2p-course/blob/main/notebooks/07_x.ipynb)\n"
            "https://github.com/m2p-course/m2p-course")
    assert course_config.readme_repositories(text) == [("m2p-course", "m2p-course")] * 4
    moved = course_config.with_readme_repository(text, "https://github.com/Teacher/fork")
    assert moved == ("[site](https://teacher.github.io/fork/) <https://github.com/Teacher/fork>\n"
                     "[open](https://colab.research.google.com/github/Teacher/fork/blob/main/notebooks/07_x.ipynb)\n"
                     "https://github.com/Teacher/fork")


@pytest.fixture
def fork(tmp_path):
    """A copy of pyproject.toml, README.md and two notebooks, one of them in a second edition's folder."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    (tmp_path / "notebooks" / "ko").mkdir(parents=True)
    shutil.copy(NOTEBOOKS[0], tmp_path / "notebooks" / NOTEBOOKS[0].name)
    shutil.copy(NOTEBOOKS[3], tmp_path / "notebooks" / "ko" / NOTEBOOKS[3].name)
    return tmp_path


def test_one_command_points_a_fork_everywhere_and_changes_nothing_else(fork, capsys):
    url = "https://github.com/teacher/m2p-fork"
    before = {p: json.loads(p.read_text(encoding="utf-8")) for p in course_config.notebook_paths(fork)}
    assert set_repository.main([url], root=fork) == 0
    assert "4 files changed" in capsys.readouterr().out
    readme = (fork / "README.md").read_text(encoding="utf-8")
    assert "colab.research.google.com/github/teacher/m2p-fork/blob/main/notebooks/" in readme
    assert "https://teacher.github.io/m2p-fork/" in readme and "m2p-course/m2p-course" not in readme
    assert course_config.repository_url(fork / "pyproject.toml") == url
    for path, old in before.items():
        new = json.loads(path.read_text(encoding="utf-8"))
        assert course_config.notebook_repository(new) == url
        first = course_config.first_code_cell(old)
        assert "".join(course_config.first_code_cell(new)["source"]) == "".join(first["source"]).replace(
            "https://github.com/m2p-course/m2p-course", url)
        # everything but that one line is as it was, outputs included
        first["source"] = course_config.first_code_cell(new)["source"]
        assert new == old
    assert set_repository.main([url], root=fork) == 0          # a second run changes nothing
    assert "0 files changed" in capsys.readouterr().out


def test_the_check_fails_on_a_notebook_that_disagrees(fork, capsys):
    path = next((fork / "notebooks" / "ko").glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    course_config.with_repository(nb, "https://github.com/someone/else")
    nbformat.write(nb, path)
    assert set_repository.main([], root=fork) == 1
    assert f"notebooks/ko/{path.name}: installs from https://github.com/someone/else" in capsys.readouterr().err


def test_the_check_fails_on_a_readme_link_that_disagrees(fork, capsys):
    readme = fork / "README.md"
    readme.write_text(readme.read_text() + "\n[old](https://github.com/someone/else)\n")
    assert set_repository.main([], root=fork) == 1
    assert "README.md: links to someone/else" in capsys.readouterr().err


def test_a_bad_url_changes_nothing(fork, capsys):
    before = (fork / "pyproject.toml").read_text()
    assert set_repository.main(["https://gitlab.com/a/b"], root=fork) == 2
    assert "must look like https://github.com/OWNER/NAME" in capsys.readouterr().err
    assert (fork / "pyproject.toml").read_text() == before
