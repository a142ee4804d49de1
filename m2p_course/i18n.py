"""The language of what the package prints for a student: English (the default) or Korean.

Standard library gettext; the catalogue is ``locale/ko/LC_MESSAGES/m2p_course.po``, shipped compiled
(``.mo``) beside it. Choose the language once per notebook::

    device = setup(seed=0, lang="ko")       # or set_language("ko"); on the command line M2P_LANG=ko

In the package's code:

- ``_("text")`` translates now: inside a function that runs when the text is shown (a checker, a
  widget's builder, the command line's parser). Placeholders are named and filled after
  translation, ``_("expected {n}, got {m}").format(n=..., m=...)``, so the translator can move them.
- ``ngettext("{n} frame", "{n} frames", n)`` where a number decides the form.
- ``N_("text")`` only marks a text for the catalogue, for one defined at import time (a module-level
  constant, a ``Question``'s prompt, hints and solution); the code that shows it calls ``_()`` on it
  then, so that ``setup(lang="ko")`` after the import still changes it.

A text of several lines (a prompt, a solution's code) is looked up dedented and stripped, the form in
which ``pybabel extract`` (through :func:`extract`, see ``babel.cfg``) writes it to the catalogue.
The package's errors (ValueError, TypeError) stay English, as the guide's own are: they are not marked.
"""

from __future__ import annotations

import gettext as _gettext
import os
import textwrap
from pathlib import Path

__all__ = ["LANGUAGES", "DOMAIN", "LOCALE_DIR", "set_language", "get_language", "_", "N_", "ngettext"]

LANGUAGES = ("en", "ko")
DOMAIN = "m2p_course"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENV_VAR = "M2P_LANG"

_language: str | None = None           # None: not chosen yet, M2P_LANG (or English) decides on first use
_translations: _gettext.NullTranslations = _gettext.NullTranslations()
# msgids looked up in a language whose catalogue lacks them (the tests assert there are none)
missing: set[str] = set()


def _check_language(lang: object, where: str) -> str:
    if not isinstance(lang, str) or lang not in LANGUAGES:
        available = ", ".join(repr(x) for x in LANGUAGES)
        raise ValueError(f"{where}={lang!r} is not a language of the course; available: {available}")
    return lang


def set_language(lang: str) -> None:
    """Print everything for a student in ``lang`` from now on: "en" (English) or "ko" (Korean)."""
    global _language, _translations
    _check_language(lang, "lang")
    if lang == "en":
        _translations = _gettext.NullTranslations()
    else:
        _translations = _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])
    _language = lang


def get_language() -> str:
    """The language in use: the one chosen last, else the environment variable M2P_LANG, else "en"."""
    if _language is None:
        set_language(_check_language(os.environ.get(ENV_VAR, "en") or "en", ENV_VAR))
    return _language


def normalise(message: str) -> str:
    """The msgid of a text: a text of several lines dedented and stripped, a one-line text as it is."""
    return textwrap.dedent(message).strip() if "\n" in message else message


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for it)
    """Mark ``message`` for the catalogue without translating it (translate it with ``_()`` when shown)."""
    return normalise(message)


def _(message: str) -> str:
    """``message`` in the language in use."""
    msgid = normalise(message)
    if get_language() == "en":
        return msgid
    if msgid not in _catalog():
        missing.add(msgid)
    return _translations.gettext(msgid)


def ngettext(singular: str, plural: str, n: int) -> str:
    """``singular`` or ``plural``, as ``n`` asks, in the language in use."""
    if get_language() == "en":
        return singular if n == 1 else plural
    translated = _translations.ngettext(singular, plural, n)
    if (singular, 0) not in _catalog():
        missing.add(singular)
    return translated


def _catalog() -> dict:
    return getattr(_translations, "_catalog", {})


def extract(fileobj, keywords, comment_tags, options):
    """``pybabel extract``'s Python extractor, with each msgid normalised as ``_()`` looks it up.

    Named in ``babel.cfg``; needs babel (a development dependency), the package at run time does not.
    """
    from babel.messages.extract import extract_python

    for lineno, funcname, messages, comments in extract_python(fileobj, keywords, comment_tags, options):
        if isinstance(messages, tuple):
            messages = tuple(None if m is None else normalise(m) for m in messages)
        elif messages is not None:
            messages = normalise(messages)
        yield lineno, funcname, messages, comments
