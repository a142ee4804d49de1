"""Korean edition in step with the English one (tools/translate.py check); the check fails on a stale cell."""

import importlib.util
import shutil
import sys
from pathlib import Path

import nbformat
import polib
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

ROOT = Path(__file__).parents[1]
spec = importlib.util.spec_from_file_location("translate", ROOT / "tools" / "translate.py")
translate = importlib.util.module_from_spec(spec)
sys.modules["translate"] = translate
spec.loader.exec_module(translate)

EDITION = translate.Edition()
STEMS = EDITION.stems()


# ---------------------------------------------------------------------------- the real notebooks

def test_every_english_notebook_has_its_korean_edition_and_nothing_else():
    assert len(STEMS) == 13
    assert sorted(p.stem for p in EDITION.ko_dir.glob("*.ipynb")) == STEMS
    assert sorted(p.stem for p in EDITION.po_dir.glob("*.po")) == STEMS
    assert translate.orphans() == []


@pytest.mark.parametrize("stem", STEMS)
def test_the_korean_notebook_is_in_step_with_the_english(stem):
    problems = translate.check(stem)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stem", STEMS)
def test_the_korean_notebook_chooses_korean_once_and_changes_no_other_code(stem):
    en, ko = (nbformat.read(path, as_version=4) for path in (EDITION.en(stem), EDITION.ko(stem)))
    changed = [(a.source, b.source) for a, b in zip(en.cells, ko.cells, strict=True)
               if a.cell_type == "code" and a.source != b.source]
    assert len(changed) == 1
    (english, korean), = changed
    assert english.replace(translate.SETUP_LINE, translate.KOREAN_SETUP_LINE) == korean


# ---------------------------------------------------------------------------- the check on a copy

SAMPLE = "03_positional_encoding"


@pytest.fixture
def edition(tmp_path):
    """A copy of one English notebook with a complete (made-up) translation, built: in step."""
    edition = translate.Edition(tmp_path / "notebooks")
    edition.en_dir.mkdir()
    shutil.copy(EDITION.en(SAMPLE), edition.en(SAMPLE))
    translate.update(SAMPLE, edition)
    po = polib.pofile(str(edition.po(SAMPLE)), wrapwidth=0)
    for number, entry in enumerate(po):
        entry.msgstr = f"번역 {number}: {entry.msgid.splitlines()[0]}"
    po.save()
    assert translate.build(SAMPLE, edition) == []
    assert translate.check(SAMPLE, edition) == []
    return edition


def english(edition):
    return nbformat.read(edition.en(SAMPLE), as_version=4)


def markdown_cells(nb):
    return [(number, cell) for number, cell in enumerate(nb.cells, start=1) if cell.cell_type == "markdown"]


def entry(edition, cell_id):
    (found,) = [e for e in polib.pofile(str(edition.po(SAMPLE))) if e.msgctxt == cell_id and not e.obsolete]
    return found


def translate_entry(edition, cell_id, text):
    """What a translator does in a PO editor: write the Korean, clear the fuzzy flag."""
    po = polib.pofile(str(edition.po(SAMPLE)), wrapwidth=0)
    (e,) = [e for e in po if e.msgctxt == cell_id and not e.obsolete]
    e.msgstr, e.previous_msgid = text, None
    if "fuzzy" in e.flags:
        e.flags.remove("fuzzy")
    po.save()


def assert_names(problems, *needles):
    assert problems, "the check passed"
    assert all(any(n in p for p in problems) for n in needles), "\n".join(problems)


def test_a_changed_english_markdown_cell_fails_naming_it_until_translated_again(edition):
    nb = english(edition)
    number, cell = markdown_cells(nb)[3]
    before = cell.source
    cell.source += "\n\nOne more sentence."
    nbformat.write(nb, edition.en(SAMPLE))

    problems = translate.check(SAMPLE, edition)
    assert_names(problems, f"03_positional_encoding.ipynb cell {number} (id {cell.id}",
                 "changed since it was translated")
    assert all(cell.id in p for p in problems), "\n".join(problems)

    report = translate.update(SAMPLE, edition)
    assert report.changed == [cell.id] and report.added == report.removed == []
    stale = entry(edition, cell.id)
    assert "fuzzy" in stale.flags and stale.previous_msgid == before and stale.msgid == cell.source
    assert stale.msgstr.startswith("번역 ")                     # the old translation is kept for the translator
    assert_names(translate.check(SAMPLE, edition), cell.id, "fuzzy")

    translate_entry(edition, cell.id, "새 번역")
    assert_names(translate.check(SAMPLE, edition), cell.id, "not what build writes")   # the notebook is not rebuilt
    assert translate.build(SAMPLE, edition) == []
    assert translate.check(SAMPLE, edition) == []
    assert nbformat.read(edition.ko(SAMPLE), as_version=4).cells[number - 1].source == "새 번역"


def test_an_added_cell_fails_naming_it(edition):
    nb = english(edition)
    new = new_markdown_cell("A new paragraph.")
    code = new_code_cell("print(1)")
    nb.cells[5:5] = [new, code]
    nbformat.write(nb, edition.en(SAMPLE))

    problems = translate.check(SAMPLE, edition)
    assert_names(problems, f"cell 6 (id {new.id}, markdown): added in English", f"cell 7 (id {code.id}, code)")
    translate.update(SAMPLE, edition)
    assert entry(edition, new.id).msgstr == ""
    assert_names(translate.check(SAMPLE, edition), f"cell 6 (id {new.id}, markdown): not translated yet")
    assert translate.build(SAMPLE, edition) == [f"cell 6 (id {new.id}): not translated yet (empty msgstr)"]
    assert_names(translate.check(SAMPLE, edition), "not translated yet")
    translate_entry(edition, new.id, "새 문단.")
    translate.build(SAMPLE, edition)
    assert translate.check(SAMPLE, edition) == []


def test_a_removed_cell_fails_naming_it_and_its_translation_is_kept_for_reuse(edition):
    nb = english(edition)
    number, cell = markdown_cells(nb)[2]
    del nb.cells[number - 1]
    code_number = next(n for n, c in enumerate(nb.cells, start=1) if c.cell_type == "code" and n > 3)
    code = nb.cells.pop(code_number - 1)
    nbformat.write(nb, edition.en(SAMPLE))

    problems = translate.check(SAMPLE, edition)
    assert_names(problems, f"has an entry for cell id {cell.id}", f"(id {cell.id}, markdown): not in the English",
                 f"(id {code.id}, code): not in the English")
    report = translate.update(SAMPLE, edition)
    assert report.removed == [cell.id]
    kept = [e for e in polib.pofile(str(edition.po(SAMPLE))) if e.obsolete]
    assert [e.msgid for e in kept] == [cell.source]                   # written as #~ lines
    translate.build(SAMPLE, edition)
    assert translate.check(SAMPLE, edition) == []

    nb.cells.insert(0, new_markdown_cell(cell.source))               # the same text comes back under a new id
    nbformat.write(nb, edition.en(SAMPLE))
    report = translate.update(SAMPLE, edition)
    assert report.reused == [nb.cells[0].id] and entry(edition, nb.cells[0].id).msgstr.startswith("번역 ")


def test_a_code_cell_that_differs_between_the_editions_fails_naming_it(edition):
    ko = nbformat.read(edition.ko(SAMPLE), as_version=4)
    number, cell = next((n, c) for n, c in enumerate(ko.cells, start=1) if c.cell_type == "code" and n > 3)
    cell.source += "\nprint('only in Korean')"
    nbformat.write(ko, edition.ko(SAMPLE))
    assert_names(translate.check(SAMPLE, edition),
                 f"cell {number} (id {cell.id}, code): the code differs", "+print('only in Korean')")

    translate.build(SAMPLE, edition)
    nb = english(edition)
    nb.cells[number - 1].source += "\nprint('only in English')"       # English code changed, Korean not rebuilt
    nbformat.write(nb, edition.en(SAMPLE))
    assert_names(translate.check(SAMPLE, edition), f"cell {number} (id {cell.id}, code): the code differs")
    translate.build(SAMPLE, edition)
    assert translate.check(SAMPLE, edition) == []


def test_the_setup_substitution_is_the_only_code_difference_allowed(edition):
    ko = nbformat.read(edition.ko(SAMPLE), as_version=4)
    (setup_cell,) = [c for c in ko.cells if translate.KOREAN_SETUP_LINE in c.source]
    setup_cell.source = setup_cell.source.replace(translate.KOREAN_SETUP_LINE, translate.SETUP_LINE)
    nbformat.write(ko, edition.ko(SAMPLE))
    assert_names(translate.check(SAMPLE, edition), f"(id {setup_cell.id}, code): the code differs")


def test_a_hand_edited_korean_markdown_cell_or_an_empty_translation_fails(edition):
    ko = nbformat.read(edition.ko(SAMPLE), as_version=4)
    number, cell = markdown_cells(ko)[1]
    cell.source = "손으로 고친 문단"
    nbformat.write(ko, edition.ko(SAMPLE))
    assert_names(translate.check(SAMPLE, edition), f"cell {number} (id {cell.id}, markdown): not what build writes")

    translate_entry(edition, cell.id, "")
    translate.build(SAMPLE, edition)
    assert nbformat.read(edition.ko(SAMPLE), as_version=4).cells[number - 1].source == english(edition).cells[
        number - 1].source                                               # built with the English meanwhile
    assert_names(translate.check(SAMPLE, edition), f"cell {number} (id {cell.id}, markdown): not translated yet")


def test_a_translation_that_loses_or_breaks_a_link_fails(edition):
    nb = english(edition)
    number, cell = markdown_cells(nb)[1]
    cell.source += f"\n\nSee [this notebook]({SAMPLE}.ipynb)."
    nbformat.write(nb, edition.en(SAMPLE))
    translate.update(SAMPLE, edition)
    translate_entry(edition, cell.id, "링크가 없는 번역")
    translate.build(SAMPLE, edition)
    assert_names(translate.check(SAMPLE, edition), f"(id {cell.id}, markdown): links missing from the translation")
    translate_entry(edition, cell.id, f"[이 노트북]({SAMPLE}.ipynb), [없는 노트북](99_none.ipynb)")
    translate.build(SAMPLE, edition)
    assert_names(translate.check(SAMPLE, edition), "to nothing in notebooks/ko: ['99_none.ipynb']")
    translate_entry(edition, cell.id, f"[이 노트북]({SAMPLE}.ipynb)을 보세요.")
    translate.build(SAMPLE, edition)
    assert translate.check(SAMPLE, edition) == []


def test_build_keeps_the_korean_run_while_only_markdown_changes(edition):
    ko = nbformat.read(edition.ko(SAMPLE), as_version=4)
    code = [c for c in ko.cells if c.cell_type == "code"]
    for number, cell in enumerate(code, start=1):                      # as if run_notebooks.py had run it
        cell.execution_count, cell.outputs = number, [new_output("stream", name="stdout", text=f"{number}\n")]
    nbformat.write(ko, edition.ko(SAMPLE))
    translate_entry(edition, markdown_cells(ko)[0][1].id, "# 03 · 새 제목")
    translate.build(SAMPLE, edition)
    kept = [c for c in nbformat.read(edition.ko(SAMPLE), as_version=4).cells if c.cell_type == "code"]
    assert [c.execution_count for c in kept] == list(range(1, len(code) + 1))
    assert kept[0].outputs[0].text == "1\n"

    nb = english(edition)
    next(c for c in nb.cells if c.cell_type == "code" and c is not nb.cells[1]).source += "\n"
    nbformat.write(nb, edition.en(SAMPLE))
    translate.build(SAMPLE, edition)                                   # code changed: the run is gone, rerun it
    cleared = [c for c in nbformat.read(edition.ko(SAMPLE), as_version=4).cells if c.cell_type == "code"]
    assert all(c.execution_count is None and c.outputs == [] for c in cleared)


def test_update_keeps_a_catalogue_byte_for_byte_and_accepts_one_without_ids_in_order(edition):
    text = edition.po(SAMPLE).read_text(encoding="utf-8")
    translate.update(SAMPLE, edition)
    assert edition.po(SAMPLE).read_text(encoding="utf-8") == text
    assert "msgctxt" in text and "Language: ko" in text

    po = polib.pofile(str(edition.po(SAMPLE)), wrapwidth=0)
    po.reverse()
    po.save()
    assert_names(translate.check(SAMPLE, edition), "not in the English notebook's cell order")
    translate.update(SAMPLE, edition)
    assert edition.po(SAMPLE).read_text(encoding="utf-8") == text


def test_orphans_and_unknown_names_are_reported(edition, capsys):
    shutil.copy(edition.ko(SAMPLE), edition.ko_dir / "99_gone.ipynb")
    assert translate.orphans(edition) == ["notebooks/ko/99_gone.ipynb: no English notebook notebooks/99_gone.ipynb "
                                          "(renamed or removed? move or delete it too)"]
    assert translate.main(["check", "--dir", str(edition.en_dir)]) == 1
    assert "99_gone" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no English notebook"):
        translate.main(["check", "42", "--dir", str(edition.en_dir)])
