import numpy as np
import pytest
import torch

from m2p_course.exercises import Incorrect, Outcome, Question, ____
from m2p_course.exercises.core import (
    as_whole_number,
    call_student,
    check_count,
    expect_close,
    expect_equal,
    expect_shape,
    expect_tensor_close,
)


def make_question():
    def checker(fn):
        expect_tensor_close(call_student(fn, torch.ones(3)), torch.full((3,), 2.0), "double(x)")
    return Question("q1", "Write double(x).", checker, ["Multiply.", "Use 2 * x."], "def double(x):\n    return 2 * x",
                    answer=lambda: (lambda x: 2 * x), success="Nice.")


def test_outcomes():
    q = make_question()
    assert q.evaluate(q.answer()).outcome is Outcome.CORRECT
    assert q.evaluate(q.answer()).message == "Nice."
    assert q.evaluate().outcome is Outcome.NOT_ATTEMPTED
    assert q.evaluate(lambda x: ____).outcome is Outcome.NOT_ATTEMPTED
    def todo(x):
        raise NotImplementedError
    assert q.evaluate(todo).outcome is Outcome.NOT_ATTEMPTED
    wrong = q.evaluate(lambda x: 3 * x)
    assert wrong.outcome is Outcome.INCORRECT and "values differ" in wrong.message
    crash = q.evaluate(lambda x: x @ torch.ones(2, 2))
    assert crash.outcome is Outcome.INCORRECT and "raised RuntimeError" in crash.message
    assert q.evaluate(5).outcome is Outcome.INCORRECT


def test_printing(capsys):
    q = make_question()
    q.check()
    q.check(q.answer())
    q.hint()
    q.hint(2)
    q.solution()
    out = capsys.readouterr().out
    assert "Not attempted yet" in out and "Correct: Nice." in out
    assert "Multiply." in out and "Use 2 * x." in out and "return 2 * x" in out


@pytest.mark.parametrize("call, ok", [
    (lambda: expect_equal(3, 3, "n"), True), (lambda: expect_equal(True, 1, "n"), False),
    (lambda: expect_equal(torch.Size([2, 3]), (2, 3), "s"), True),
    (lambda: expect_close(1.0001, 1.0, "x"), True), (lambda: expect_close(1.1, 1.0, "x"), False),
    (lambda: expect_close("1", 1.0, "x"), False),
    (lambda: expect_shape(torch.zeros(2, 3), (2, 3), "t"), True), (lambda: expect_shape([2, 4], (2, 3), "t"), False),
    (lambda: expect_tensor_close([1.0], torch.ones(1), "t"), False),
])
def test_expect_helpers(call, ok):
    from m2p_course.exercises import Incorrect
    if ok:
        call()
    else:
        with pytest.raises(Incorrect):
            call()


@pytest.mark.parametrize("value", [121, np.int64(121), np.int32(121), torch.tensor(121)])
def test_whole_numbers_in_any_integer_form(value):
    assert as_whole_number(value) == 121


@pytest.mark.parametrize("value", [True, np.True_, torch.tensor(True), 121.0, torch.tensor(121.0),
                                   torch.tensor([121]), "121", None])
def test_not_whole_numbers(value):
    assert as_whole_number(value) is None


def test_check_count_names_the_mistake_and_says_how_far():
    def check(answer):
        return check_count(answer, 1000, {900: "you forgot the biases."}, success="right", far="recount.",
                           close="add one layer at a time.")
    assert check(1000) == "right" and check(np.int64(1000)) == "right"
    for answer, message in [(900, "you forgot the biases."), (1500, "1,500 is far off: recount."),
                            (1100, "1,100 is close but not exact: add one layer at a time."),
                            (1000.0, "expected an exact whole number (an int), got float 1000.0")]:
        with pytest.raises(Incorrect) as caught:
            check(answer)
        assert str(caught.value) == message
