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

from ..i18n import N_, _

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
    CORRECT = N_("Correct")
    INCORRECT = N_("Incorrect")
    NOT_ATTEMPTED = N_("Not attempted yet")


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    message: str

    @property
    def correct(self) -> bool:
        return self.outcome is Outcome.CORRECT

    def __str__(self) -> str:
        label = _(self.outcome.value)
        return f"{label}: {self.message}" if self.message else label


class Question:
    """One exercise.

    ``checker(answer)`` returns nothing when the answer is right (or a short note to show)
    and raises ``Incorrect("what is wrong")`` otherwise. ``answer()`` builds the reference
    answer (a value or a function) that the tests feed back to the checker.

    ``prompt``, ``hint``, ``solution`` and ``success`` are English msgids (marked ``N_()`` where the
    question is defined): they are translated when shown, in the language chosen then, so that
    ``setup(lang="ko")`` after the import still works. The checker translates its own messages.
    ``values``: numbers the texts name as ``{name}`` placeholders, filled in after translation.
    """

    def __init__(self, name: str, prompt: str, checker: Callable[[Any], str | None], hint: str | Sequence[str],
                 solution: str, answer: Callable[[], Any], success: str = "", values: dict[str, Any] | None = None):
        self.name = name
        self._prompt = textwrap.dedent(prompt).strip()
        self._checker = checker
        self._hints = [hint] if isinstance(hint, str) else list(hint)
        self._solution_msgid = textwrap.dedent(solution).strip()
        self._answer = answer
        self._success = success
        self._values = dict(values or {})

    def _text(self, msgid: str, translate: bool = True) -> str:
        text = _(msgid) if translate else msgid
        return text.format(**self._values) if self._values else text

    @property
    def _solution(self) -> str:
        """The solution's code as the English edition prints it."""
        return self._text(self._solution_msgid, translate=False)

    def evaluate(self, answer: Any = ____) -> Result:
        """Check an answer and return the ``Result`` (what ``check`` prints)."""
        if _is_placeholder(answer):
            return Result(Outcome.NOT_ATTEMPTED,
                          _("replace ____ with your answer, then run ex.{name}.check(...) again.").format(
                              name=self.name))
        try:
            note = self._checker(answer)
        except Incorrect as exc:
            return Result(Outcome.INCORRECT, str(exc))
        except NotImplementedError:
            return Result(Outcome.NOT_ATTEMPTED, _("your function still raises NotImplementedError."))
        except _PlaceholderReturned:
            return Result(Outcome.NOT_ATTEMPTED, _("your function still returns ____."))
        except Exception as exc:  # a student's code failing is an answer, not a crash of the checker
            return Result(Outcome.INCORRECT, _("your answer raised {error}: {message}").format(
                error=type(exc).__name__, message=exc))
        return Result(Outcome.CORRECT, note or (self._text(self._success) if self._success else ""))

    def check(self, answer: Any = ____) -> None:
        """Print whether ``answer`` is correct, with a hint of what is wrong if not."""
        print(self.evaluate(answer))

    def hint(self, n: int = 1) -> None:
        """Print hint ``n`` (1 = the gentlest)."""
        n = max(1, min(n, len(self._hints)))
        hint = self._text(self._hints[n - 1])
        if n == len(self._hints):
            print(_("Hint: {hint}").format(hint=hint))
        else:
            print(_("Hint (hint {n} of {total}; ex.{name}.hint({next}) for more): {hint}").format(
                n=n, total=len(self._hints), name=self.name, next=n + 1, hint=hint))

    @property
    def prompt(self) -> str:
        """What the question asks, in the language in use."""
        return self._text(self._prompt)

    def solution_code(self) -> str:
        """The solution's code, its comments in the language in use."""
        return self._text(self._solution_msgid)

    def solution(self) -> None:
        """Print the solution code (its comments in the language in use)."""
        print(_("Solution:\n{solution}").format(solution=self.solution_code()))

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
        raise Incorrect(_("expected a function, got {type}").format(type=type(fn).__name__))
    out = fn(*args, **kwargs)
    if out is ____:
        raise _PlaceholderReturned
    return out


# ``what``, in the helpers below: what is checked, as the student sees it (a translated text, or code such
# as "layer_norm(x [2, 4, 16], gamma, beta)").


def expect_equal(answer: Any, expected: Any, what: str) -> None:
    """Exact equality for ints, strings, tuples; bools are not ints here."""
    if isinstance(answer, torch.Size):
        answer = tuple(answer)
    if isinstance(answer, bool) != isinstance(expected, bool) or answer != expected:
        raise Incorrect(_("{what}: expected {expected!r}, got {answer!r}").format(
            what=what, expected=expected, answer=answer))


def expect_close(answer: Any, expected: float, what: str, rel: float = 1e-3) -> None:
    """A number within a relative tolerance."""
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.number)):
        raise Incorrect(_("{what}: expected a number, got {type}").format(what=what, type=type(answer).__name__))
    if not np.isclose(float(answer), expected, rtol=rel, atol=0.0):
        raise Incorrect(_("{what}: expected about {expected:.6g}, got {answer:.6g}").format(
            what=what, expected=expected, answer=float(answer)))


def expect_shape(answer: Any, expected: tuple[int, ...], what: str) -> None:
    """A tensor or array with this shape, or the shape itself."""
    shape = tuple(answer.shape) if hasattr(answer, "shape") else answer
    if isinstance(shape, (list, torch.Size)):
        shape = tuple(shape)
    if shape != tuple(expected):
        raise Incorrect(_("{what}: expected shape {expected}, got {shape!r}").format(
            what=what, expected=tuple(expected), shape=shape))


def expect_tensor_close(answer: Any, expected: torch.Tensor, what: str, atol: float = 1e-5) -> None:
    """A tensor of the right shape whose values match ``expected``."""
    if not isinstance(answer, torch.Tensor):
        raise Incorrect(_("{what}: expected a torch.Tensor, got {type}").format(what=what, type=type(answer).__name__))
    expect_shape(answer, tuple(expected.shape), what)
    if not torch.allclose(answer.detach().float().cpu(), expected.float().cpu(), atol=atol, rtol=1e-4):
        err = (answer.detach().float().cpu() - expected.float().cpu()).abs().max().item()
        raise Incorrect(_("{what}: the shape is right but the values differ (largest difference {err:.3g})").format(
            what=what, err=err))


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
    ``far``, a nearer one ``close``: texts as shown (the caller translates them).
    """
    value = as_whole_number(answer)
    if value is None:
        raise Incorrect(_("expected an exact whole number (an int), got {type} {answer!r}").format(
            type=type(answer).__name__, answer=answer))
    if value == expected:
        return success
    if value in mistakes:
        raise Incorrect(mistakes[value])
    if abs(value - expected) > 0.2 * expected:
        raise Incorrect(_("{value:,} is far off: {far}").format(value=value, far=far))
    raise Incorrect(_("{value:,} is close but not exact: {close}").format(value=value, close=close))
