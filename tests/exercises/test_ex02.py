"""Notebook 02's exercises accept their solutions and catch the typical mistakes."""

import math

import pytest
import torch
import torch.nn.functional as F

from m2p_course import MusicProjection, count_parameters
from m2p_course.exercises import Outcome, ex02 as ex


def test_q4_reference_is_the_real_parameter_count():
    with torch.device("meta"):
        projection = MusicProjection(4800, 1024)
    assert ex.q4.answer() == count_parameters(projection) == 11_936_768


@pytest.mark.parametrize("answer, fragment", [
    (4800 * 2048 + 2048 * 1024, "only the two weight matrices"),
    (4800 * 2048 + 2048 + 2048 * 1024 + 1024, "each LayerNorm has parameters"),
    (4800 * 2048 + 2048 * 1024 + 2 * 2048 + 2 * 1024, "3,072 short"),
    (4800 * 2048 + 2048 + 2048 * 1024 + 1024 + 2 * 2048, "second (LayerNorm(1024))"),
    (4800 * 1024 + 1024 + 2 * 1024, "middle of 2048"),
    (11_936_768.0, "an int"),
    (True, "an int"),
    ("11936768", "an int"),
    (12_000_000, "close but not exact"),
    (1_000, "far off"),
])
def test_q4_rejects_typical_mistakes(answer, fragment, feedback):
    result = feedback(ex.q4, answer)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


def _ln_unbiased(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True) + eps) + beta


def _ln_eps_outside(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean(-1, keepdim=True)) / (x.std(-1, unbiased=False, keepdim=True) + eps) + beta


def _ln_no_eps(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean(-1, keepdim=True)) / x.std(-1, unbiased=False, keepdim=True) + beta


def _ln_no_affine(x, gamma, beta, eps=1e-5):
    return F.layer_norm(x, x.shape[-1:], eps=eps)


def _ln_wrong_dim(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean(1, keepdim=True)) / torch.sqrt(x.var(1, unbiased=False, keepdim=True) + eps) + beta


def _ln_hard_coded_eps(x, gamma, beta, eps=1e-5):
    return F.layer_norm(x, x.shape[-1:], gamma, beta, 1e-5)


def _ln_no_keepdim(x, gamma, beta, eps=1e-5):
    return gamma * (x - x.mean(-1)) / torch.sqrt(x.var(-1, unbiased=False) + eps) + beta


@pytest.mark.parametrize("fn, fragment", [
    (_ln_unbiased, "unbiased"),
    (_ln_eps_outside, "INSIDE the square root"),
    (_ln_no_eps, "NaN or Inf"),
    (_ln_no_affine, "gamma and shifted by beta"),
    (_ln_wrong_dim, "the LAST dim"),
    (_ln_hard_coded_eps, "do not hard-code it"),
    (_ln_no_keepdim, "raised RuntimeError"),
    (lambda x, gamma, beta, eps=1e-5: x, "differ from torch's layer norm"),
    (lambda x, gamma, beta, eps=1e-5: x.mean(-1), "expected shape"),
    (3.0, "expected a function"),
])
def test_q1_rejects_typical_mistakes(fn, fragment, feedback):
    result = feedback(ex.q1, fn)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


@pytest.mark.parametrize("fn, fragment", [
    (lambda x: F.gelu(x, approximate="tanh"), "tanh approximation"),
    (lambda x: x * torch.sigmoid(1.702 * x), "sigmoid approximation"),
    (torch.relu, "that is ReLU"),
    (lambda x: 0.5 * x * (1 + torch.erf(x)), "x / sqrt(2)"),
    (lambda x: x * (1 + torch.erf(x / math.sqrt(2))), "left out the 0.5"),
    (lambda x: 0.5 * (1 + torch.erf(x / math.sqrt(2))), "Phi(x) alone"),
    (lambda x: x, "differ from torch's exact GELU"),
    (lambda x: x.sum(), "expected shape"),
])
def test_q2_rejects_typical_mistakes(fn, fragment, feedback):
    result = feedback(ex.q2, fn)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


def _drop_always(x, p, training):
    return x * (torch.rand_like(x) >= p) / (1 - p)


def _drop_keep_with_p(x, p, training):
    return x * (torch.rand_like(x) < p) / (1 - p) if training else x


def _drop_no_scale(x, p, training):
    return x * (torch.rand_like(x) >= p) if training else x


def _drop_times_keep(x, p, training):
    return x * (torch.rand_like(x) >= p) * (1 - p) if training else x


def _drop_fixed_mask(x, p, training):
    if not training:
        return x
    g = torch.Generator().manual_seed(0)
    return x * (torch.rand(x.shape, generator=g) >= p) / (1 - p)


def _drop_in_place(x, p, training):
    if training:
        x.mul_((torch.rand_like(x) >= p) / (1 - p))
    return x


def _drop_wrong_positions(x, p, training):
    return torch.ones_like(x) * (torch.rand_like(x) >= p) / (1 - p) if training else x


def _drop_ignores_p_zero(x, p, training):
    return x * (torch.rand_like(x) >= max(p, 0.25)) / (1 - max(p, 0.25)) if training else x


@pytest.mark.parametrize("fn, fragment", [
    (_drop_always, "training=False"),
    (_drop_keep_with_p, "probability to DROP"),
    (_drop_no_scale, "scaled by 1 / (1 - p)"),
    (_drop_times_keep, "divide by it instead"),
    (_drop_fixed_mask, "same mask"),
    (_drop_in_place, "in place"),
    (_drop_wrong_positions, "same positions"),
    (_drop_ignores_p_zero, "p = 0"),
    (lambda x, p, training: x * 0 if training else x, "should be zero"),
])
def test_q3_rejects_typical_mistakes(fn, fragment, feedback):
    result = feedback(ex.q3, fn)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


def test_q3_check_does_not_move_the_global_random_state():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ex.q3.evaluate(ex.q3.answer())
    assert torch.equal(torch.rand(3), expected)
