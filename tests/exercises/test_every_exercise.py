"""What every exercise module must do, checked for all of them (ex00, ex01, ...).

Each module's own test file adds the typical wrong answers its checkers must catch.
"""

import importlib
import math
import pkgutil
import re
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import m2p_course
import m2p_course.exercises as exercises
from m2p_course.exercises import Outcome, Question, ____

MODULES = sorted(info.name for info in pkgutil.iter_modules(exercises.__path__) if info.name.startswith("ex"))
QUESTIONS = [(name, q) for name in MODULES
             for q in vars(importlib.import_module(f"m2p_course.exercises.{name}")).values() if isinstance(q, Question)]


def test_every_notebook_has_two_to_four_exercises():
    assert MODULES == [f"ex{i:02d}" for i in range(len(MODULES))]
    for name in MODULES:
        count = sum(1 for module, _ in QUESTIONS if module == name)
        assert 2 <= count <= 4, f"{name} has {count} questions"


@pytest.mark.parametrize("module, question", QUESTIONS, ids=lambda x: x if isinstance(x, str) else x.name)
def test_reference_answer_is_correct(module, question):
    result = question.evaluate(question.answer())
    assert result.outcome is Outcome.CORRECT, result


@pytest.mark.parametrize("module, question", QUESTIONS, ids=lambda x: x if isinstance(x, str) else x.name)
def test_placeholder_is_not_attempted(module, question):
    assert question.evaluate(____).outcome is Outcome.NOT_ATTEMPTED
    assert question.evaluate().outcome is Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize("module, question", QUESTIONS, ids=lambda x: x if isinstance(x, str) else x.name)
def test_hint_and_solution_print(module, question, capsys):
    question.hint()
    question.solution()
    out = capsys.readouterr().out
    assert out.startswith("Hint") and "Solution:" in out and len(question.prompt) > 10


@pytest.mark.parametrize("module, question", QUESTIONS, ids=lambda x: x if isinstance(x, str) else x.name)
def test_printed_solution_runs_and_is_correct(module, question):
    """The code that solution() prints, run as a student would paste it, passes its own check.

    It runs with what the notebooks import (torch, F, nn, np, math and the package's names);
    the answer is the last name it defines.
    """
    given = {"torch": torch, "F": F, "nn": nn, "np": np, "math": math,
             **{name: getattr(m2p_course, name) for name in m2p_course.__all__}}
    namespace = dict(given)
    exec(textwrap.dedent(question._solution), namespace)
    defined = [name for name in namespace if name not in given and name != "__builtins__"]
    assert defined, "the solution defines nothing"
    result = question.evaluate(namespace[defined[-1]])
    assert result.outcome is Outcome.CORRECT, result


@pytest.fixture
def korean():
    """Korean for one test; fails it if a text shown was missing from the catalogue."""
    from m2p_course import i18n

    i18n.missing.clear()
    i18n.set_language("ko")
    yield
    i18n.set_language("en")
    assert sorted(i18n.missing) == [], "texts shown in Korean that the catalogue lacks"


HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.mark.parametrize("module, question", QUESTIONS, ids=lambda x: x if isinstance(x, str) else x.name)
def test_prompt_hints_solution_and_feedback_in_korean(module, question, korean, capsys):
    assert HANGUL.search(question.prompt) and question.prompt != question._prompt
    for n in range(1, len(question._hints) + 1):
        question.hint(n)
        assert capsys.readouterr().out.startswith("힌트")
    question.solution()
    assert capsys.readouterr().out.startswith("풀이:\n")
    assert str(question.evaluate(____)).startswith("아직 풀지 않았습니다: ____를 여러분의 답으로 바꾼 뒤")
    assert str(question.evaluate(question.answer())).startswith("정답")


@pytest.mark.parametrize("module, question", QUESTIONS, ids=lambda x: x if isinstance(x, str) else x.name)
def test_korean_solution_is_the_same_code(module, question, korean):
    """The Korean solution differs from the English one in its comments only, and passes its own check."""
    import io
    import tokenize

    def code(text):
        tokens = tokenize.generate_tokens(io.StringIO(textwrap.dedent(text)).readline)
        return [(t.type, t.string) for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL)]

    assert code(question.solution_code()) == code(question._solution)
    given = {"torch": torch, "F": F, "nn": nn, "np": np, "math": math,
             **{name: getattr(m2p_course, name) for name in m2p_course.__all__}}
    namespace = dict(given)
    exec(textwrap.dedent(question.solution_code()), namespace)
    defined = [name for name in namespace if name not in given and name != "__builtins__"]
    assert question.evaluate(namespace[defined[-1]]).outcome is Outcome.CORRECT
