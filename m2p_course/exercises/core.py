"""The machinery behind every exercise: ``Question.check / hint / solution``."""

from __future__ import annotations

import enum
import operator
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["____", "Incorrect", "Outcome", "Result", "Question",
           "expect_equal", "expect_close", "expect_shape", "expect_tensor_close", "as_whole_number", "check_count"]


class _Placeholder:
    """The blank a student fills in. Any answer that is (or returns) it counts as not attempted."""

    def __repr__(self) -> str:
        return "____"


____ = _Placeholder()


class Incorrect(Exception):
    """Raised by a checker with the message a student sees."""


class Outcome(enum.Enum):
    CORRECT = "Correct"
    INCORRECT = "Incorrect"
    NOT_ATTEMPTED = "Not attempted yet"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    message: str

    @property
    def correct(self) -> bool:
        return self.outcome is Outcome.CORRECT

    def __str__(self) -> str:
        return f"{self.outcome.value}: {self.message}" if self.message else self.outcome.value


class Question:
    """One exercise.

    ``checker(answer)`` returns nothing when the answer is right (or a short note to show)
    and raises ``Incorrect("what is wrong")`` otherwise. ``answer()`` builds the reference
    answer (a value or a function) that the tests feed back to the checker.
    """

    def __init__(self, name: str, prompt: str, checker: Callable[[Any], str | None], hint: str | Sequence[str],
                 solution: str, answer: Callable[[], Any], success: str = ""):
        self.name = name
        self.prompt = textwrap.dedent(prompt).strip()
        self._checker = checker
        self._hints = [hint] if isinstance(hint, str) else list(hint)
        self._solution = textwrap.dedent(solution).strip()
        self._answer = answer
        self._success = success

    def evaluate(self, answer: Any = ____) -> Result:
        """Check an answer and return the ``Result`` (what ``check`` prints)."""
        if _is_placeholder(answer):
            return Result(Outcome.NOT_ATTEMPTED,
                          f"replace ____ with your answer, then run ex.{self.name}.check(...) again.")
        try:
            note = self._checker(answer)
        except Incorrect as exc:
            return Result(Outcome.INCORRECT, str(exc))
        except NotImplementedError:
            return Result(Outcome.NOT_ATTEMPTED, "your function still raises NotImplementedError.")
        except _PlaceholderReturned:
            return Result(Outcome.NOT_ATTEMPTED, "your function still returns ____.")
        except Exception as exc:  # a student's code failing is an answer, not a crash of the checker
            return Result(Outcome.INCORRECT, f"your answer raised {type(exc).__name__}: {exc}")
        return Result(Outcome.CORRECT, note or self._success)

    def check(self, answer: Any = ____) -> None:
        """Print whether ``answer`` is correct, with a hint of what is wrong if not."""
        print(self.evaluate(answer))

    def hint(self, n: int = 1) -> None:
        """Print hint ``n`` (1 = the gentlest)."""
        n = max(1, min(n, len(self._hints)))
        last = n == len(self._hints)
        more = "" if last else f" (hint {n} of {len(self._hints)}; ex.{self.name}.hint({n + 1}) for more)"
        print(f"Hint{more}: {self._hints[n - 1]}")

    def solution(self) -> None:
        """Print the solution code."""
        print(f"Solution:\n{self._solution}")

    def answer(self) -> Any:
        """The reference answer (used by the tests; students: try first!)."""
        return self._answer()

    def __repr__(self) -> str:
        return f"{self.name}: {self.prompt}"


class _PlaceholderReturned(Exception):
    pass


def _is_placeholder(answer: Any) -> bool:
    if answer is ____:
        return True
    if isinstance(answer, (tuple, list)):
        return any(a is ____ for a in answer)
    return False


def call_student(fn: Callable, *args, **kwargs):
    """Call a student's function; a returned ``____`` means not attempted."""
    if not callable(fn):
        raise Incorrect(f"expected a function, got {type(fn).__name__}")
    out = fn(*args, **kwargs)
    if out is ____:
        raise _PlaceholderReturned
    return out


def expect_equal(answer: Any, expected: Any, what: str) -> None:
    """Exact equality for ints, strings, tuples; bools are not ints here."""
    if isinstance(answer, torch.Size):
        answer = tuple(answer)
    if isinstance(answer, bool) != isinstance(expected, bool) or answer != expected:
        raise Incorrect(f"{what}: expected {expected!r}, got {answer!r}")


def expect_close(answer: Any, expected: float, what: str, rel: float = 1e-3) -> None:
    """A number within a relative tolerance."""
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
        raise Incorrect(f"{what}: expected a number, got {type(answer).__name__}")
    if not np.isclose(float(answer), expected, rtol=rel, atol=0.0):
        raise Incorrect(f"{what}: expected about {expected:.6g}, got {float(answer):.6g}")


def expect_shape(answer: Any, expected: tuple[int, ...], what: str) -> None:
    """A tensor or array with this shape, or the shape itself."""
    shape = tuple(answer.shape) if hasattr(answer, "shape") else answer
    if isinstance(shape, (list, torch.Size)):
        shape = tuple(shape)
    if shape != tuple(expected):
        raise Incorrect(f"{what}: expected shape {tuple(expected)}, got {shape!r}")


def expect_tensor_close(answer: Any, expected: torch.Tensor, what: str, atol: float = 1e-5) -> None:
    """A tensor of the right shape whose values match ``expected``."""
    if not isinstance(answer, torch.Tensor):
        raise Incorrect(f"{what}: expected a torch.Tensor, got {type(answer).__name__}")
    expect_shape(answer, tuple(expected.shape), what)
    if not torch.allclose(answer.detach().float().cpu(), expected.float().cpu(), atol=atol, rtol=1e-4):
        err = (answer.detach().float().cpu() - expected.float().cpu()).abs().max().item()
        raise Incorrect(f"{what}: the shape is right but the values differ (largest difference {err:.3g})")


def as_whole_number(value: Any) -> int | None:
    """A whole number given as an int, a NumPy integer or a 0-d integer tensor -> int; else None.

    Booleans (True, np.True_, torch.tensor(True)) and floats (121.0) are not accepted.
    """
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, torch.Tensor) and (value.dim() != 0 or value.dtype == torch.bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def check_count(answer: Any, expected: int, mistakes: dict[int, str], *, success: str, far: str, close: str) -> str:
    """Check an exact count (of parameters, say): ``success`` if right, else the named mistake or a nudge.

    ``mistakes`` maps typical wrong counts to what went wrong; an answer more than 20 % off gets
    ``far``, a nearer one ``close``.
    """
    value = as_whole_number(answer)
    if value is None:
        raise Incorrect(f"expected an exact whole number (an int), got {type(answer).__name__} {answer!r}")
    if value == expected:
        return success
    if value in mistakes:
        raise Incorrect(mistakes[value])
    if abs(value - expected) > 0.2 * expected:
        raise Incorrect(f"{value:,} is far off: {far}")
    raise Incorrect(f"{value:,} is close but not exact: {close}")
