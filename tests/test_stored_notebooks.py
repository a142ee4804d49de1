"""What is stored in notebooks/: Run All must never stop, so no cell raises on purpose."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_error_output_and_no_cell_that_raises_on_purpose(path):
    nb = nbformat.read(path, as_version=4)
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert "NBVAL_RAISES_EXCEPTION" not in cell.source, f"cell {number} raises on purpose"
        assert "raises-exception" not in cell.metadata.get("tags", []), f"cell {number} has a raises-exception tag"
        assert all(o.output_type != "error" for o in cell.outputs), f"cell {number} stores an error output"
        assert cell.execution_count is not None, f"cell {number} was not executed"
        if "with expect_error(" in cell.source:
            assert cell.source.startswith("# NBVAL_CHECK_OUTPUT"), f"cell {number} shows an error unchecked"
