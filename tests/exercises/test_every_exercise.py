"""What every exercise module must do, checked for all of them (ex00, ex01, ...).

Each module's own test file adds the typical wrong answers its checkers must catch.
"""

import importlib
import pkgutil

import pytest

import m2p_course.exercises as exercises
from m2p_course.exercises import ____, Outcome, Question

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
