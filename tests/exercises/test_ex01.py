import numpy as np
import pytest

from m2p_course.exercises import Outcome, ____, ex01 as ex
from m2p_course.features import DEFAULT_RECIPE, num_pose_frames, stack_context


def test_function_returning_placeholder_is_not_attempted():
    assert ex.q2.evaluate(lambda n, sr, fps: ____).outcome is Outcome.NOT_ATTEMPTED


def test_reference_answers_match_the_package():
    assert ex.q1.answer() == 60 * DEFAULT_RECIPE.hop == 30720
    for n, sr, fps, _ in ex.Q2_CASES:
        assert ex.q2.answer()(n, sr, fps) == num_pose_frames(n, sr, fps)
    assert ex.q2.answer()(165375, 22050, 30) == 225  # the prompt's 7.5 s example
    assert ex.q3.answer() * 64 == DEFAULT_RECIPE.dim
    # q4's column really holds chroma C of the centre frame in a stacked row
    descriptors = np.random.default_rng(0).standard_normal((7, DEFAULT_RECIPE.frame_dim)).astype(np.float32)
    stacked = stack_context(descriptors, DEFAULT_RECIPE.context)
    chroma_c = DEFAULT_RECIPE.group_columns("chroma").start
    np.testing.assert_array_equal(stacked[:, ex.q4.answer()], descriptors[:, chroma_c])


def test_float_answer_with_integer_value_is_accepted():
    assert ex.q1.evaluate(30720.0).outcome is Outcome.CORRECT
    assert ex.q3.evaluate(np.int64(75)).outcome is Outcome.CORRECT


@pytest.mark.parametrize("answer, message", [
    (15360, "30 fps"),
    (22050, "file rate"),
    (512, "hop"),
    (60 / 512, "whole number"),
    (30721, "expected 30720"),
    ("30720", "whole number"),
    (True, "whole number"),
])
def test_q1_rejects(answer, message, feedback):
    result = feedback(ex.q1, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message


@pytest.mark.parametrize("fn, message", [
    (lambda n, sr, fps: round(n * fps / sr), "rounded"),
    (lambda n, sr, fps: int(n / sr * fps), "floating point"),
    (lambda n, sr, fps: 1 + n * fps // sr, "one too many"),
    (lambda n, sr, fps: n * fps / sr, "return an int"),
    (lambda n, sr, fps: n // 512, "expected"),
    (lambda n, sr, fps: n * sr // fps, "expected"),
    (lambda n, sr, fps: [][0], "raised IndexError"),
    (225, "expected a function"),
])
def test_q2_rejects(fn, message, feedback):
    result = feedback(ex.q2, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message


@pytest.mark.parametrize("answer, message", [
    (100, "48-value"),
    (4736, "multiplies"),
    (74, "74 frames x 64 values = 4736"),
    (75.5, "whole number"),
])
def test_q3_rejects(answer, message, feedback):
    result = feedback(ex.q3, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message


@pytest.mark.parametrize("answer, message", [
    (20, "first frame"),
    (2400, "MFCC 0"),
    (2372, "Off by one"),
    (70, "offset-major"),
    (5000, "0..4799"),
    (2421, "expected 2420"),
])
def test_q4_rejects(answer, message, feedback):
    result = feedback(ex.q4, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message
