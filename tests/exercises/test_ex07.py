"""Notebook 07's exercises accept their solutions and catch the typical mistakes."""

import numpy as np
import pytest
import torch

from m2p_course import PoseHead, count_parameters
from m2p_course.exercises import Outcome, ex07 as ex


def test_q3_reference_is_the_real_parameter_count():
    with torch.device("meta"):
        head = PoseHead(1024, 134, heatmap_size=(8, 8))
        big = PoseHead(1024, 134, heatmap_size=(16, 16))
        guide = PoseHead(1024, 134)
    assert ex.q3.answer() == count_parameters(head) == 2_860_160
    assert ex.HEAD_16X16_PARAMS == count_parameters(big) == 9_472_256
    assert ex.GUIDE_HEAD_PARAMS == count_parameters(guide)


# -- q1: spatial_softmax ------------------------------------------------------------------


def _naive_exp(logits, temperature=1.0):
    e = torch.exp(logits / temperature)
    return e / e.sum((-2, -1), keepdim=True)


def _hard_coded_temperature(logits, temperature=1.0):
    return torch.softmax((logits / 0.5).flatten(-2), dim=-1).view(logits.shape)


@pytest.mark.parametrize("fn, fragment", [
    (lambda logits, t=1.0: torch.softmax(logits / t, dim=-1), "each ROW sums to 1"),
    (lambda logits, t=1.0: torch.softmax(logits / t, dim=-2), "each COLUMN sums to 1"),
    (lambda logits, t=1.0: torch.softmax(logits / t, dim=-3), "across the JOINTS"),
    (lambda logits, t=1.0: torch.softmax((logits / t).flatten(-3), -1).view(logits.shape), "all the joints' cells"),
    (lambda logits, t=1.0: torch.softmax((logits * t).flatten(-2), -1).view(logits.shape), "DIVIDES"),
    (lambda logits, t=1.0: torch.softmax(logits.flatten(-2), -1).view(logits.shape), "left the temperature out"),
    (_hard_coded_temperature, "do not hard-code it"),
    (_naive_exp, "exp(1000) overflows"),
    (lambda logits, t=1.0: logits.flatten(-2).softmax(-1), "expected shape"),
    (lambda logits, t=1.0: torch.sigmoid(logits / t), "must sum to 1"),
    (lambda logits, t=1.0: logits.tolist(), "should return a tensor"),
    ("softmax", "expected a function"),
])
def test_q1_rejects_typical_mistakes(fn, fragment, feedback):
    result = feedback(ex.q1, fn)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


# -- q2: soft_argmax ----------------------------------------------------------------------


def _soft_argmax_with(xs_of, ys_of, order="xy", dim=None, temperature_op="div", detach=False):
    """A soft-argmax with one mistake, built from its parts."""
    def fn(logits, temperature=1.0):
        h, w = logits.shape[-2:]
        z = logits / temperature if temperature_op == "div" else logits * temperature if temperature_op == "mul" \
            else logits
        if dim is None:
            p = torch.softmax(z.flatten(-2), -1).view(logits.shape)
        else:
            p = torch.softmax(z, dim=dim)
        x = (p.sum(-2) * xs_of(w)).sum(-1)
        y = (p.sum(-1) * ys_of(h)).sum(-1)
        out = torch.stack([x, y] if order == "xy" else [y, x], dim=-1)
        return out.detach() if detach else out
    return fn


def _lin(n):
    return torch.linspace(-1, 1, n)


def _hard_coded(logits, temperature=1.0):
    return _soft_argmax_with(_lin, _lin)(logits, 0.7)


def _argmax(logits, temperature=1.0):
    h, w = logits.shape[-2:]
    idx = logits.flatten(-2).argmax(-1)
    return torch.stack([_lin(w)[idx % w], _lin(h)[idx // w]], dim=-1)


@pytest.mark.parametrize("fn, fragment", [
    (_soft_argmax_with(_lin, _lin, order="yx"), "you returned (y, x)"),
    (_soft_argmax_with(lambda n: torch.arange(n).float(), lambda n: torch.arange(n).float()), "pixel units"),
    (_soft_argmax_with(lambda n: torch.linspace(0, 1, n), lambda n: torch.linspace(0, 1, n)), "from 0 to 1"),
    (_soft_argmax_with(lambda n: (2 * torch.arange(n) + 1) / n - 1, lambda n: (2 * torch.arange(n) + 1) / n - 1),
     "outer EDGES"),
    (_soft_argmax_with(_lin, _lin, dim=-1), "each row on its own"),
    (_soft_argmax_with(_lin, _lin, temperature_op="mul"), "DIVIDES"),
    (_soft_argmax_with(_lin, _lin, temperature_op="none"), "left the temperature out"),
    (_argmax, "hard argmax"),
    (_hard_coded, "do not hard-code it"),
    (_soft_argmax_with(_lin, _lin, detach=True), "no gradient flows"),
    (_soft_argmax_with(lambda n: torch.linspace(-1, 1, n) ** 3, _lin), "differ from m2p_course.soft_argmax2d"),
    (lambda logits, t=1.0: torch.zeros(2, 3), "expected shape"),
    (lambda logits, t=1.0: (0.0, 0.0), "should return a tensor"),
])
def test_q2_rejects_typical_mistakes(fn, fragment, feedback):
    result = feedback(ex.q2, fn)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


def test_q2_accepts_the_package_function():
    from m2p_course import soft_argmax2d
    assert ex.q2.evaluate(soft_argmax2d).outcome is Outcome.CORRECT


def _numpy_grid(n):
    return torch.from_numpy(np.linspace(-1, 1, n))             # float64: the answer comes out float64


def test_q2_accepts_a_float64_grid(feedback):
    result = feedback(ex.q2, _soft_argmax_with(_numpy_grid, _numpy_grid))
    assert result.outcome is Outcome.CORRECT, result.message


def test_q2_names_a_mistake_made_with_a_float64_grid(feedback):
    result = feedback(ex.q2, _soft_argmax_with(_numpy_grid, _numpy_grid, order="yx"))
    assert result.outcome is Outcome.INCORRECT
    assert "you returned (y, x)" in result.message and "Double" not in result.message


def test_q1_accepts_a_float64_answer(feedback):
    def in_float64(logits, temperature=1.0):
        flat = (logits.double() / temperature).flatten(-2)
        return torch.softmax(flat, dim=-1).view(logits.shape)
    result = feedback(ex.q1, in_float64)
    assert result.outcome is Outcome.CORRECT, result.message


# -- q3: the spatial head's parameter count -----------------------------------------------

_FIRST_TWO = 1024 * 512 + 512 + 512 * 256 + 256


@pytest.mark.parametrize("answer, fragment", [
    (257 * 134 * 64, "the last layer alone"),
    (_FIRST_TWO + 256 * 134 * 64, "has a bias too"),
    (_FIRST_TWO + 256 * 134 + 134, "that is the guide's head"),
    (_FIRST_TWO + 257 * 134 * 256, "the 16 x 16 head"),
    (_FIRST_TWO + 257 * 64, "for ALL the joints"),
    (_FIRST_TWO + 257 * 134 * 16, "not 8 + 8"),
    (_FIRST_TWO + 256 * 134 + 134 + 257 * 134 * 64, "REPLACES"),
    (_FIRST_TWO + 1025 * 134 * 64, "input is 256"),
    (2_860_160.0, "an int"),
    (True, "an int"),
    ("2860160", "an int"),
    (2_870_000, "close but not exact"),
    (1_000, "far off"),
])
def test_q3_rejects_typical_mistakes(answer, fragment, feedback):
    result = feedback(ex.q3, answer)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message
