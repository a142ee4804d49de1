"""The notebook runner: executes in place, stores clean outputs, refuses cells that raise on purpose."""

import importlib.util
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

spec = importlib.util.spec_from_file_location("run_notebooks", Path(__file__).parents[1] / "tools" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_notebooks)


def test_runs_in_place_merges_streams_and_shows_expected_errors(tmp_path):
    path = tmp_path / "demo.ipynb"
    nb = new_notebook(cells=[
        new_markdown_cell("# demo"),
        new_code_cell("import sys\nprint('a')\nsys.stdout.flush()\nprint('b')"),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nfrom m2p_course import expect_error\n"
                      "with expect_error(ValueError):\n    raise ValueError('on purpose')"),
        new_code_cell("print(6 * 7)"),
    ])
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, path)
    assert run_notebooks.main([str(path)]) == 0
    done = nbformat.read(path, as_version=4)
    first, raising, last = done.cells[1:]
    assert [o.output_type for o in first.outputs] == ["stream"] and first.outputs[0].text == "a\nb\n"
    assert [o.output_type for o in raising.outputs] == ["stream"]
    assert raising.outputs[0].text == "ValueError: on purpose\n"
    assert last.outputs[0].text == "42\n"
    assert "widgets" not in done.metadata


def test_a_failing_cell_fails_the_run(tmp_path, capsys):
    path = tmp_path / "bad.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 / 0")]), path)
    assert run_notebooks.main([str(path)]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err


def test_a_cell_that_raises_on_purpose_is_refused(tmp_path, capsys):
    path = tmp_path / "tagged.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("# NBVAL_RAISES_EXCEPTION\nraise ValueError('x')")]), path)
    assert run_notebooks.main([str(path)]) == 1
    assert "expect_error" in capsys.readouterr().err
