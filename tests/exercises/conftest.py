"""The exercises' wrong-answer tests run in both languages: ``feedback(question, answer)``."""

import re

import pytest

from m2p_course import i18n

HANGUL = re.compile(r"[\uac00-\ud7a3]")
PROSE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")


@pytest.fixture(params=["en", "ko"])
def feedback(request):
    """``feedback(question, answer) -> Result``: the English result, whose message the test checks.

    Under "ko" the answer is checked in Korean first: the same outcome, a message in Korean (Hangul,
    or no prose at all, e.g. "50 x 48 + 20 = 2420."), and every text shown taken from the catalogue
    (no msgid missing from it); then in English, which the test's assertions check, so that they prove
    the Korean message came from the same branch of the checker.
    """
    lang = request.param

    def evaluate(question, answer):
        if lang == "en":
            return question.evaluate(answer)
        i18n.missing.clear()
        i18n.set_language("ko")
        try:
            korean = question.evaluate(answer)
        finally:
            i18n.set_language("en")
        english = question.evaluate(answer)
        assert sorted(i18n.missing) == [], "texts shown in Korean that the catalogue lacks"
        assert korean.outcome is english.outcome, (korean, english)
        assert HANGUL.search(korean.message) or (korean.message == english.message
                                                 and not PROSE.search(english.message)), korean
        assert HANGUL.search(str(korean)), korean      # the outcome's label at least: 정답, 오답
        return english

    yield evaluate
    i18n.set_language("en")
