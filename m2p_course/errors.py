"""Show an error on purpose, without stopping the notebook.

A notebook that demonstrates a mistake (features 4096 wide, coordinates from the seed
model, a bad shape) must not *raise*: Jupyter's and Colab's "Run all" stop at the first
cell that raises, and Colab honours no cell tags. ``expect_error`` catches the expected
error and prints it as Python would name it, so the cell shows the message and the run
goes on::

    with expect_error(ValueError):
        model(torch.randn(2, 24, 4096))
    # prints: ValueError: Expected music features dimension 4800, got 4096

If the block raises nothing, that is a bug in the demonstration, and ``expect_error`` says
so with an ``AssertionError``. An error of another type is not caught: it is a real bug.
"""

from __future__ import annotations

import re
from types import TracebackType

__all__ = ["expect_error", "ExpectedError"]


class ExpectedError:
    """The context manager behind :func:`expect_error`; ``.exception`` holds what was caught."""

    def __init__(self, types: tuple[type[BaseException], ...], match: str | None, show: bool):
        self.types = types
        self.match = match
        self.show = show
        self.exception: BaseException | None = None

    def __enter__(self) -> ExpectedError:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        names = " or ".join(t.__name__ for t in self.types)
        if exc is None:
            raise AssertionError(f"expected {names}, but the block raised nothing")
        if not isinstance(exc, self.types):
            return False  # a different error is a real bug: let it propagate
        if self.match is not None and not re.search(self.match, str(exc)):
            raise AssertionError(
                f"expected {names} matching {self.match!r}, got {type(exc).__name__}: {exc}"
            ) from exc
        self.exception = exc
        if self.show:
            print(f"{type(exc).__name__}: {exc}")
        return True


def expect_error(*types: type[BaseException], match: str | None = None, show: bool = True) -> ExpectedError:
    """Catch and print an error that a cell raises on purpose.

    ``types``: the exception classes expected (default ``Exception``); ``match``: a regular
    expression the message must contain (``re.search``); ``show``: print
    ``"<ErrorType>: <message>"`` (default True). Raises ``AssertionError`` if the block raises
    nothing, or a message that does not match; lets any other error through.
    """
    if not types:
        types = (Exception,)
    for t in types:
        if not (isinstance(t, type) and issubclass(t, BaseException)):
            raise TypeError(f"expect_error takes exception classes, got {t!r} ({type(t).__name__})")
    if match is not None and not isinstance(match, str):
        raise TypeError(f"match must be a regular expression string, got {type(match).__name__}")
    return ExpectedError(tuple(types), match, show)
