"""The language switch and the Korean catalogue: complete, up to date with the code, compiled."""

import io
import re
import string
import textwrap
from pathlib import Path

import pytest
from babel.messages import extract, frontend, mofile, pofile

import m2p_course
from m2p_course import i18n

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "m2p_course/locale/ko/LC_MESSAGES/m2p_course.po"
MO = PO.with_suffix(".mo")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def catalog():
    with PO.open("rb") as fh:
        return pofile.read_po(fh, locale="ko")


@pytest.fixture(scope="module")
def extracted():
    """The msgids `pybabel extract -F babel.cfg` finds in the package's code now."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = frontend.parse_mapping_cfg(fh)
    found = set()
    for _file, _lineno, message, _comments, _context in extract.extract_from_dir(
            ROOT / "m2p_course", method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _entries(catalog):
    return [m for m in catalog if m.id]


def test_set_language_and_setup_choose_the_language(capsys):
    try:
        m2p_course.set_language("ko")
        assert m2p_course.get_language() == "ko"
        assert i18n._("device: {device}, seed: {seed}") == "장치: {device}, 시드: {seed}"
        m2p_course.setup(seed=0, lang="ko")
        assert "장치: " in capsys.readouterr().out
        m2p_course.setup(seed=0)                       # English is the default, once per notebook
        assert m2p_course.get_language() == "en"
        assert "device: " in capsys.readouterr().out
    finally:
        m2p_course.set_language("en")


@pytest.mark.parametrize("bad", ["fr", "KO", "", None, 1])
def test_a_bad_language_is_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"is not a language of the course; available: 'en', 'ko'"):
        m2p_course.set_language(bad)
    with pytest.raises(ValueError, match="not a language"):
        m2p_course.setup(seed=0, verbose=False, lang=bad)
    assert m2p_course.get_language() in m2p_course.LANGUAGES


def test_the_environment_variable_chooses_until_a_language_is_set(monkeypatch):
    monkeypatch.setattr(i18n, "_language", None)
    monkeypatch.setenv("M2P_LANG", "ko")
    assert i18n.get_language() == "ko"
    monkeypatch.setattr(i18n, "_language", None)
    monkeypatch.setenv("M2P_LANG", "de")
    with pytest.raises(ValueError, match=r"M2P_LANG='de' is not a language of the course"):
        i18n._("device: {device}, seed: {seed}")
    monkeypatch.setattr(i18n, "_language", None)
    monkeypatch.delenv("M2P_LANG")
    assert i18n.get_language() == "en"
    m2p_course.set_language("en")


def test_a_multi_line_text_is_looked_up_dedented():
    assert i18n.N_("""
        first line
          indented
        """) == "first line\n  indented"
    assert i18n.N_("  one line  ") == "  one line  "


def test_the_catalogue_has_every_msgid_of_the_code_and_no_other(catalog, extracted):
    in_po = {m.id if isinstance(m.id, str) else m.id[0] for m in _entries(catalog)}
    assert sorted(extracted - in_po) == [], "run pybabel extract and update (CONTRIBUTING.md), then translate"
    assert sorted(in_po - extracted) == [], "msgids no code uses any more: pybabel update removes them"


def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    empty = [m.id for m in _entries(catalog) if not all(m.string if isinstance(m.string, tuple) else [m.string])]
    fuzzy = [m.id for m in _entries(catalog) if m.fuzzy]
    assert empty == [] and fuzzy == []


def _is_code(text: str) -> bool:
    """Python code (an expression, or statements as a function's body): a hint or a solution with no prose."""
    try:
        compile("def f():\n" + textwrap.indent(text, "    "), "<msgid>", "exec")
    except SyntaxError:
        return False
    return True


def test_every_translation_is_korean_and_keeps_the_placeholders(catalog):
    def fields(text):
        return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)

    for m in _entries(catalog):
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for text in strings:
            # only code without a word of prose may stay as it is
            assert HANGUL.search(text) or (text == ids[0] and _is_code(text)), f"not Korean: {text!r}"
            assert fields(text) == fields(ids[-1]), f"the placeholders differ: {ids[0]!r} -> {text!r}"


def test_babel_finds_no_error_in_the_catalogue(catalog):
    """What `pybabel compile` checks (its exit status is 1 otherwise), %-placeholders included."""
    assert [(m.id, errors) for m, errors in catalog.check()] == []


def test_the_shipped_mo_is_compiled_from_the_po(catalog):
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalog)
    assert MO.read_bytes() == compiled.getvalue(), \
        "the .mo is stale: pybabel compile -d m2p_course/locale -D m2p_course"


# The glossary's Korean terms (GLOSSARY.ko.md: one English term, one translation) in the catalogue.
# Checked: the terms of several words, and the single words that are seldom also code; a term used as
# code (a placeholder, `layer`, x.shape, weights @ v, "dropout should return ...") is not prose.
GLOSSARY = ROOT / "GLOSSARY.ko.md"
SINGLE_WORDS = {"heatmap", "keypoint", "joint", "embedding", "dancer", "choreography", "tempo", "temperature",
                "padding", "dropout", "tensor", "dimension", "frame", "shape", "loss", "layer", "mask", "weights",
                "training"}
# what a translator might write instead of the glossary's term
NOT_THE_GLOSSARYS = ["훈련", "모양", "드랍아웃", "웨이트", "히트 맵", "키 포인트", "조인트", "트랜스포머", "그라디언트",
                     "메모리 초과", "포즈 헤드", "얼굴 헤드", "음악 피처", "음악 특성", "포지셔널", "피드 포워드",
                     "검증 셋", "샘플 레이트", "연습문제", "해답"]


def _glossary():
    rows = [line.split("|")[1:3] for line in GLOSSARY.read_text().splitlines()
            if line.startswith("| ") and "---" not in line][1:]
    return [(re.sub(r"\s*\(.*\)", "", english.strip()), korean.strip().split(" (")[0]) for english, korean in rows]


def _prose(text: str) -> str:
    if _is_code(text):
        return ""
    text = re.sub(r"\{[^}]*\}|`[^`]*`", " ", text)
    text = re.sub(r"\b\w+ should return\b", " ", text)                 # a student's function by its name
    return re.sub(r"[\w.]*[_.(\[][\w.,()\[\] =*/+-]*", " ", text)        # calls, attributes, snake_case names


def test_the_catalogue_uses_the_glossarys_terms(catalog):
    terms = [(e, k) for e, k in _glossary() if " " in e or e in SINGLE_WORDS]
    assert len(terms) > 30
    wrong = []
    for m in _entries(catalog):
        prose = _prose(m.id if isinstance(m.id, str) else m.id[0])
        for english, korean in terms:
            used = re.search(rf"(?<![\w.]){re.escape(english)}(s|es)?(?![\w(=.@\[])", prose)
            as_code = re.search(rf"(?<![\w.]){re.escape(english)}s? (x|@|\*|/) ", prose)
            if used and not as_code and korean not in m.string:
                wrong.append((english, korean, m.id, m.string))
        wrong += [(other, "", m.id, m.string) for other in NOT_THE_GLOSSARYS if other in m.string]
    assert wrong == []
