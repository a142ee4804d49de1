"""What is stored in notebooks/ and notebooks/ko/: Run All must never stop, so no cell raises on purpose;
no figure lost a glyph."""

import re
from pathlib import Path

import nbformat
import pytest

FOLDER = Path(__file__).parents[1] / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb")) + sorted((FOLDER / "ko").glob("*.ipynb"))  # both editions


def name(path: Path) -> str:
    return str(path.relative_to(FOLDER))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
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


SANITIZE = Path(__file__).parent / "nbval_sanitize.cfg"


def sanitize(text: str) -> str:
    """What nbval does to an output before comparing it (nbval.plugin.get_sanitize_patterns + re.sub)."""
    from nbval.plugin import get_sanitize_patterns

    for regex, replace in get_sanitize_patterns(SANITIZE.read_text()):
        text = re.sub(regex, replace, text)
    return text


def test_sanitizer_masks_measured_times_and_addresses_only():
    assert sanitize("24 s of music -> features in 0.08 s") == "24 s of music -> features in TIME"
    assert sanitize("forward took 12.5 ms, elapsed 3 s") == "forward took TIME, elapsed TIME"
    assert sanitize("<Figure at 0x7f3a2b>") == "<Figure at 0xADDRESS>"
    for deterministic in ("10.99 s clip: 242329 x 30 / 22050 = 329.70 -> T = 329",
                          "x context 100 frames (offsets -50..+49, 3.33 s at 30 fps, reflected at the clip's edges)",
                          "T = 24 s x 30 fps = 720", "the whole 4 s of music: (1, 120, 4800)",
                          "clip 0:    60 frames (  2.0 s) +    60 padded",
                          "RuntimeError: mat1 and mat2 shapes cannot be multiplied (48x4096 and 4800x2048)"):
        assert sanitize(deterministic) == deterministic


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_checked_cells_hold_no_measured_time(path):
    """The sanitizer changes no stored checked output: everything a checked cell prints is compared."""
    nb = nbformat.read(path, as_version=4)
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.startswith("# NBVAL_CHECK_OUTPUT"):
            continue
        for output in cell.outputs:
            text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
            assert sanitize(text) == text, f"cell {number} prints something the sanitizer masks: {text!r}"


# matplotlib's warning when a font lacks a character (3.6+: "Glyph 54620 (\\N{HANGUL SYLLABLE PO}) missing
# from font(s) DejaVu Sans."; before: "Glyph 54620 missing from current font."): the text draws as boxes
MISSING_GLYPH = re.compile(r"Glyph \d+.*? missing from (?:current )?font")


def test_the_missing_glyph_pattern_matches_what_matplotlib_warns():
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure, axes = plt.subplots(figsize=(2, 1))
        axes.set_title("포즈 히트맵")
        figure.canvas.draw()
        plt.close(figure)
    messages = [str(w.message) for w in caught]
    assert any(MISSING_GLYPH.search(m) for m in messages), messages
    assert MISSING_GLYPH.search("UserWarning: Glyph 54252 missing from current font.")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_no_figure_lost_a_glyph(path):
    """Colab ships no Hangul font: a figure whose text the font cannot draw shows boxes, and matplotlib warns."""
    nb = nbformat.read(path, as_version=4)
    for number, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
            match = MISSING_GLYPH.search(text)
            assert not match, f"cell {number}: {match[0]!r}: a figure draws text its font lacks"
