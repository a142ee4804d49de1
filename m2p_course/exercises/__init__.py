"""Exercises with automatic checks, in the style of Kaggle's learntools.

In a notebook::

    from m2p_course.exercises import ex02 as ex
    from m2p_course.exercises import ____      # the placeholder of an unanswered exercise

    answer = ____
    ex.q1.check(answer)     # "Not attempted yet" until you replace ____
    ex.q1.hint()
    ex.q1.solution()

One module per notebook (``ex00`` ... ``ex05``); each question is a ``Question``.
"""

from .core import Incorrect, Outcome, Question, Result, ____

__all__ = ["____", "Incorrect", "Outcome", "Question", "Result"]
