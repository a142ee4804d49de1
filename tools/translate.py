#!/usr/bin/env python
"""The Korean edition of the notebooks, kept in step with the English one: gettext catalogues + a sync check.

    python tools/translate.py update [NN ...]   # English notebooks -> notebooks/ko/po/NN_stage.po
    python tools/translate.py build  [NN ...]   # English notebook + its .po -> notebooks/ko/NN_stage.ipynb
    python tools/translate.py check  [NN ...]   # exit 1, naming notebook and cell, if the editions differ
    python tools/translate.py status [NN ...]   # per notebook: cells translated, fuzzy, missing

``NN`` selects notebooks by name prefix (``04`` or ``04_attention``) or path; default: all of them.

One source of truth for each part of a Korean notebook:

- **code cells** are the English notebook's, character for character; the only change is the one
  substitution below (``SETUP_LINE`` -> ``KOREAN_SETUP_LINE``), which makes the package speak
  Korean (exercise feedback, widget labels). The check allows exactly that difference.
- **markdown cells** come from the gettext catalogue ``notebooks/ko/po/NN_stage.po`` (read and
  written with polib): one entry per English markdown cell, in cell order; ``msgctxt`` is the cell's
  id, ``msgid`` the English source exactly (so the entry carries the very text it translates: the
  check compares it with the English notebook), ``msgstr`` the Korean. When the English changes,
  ``update`` marks the entry ``#, fuzzy`` and keeps the text it translated as ``#| msgid`` (what
  ``msgmerge`` does), so a PO editor such as Poedit shows the translator what changed.
- **outputs** come from running the Korean notebook (``tools/run_notebooks.py``), never from the
  English one. ``build`` keeps the stored Korean outputs when only markdown changed, and clears them
  all when any code cell changed (the notebook must then be re-executed).

``check`` reports, for each notebook: an English markdown cell changed since its translation (the
entry's msgid differs from the English source, or it is fuzzy); a cell added or removed (English
notebook, Korean notebook and catalogue compared by cell id); an empty translation; a code cell that
differs between the editions beyond the setup substitution; a Korean markdown cell that is not what
``build`` would write; a link to another notebook that the Korean text lost or that points nowhere.
tests/test_translations.py runs it for every notebook, so README's test command fails on a stale cell.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import polib

ROOT = Path(__file__).resolve().parents[1]
LANG = "ko"
# The one code change the tool makes: the setup line chooses the package's language.
SETUP_LINE = "device = setup(seed=0)"
KOREAN_SETUP_LINE = 'device = setup(seed=0, lang="ko")'
_SETUP_RE = re.compile(rf"^{re.escape(SETUP_LINE)}$", flags=re.MULTILINE)
PO_HEADER = {
    "Project-Id-Version": "m2p-course",
    "Language": LANG,
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}
WRAP = 0  # polib: no wrapping; one quoted string per source line, as the translators write them
# a markdown link or image target: ](target) or src="target"
_LINK_RE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|\bsrc=[\"']([^\"']+)[\"']")


class TranslationError(ValueError):
    """A notebook or catalogue the tool cannot work with (the message says which and why)."""


@dataclass(frozen=True)
class Edition:
    """Where the English notebooks, the Korean notebooks and their catalogues live."""

    en_dir: Path = ROOT / "notebooks"

    @property
    def ko_dir(self) -> Path:
        return self.en_dir / LANG

    @property
    def po_dir(self) -> Path:
        return self.ko_dir / "po"

    def en(self, stem: str) -> Path:
        return self.en_dir / f"{stem}.ipynb"

    def ko(self, stem: str) -> Path:
        return self.ko_dir / f"{stem}.ipynb"

    def po(self, stem: str) -> Path:
        return self.po_dir / f"{stem}.po"

    def stems(self) -> list[str]:
        return sorted(p.stem for p in self.en_dir.glob("*.ipynb"))

    def label(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.en_dir.parent))
        except ValueError:
            return str(path)


# ---------------------------------------------------------------------------- the code

def localise_code(source: str) -> str:
    """A code cell's source as the Korean edition has it: the setup line chooses Korean, nothing else changes."""
    return _SETUP_RE.sub(KOREAN_SETUP_LINE, source)


def _setup_lines(nb) -> int:
    return sum(len(_SETUP_RE.findall(c.source)) for c in nb.cells if c.cell_type == "code")


# ---------------------------------------------------------------------------- reading

def read_notebook(path: Path):
    if not path.exists():
        raise TranslationError(f"{path} does not exist")
    nb = nbformat.read(path, as_version=4)
    ids = [cell.get("id") for cell in nb.cells]
    if None in ids or len(set(ids)) != len(ids):
        raise TranslationError(f"{path}: every cell needs its own id (nbformat 4.5); "
                               f"missing or repeated: {[i for i in ids if i is None or ids.count(i) > 1][:5]}")
    return nb


def read_catalogue(path: Path) -> polib.POFile:
    if not path.exists():
        raise TranslationError(f"{path} does not exist: run `python tools/translate.py update` to create it")
    return polib.pofile(str(path), wrapwidth=WRAP, encoding="utf-8")


def _entries(po: polib.POFile) -> dict[str, polib.POEntry]:
    """The catalogue's live entries by cell id (obsolete ``#~`` entries are kept for reuse, not used)."""
    entries: dict[str, polib.POEntry] = {}
    for entry in po:
        if entry.obsolete:
            continue
        if not entry.msgctxt:
            raise TranslationError(f"{po.fpath}: the entry for {entry.msgid[:40]!r} has no msgctxt (the cell id)")
        if entry.msgctxt in entries:
            raise TranslationError(f"{po.fpath}: two entries for cell id {entry.msgctxt}")
        entries[entry.msgctxt] = entry
    return entries


def _markdown_cells(nb, path: Path) -> list[tuple[int, object]]:
    """(number from 1, cell) of each markdown cell; an empty one is refused (it has nothing to translate)."""
    found = [(number, cell) for number, cell in enumerate(nb.cells, start=1) if cell.cell_type == "markdown"]
    for number, cell in found:
        if not cell.source.strip():
            raise TranslationError(f"{path}, cell {number} (id {cell.id}): an empty markdown cell; delete it")
    return found


def is_translated(entry: polib.POEntry | None, source: str) -> bool:
    """Whether ``entry`` holds a current translation of ``source``."""
    return (entry is not None and entry.msgid == source and bool(entry.msgstr.strip())
            and "fuzzy" not in entry.flags)


# ---------------------------------------------------------------------------- update

@dataclass
class UpdateReport:
    added: list[str] = field(default_factory=list)      # cell ids
    changed: list[str] = field(default_factory=list)    # now fuzzy
    removed: list[str] = field(default_factory=list)    # now obsolete
    reused: list[str] = field(default_factory=list)     # a new id whose English text had a translation


def update(stem: str, edition: Edition = Edition()) -> UpdateReport:
    """Create or update ``stem``'s catalogue from its English notebook; translations are kept."""
    en_path, po_path = edition.en(stem), edition.po(stem)
    en = read_notebook(en_path)
    markdown = _markdown_cells(en, en_path)
    if po_path.exists():
        old = read_catalogue(po_path)
        metadata = dict(old.metadata)
        header = old.header
    else:
        old, metadata, header = None, dict(PO_HEADER), ""
    entries = _entries(old) if old is not None else {}
    obsolete = [e for e in old if e.obsolete] if old is not None else []
    # a translation that is no longer attached to a cell id can still serve the same English text
    spare = {e.msgid: e for e in obsolete}
    spare.update({e.msgid: e for cid, e in entries.items() if cid not in {c.id for _, c in markdown}})

    report = UpdateReport()
    po = polib.POFile(wrapwidth=WRAP, encoding="utf-8", check_for_duplicates=False)
    po.metadata, po.header = metadata, header
    for _, cell in markdown:
        entry = entries.pop(cell.id, None)
        if entry is None:
            reused = spare.pop(cell.source, None)
            entry = polib.POEntry(msgctxt=cell.id, msgid=cell.source, msgstr="")
            if reused is not None and reused.msgstr:
                entry.msgstr, entry.flags = reused.msgstr, list(reused.flags)
                entry.previous_msgid = reused.previous_msgid
                report.reused.append(cell.id)
            else:
                report.added.append(cell.id)
        else:
            entry = copy.deepcopy(entry)
            if entry.msgid != cell.source:
                if entry.msgstr and "fuzzy" not in entry.flags:
                    entry.flags.append("fuzzy")
                    entry.previous_msgid = entry.msgid   # the text the translation was made for
                if entry.msgstr:
                    report.changed.append(cell.id)
                entry.msgid = cell.source
        entry.obsolete = False
        po.append(entry)
    for cid, entry in entries.items():                        # cells removed from the English notebook
        if entry.msgstr:
            dead = copy.deepcopy(entry)
            dead.obsolete = True
            obsolete.append(dead)
        report.removed.append(cid)
    seen = {e.msgid for e in po}
    for entry in obsolete:                                   # one obsolete copy of each text, none that is live
        if entry.msgid not in seen and entry.msgstr:
            seen.add(entry.msgid)
            entry.obsolete = True
            po.append(entry)
    po_path.parent.mkdir(parents=True, exist_ok=True)
    text = str(po)
    if not po_path.exists() or po_path.read_text(encoding="utf-8") != text:
        po_path.write_text(text, encoding="utf-8")
    return report


# ---------------------------------------------------------------------------- build

def _expected_markdown(cell, entry: polib.POEntry | None) -> str:
    """What ``build`` writes for an English markdown cell: its translation, or the English while there is none."""
    return entry.msgstr if is_translated(entry, cell.source) else cell.source


def _code_signature(nb) -> list[tuple]:
    return [(c.id, c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells if c.cell_type != "markdown"]


def build(stem: str, edition: Edition = Edition()) -> list[str]:
    """Write ``notebooks/ko/<stem>.ipynb``; returns the cells still in English (no current translation)."""
    en_path, ko_path = edition.en(stem), edition.ko(stem)
    en = read_notebook(en_path)
    if _setup_lines(en) != 1:
        raise TranslationError(f"{en_path}: needs exactly one line `{SETUP_LINE}` (the Korean edition turns it "
                               f"into `{KOREAN_SETUP_LINE}`); found {_setup_lines(en)}")
    entries = _entries(read_catalogue(edition.po(stem)))
    _markdown_cells(en, en_path)
    untranslated = []
    cells = []
    for number, cell in enumerate(en.cells, start=1):
        new = copy.deepcopy(cell)
        if cell.cell_type == "markdown":
            entry = entries.get(cell.id)
            new.source = _expected_markdown(cell, entry)
            if not is_translated(entry, cell.source):
                untranslated.append(f"cell {number} (id {cell.id}): {_why_untranslated(entry, cell.source)}")
        elif cell.cell_type == "code":
            new.source = localise_code(cell.source)
            new.outputs, new.execution_count = [], None
        cells.append(new)
    ko = copy.deepcopy(en)
    ko.cells = cells
    old = read_notebook(ko_path) if ko_path.exists() else None
    if old is not None and _code_signature(old) == _code_signature(ko):
        ran = {c.id: c for c in old.cells if c.cell_type == "code"}   # only markdown changed: keep the run
        for cell in ko.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = ran[cell.id].outputs, ran[cell.id].execution_count
        ko.metadata = old.metadata
    ko_path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(ko)
    text += "" if text.endswith("\n") else "\n"   # as nbformat.write ends the file
    if not ko_path.exists() or ko_path.read_text(encoding="utf-8") != text:
        ko_path.write_text(text, encoding="utf-8")
    return untranslated


def _why_untranslated(entry: polib.POEntry | None, source: str) -> str:
    if entry is None:
        return "no entry in the catalogue (run update)"
    if entry.msgid != source:
        return "the English text changed since it was translated (run update, then translate the fuzzy entry)"
    if "fuzzy" in entry.flags:
        return "fuzzy: the English changed since it was translated; translate it again and clear the flag"
    return "not translated yet (empty msgstr)"


# ---------------------------------------------------------------------------- check

def _links(text: str) -> list[str]:
    """Relative link targets in markdown (no URL, no #anchor-only), without their #fragment."""
    found = []
    for match in _LINK_RE.finditer(text):
        target = match[1] or match[2]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.IGNORECASE) or target.startswith("#"):
            continue
        found.append(target.split("#", 1)[0])
    return found


def _short_diff(old: str, new: str, limit: int = 8) -> str:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), "English", "Korean", lineterm="", n=0))
    shown = lines[2:2 + limit] + (["..."] if len(lines) > 2 + limit else [])
    return "\n      ".join(shown)


def check(stem: str, edition: Edition = Edition()) -> list[str]:
    """Every way the Korean edition of ``stem`` is out of step with the English one; [] when in step."""
    en_path, ko_path, po_path = edition.en(stem), edition.ko(stem), edition.po(stem)
    name = edition.label(en_path)
    try:
        en = read_notebook(en_path)
        markdown = _markdown_cells(en, en_path)
    except TranslationError as error:
        return [str(error)]
    problems: list[str] = []

    def where(number: int, cell, kind: str = "") -> str:
        return f"{name} cell {number} (id {cell.id}{', ' + kind if kind else ''})"

    # 1. the catalogue against the English markdown cells
    try:
        entries = _entries(read_catalogue(po_path))
    except (TranslationError, OSError, ValueError) as error:
        problems.append(f"{name}: {error}")
        entries = None
    if entries is not None:
        po_name = edition.label(po_path)
        en_ids = [c.id for _, c in markdown]
        for number, cell in markdown:
            entry = entries.get(cell.id)
            if entry is None:
                problems.append(f"{where(number, cell, 'markdown')}: added in English, no entry in {po_name} "
                                "(run update, then translate it)")
            elif entry.msgid != cell.source:
                problems.append(f"{where(number, cell, 'markdown')}: the English text changed since it was "
                                f"translated (run update, then translate the fuzzy entry):\n      "
                                + _short_diff(entry.msgid, cell.source).replace("Korean", "English now"))
            elif "fuzzy" in entry.flags:
                problems.append(f"{where(number, cell, 'markdown')}: the translation in {po_name} is fuzzy (the "
                                "English changed since it was made): translate it again and clear the flag")
            elif not entry.msgstr.strip():
                problems.append(f"{where(number, cell, 'markdown')}: not translated yet (empty msgstr in {po_name})")
            else:
                ko_links, en_links = _links(entry.msgstr), _links(cell.source)
                lost = [t for t in en_links if t not in ko_links]
                broken = [t for t in ko_links if not (edition.ko_dir / t).exists()]
                if lost or broken:
                    problems.append(f"{where(number, cell, 'markdown')}: links " + "; ".join(
                        ([f"missing from the translation: {lost}"] if lost else [])
                        + ([f"to nothing in {edition.label(edition.ko_dir)}: {broken}"] if broken else [])))
        for cid, entry in entries.items():
            if cid not in en_ids:
                problems.append(f"{name}: {po_name} has an entry for cell id {cid} ({entry.msgid[:50]!r}...), "
                                "which is not a markdown cell of the English notebook (removed there? run update)")
        live = [cid for cid in entries if cid in en_ids]
        if live != [cid for cid in en_ids if cid in entries]:
            problems.append(f"{name}: the entries of {po_name} are not in the English notebook's cell order "
                            "(run update)")

    # 2. the stored Korean notebook against the English notebook and what build writes
    if _setup_lines(en) != 1:
        problems.append(f"{name}: needs exactly one line `{SETUP_LINE}` (found {_setup_lines(en)})")
    if not ko_path.exists():
        problems.append(f"{name}: no Korean notebook {edition.label(ko_path)} (run build)")
        return problems
    try:
        ko = read_notebook(ko_path)
    except (TranslationError, ValueError) as error:
        return problems + [f"{edition.label(ko_path)}: {error}"]
    ko_name = edition.label(ko_path)
    en_cells = {c.id: (n, c) for n, c in enumerate(en.cells, start=1)}
    ko_cells = {c.id: (n, c) for n, c in enumerate(ko.cells, start=1)}
    for cid, (number, cell) in en_cells.items():
        if cid not in ko_cells:
            problems.append(f"{where(number, cell, cell.cell_type)}: added in English, missing from {ko_name} "
                            "(run update and build)")
    for cid, (number, cell) in ko_cells.items():
        if cid not in en_cells:
            problems.append(f"{ko_name} cell {number} (id {cid}, {cell.cell_type}): not in the English notebook "
                            "(removed there? run update and build)")
    common_en = [c.id for c in en.cells if c.id in ko_cells]
    common_ko = [c.id for c in ko.cells if c.id in en_cells]
    if common_en != common_ko:
        problems.append(f"{ko_name}: the cells are not in the English notebook's order (run build)")
    for cid, (number, cell) in en_cells.items():
        if cid not in ko_cells:
            continue
        ko_number, ko_cell = ko_cells[cid]
        if ko_cell.cell_type != cell.cell_type:
            problems.append(f"{where(number, cell)}: {cell.cell_type} in English, {ko_cell.cell_type} in Korean")
        elif cell.cell_type == "markdown":
            if entries is not None and ko_cell.source != _expected_markdown(cell, entries.get(cid)):
                problems.append(f"{ko_name} cell {ko_number} (id {cid}, markdown): not what build writes from "
                                f"{edition.label(po_path)} (run build; edit the .po, never the Korean notebook)")
        else:
            expected = localise_code(cell.source)
            if ko_cell.source != expected:
                problems.append(f"{where(number, cell, cell.cell_type)}: the code differs between the editions "
                                f"(only `{SETUP_LINE}` -> `{KOREAN_SETUP_LINE}` may; run build):\n      "
                                + _short_diff(expected, ko_cell.source))
            elif cell.metadata.get("tags", []) != ko_cell.metadata.get("tags", []):
                problems.append(f"{where(number, cell, cell.cell_type)}: its tags differ between the editions "
                                f"({cell.metadata.get('tags', [])} vs {ko_cell.metadata.get('tags', [])}; run build)")
    return problems


def orphans(edition: Edition = Edition()) -> list[str]:
    """Korean notebooks and catalogues whose English notebook does not exist."""
    stems = set(edition.stems())
    found = [p for p in sorted(edition.ko_dir.glob("*.ipynb")) + sorted(edition.po_dir.glob("*.po"))
             if p.stem not in stems]
    return [f"{edition.label(p)}: no English notebook {edition.label(edition.en(p.stem))} (renamed or removed? "
            "move or delete it too)" for p in found]


def status(stem: str, edition: Edition = Edition()) -> tuple[int, int, list[str]]:
    """(translated, markdown cells, the untranslated cells described) for ``stem``."""
    en = read_notebook(edition.en(stem))
    markdown = _markdown_cells(en, edition.en(stem))
    entries = _entries(read_catalogue(edition.po(stem))) if edition.po(stem).exists() else {}
    missing = [f"cell {n} (id {c.id}): {_why_untranslated(entries.get(c.id), c.source)}"
               for n, c in markdown if not is_translated(entries.get(c.id), c.source)]
    return len(markdown) - len(missing), len(markdown), missing


# ---------------------------------------------------------------------------- command line

def select(edition: Edition, names: list[str]) -> list[str]:
    stems = edition.stems()
    if not names:
        return stems
    chosen = []
    for name in names:
        stem = Path(name).stem
        matches = [s for s in stems if s == stem or s.startswith(stem)]
        if not matches:
            raise SystemExit(f"no English notebook in {edition.en_dir} matches {name!r}; there are {stems}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("update", "build", "check", "status"))
    parser.add_argument("notebooks", nargs="*", help="name prefixes or paths (default: every English notebook)")
    parser.add_argument("--dir", type=Path, default=ROOT / "notebooks", help="the English notebooks' folder")
    args = parser.parse_intermixed_args(argv)
    edition = Edition(args.dir.resolve())
    stems = select(edition, args.notebooks)
    failed = False
    try:
        if args.command == "update":
            for stem in stems:
                r = update(stem, edition)
                print(f"{edition.label(edition.po(stem)):44s} {len(r.added)} added, {len(r.changed)} now fuzzy, "
                      f"{len(r.removed)} removed, {len(r.reused)} reused"
                      + "".join(f"\n    {what}: {' '.join(ids)}" for what, ids in
                                (("fuzzy", r.changed), ("removed", r.removed), ("reused", r.reused)) if ids))
        elif args.command == "build":
            for stem in stems:
                left = build(stem, edition)
                print(f"{edition.label(edition.ko(stem)):44s} "
                      + ("all markdown translated" if not left else f"{len(left)} cells still in English:")
                      + "".join(f"\n    {line}" for line in left))
        elif args.command == "status":
            for stem in stems:
                done, total, missing = status(stem, edition)
                print(f"{stem:32s} {done:3d}/{total:<3d} translated" + "".join(f"\n    {m}" for m in missing))
        else:
            problems = [p for stem in stems for p in check(stem, edition)]
            if not args.notebooks:
                problems += orphans(edition)
            for problem in problems:
                print(problem)
            print(f"{len(stems)} notebooks checked: "
                  + (f"{len(problems)} problems" if problems else "the Korean edition is in step"))
            failed = bool(problems)
    except TranslationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
