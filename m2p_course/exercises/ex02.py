"""Exercises of notebook 02, the music projection.

q1  write layer_norm(x, gamma, beta, eps)                 a function
q2  write gelu(x), the exact erf form                     a function
q3  write dropout(x, p, training)                         a function
q4  count the projection's parameters by hand             an int
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..i18n import N_, _
from .core import Incorrect, Question, call_student, check_count, expect_shape

__all__ = ["q1", "q2", "q3", "q4"]

# -----------------------------------------------------------------------------
# q1: layer_norm(x, gamma, beta, eps)


def _layer_norm_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x [2, 4, 16] with rows of every kind: ordinary, shifted and scaled, nearly constant, constant."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 4, 16, generator=g)
    x[0, 1] = 5.0 + 10.0 * x[0, 1]               # a loud frame with an offset
    x[0, 2] = 1e-3 * x[0, 2]                     # a nearly silent frame: eps matters
    x[1, 3] = 0.7                                # a constant frame: variance 0
    gamma = 1.0 + 0.5 * torch.randn(16, generator=g)
    beta = 0.3 * torch.randn(16, generator=g)
    return x, gamma, beta


def _layer_norm_variants(x, gamma, beta, eps):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    yield _("torch.var's default divides by N - 1 (the unbiased estimate); LayerNorm divides by N: use x.var(-1, "
            "unbiased=False, keepdim=True) or ((x - mean) ** 2).mean(-1, keepdim=True)."), \
        (x - mean) / torch.sqrt(x.var(-1, keepdim=True) + eps) * gamma + beta
    yield _("eps goes INSIDE the square root: (x - mean) / sqrt(var + eps)."), \
        (x - mean) / (torch.sqrt(var) + eps) * gamma + beta
    yield _("the normalised values still have to be scaled by gamma and shifted by beta."), \
        (x - mean) / torch.sqrt(var + eps)
    yield _("scale first, then shift: gamma * x_hat + beta (not (x_hat + beta) * gamma)."), \
        ((x - mean) / torch.sqrt(var + eps) + beta) * gamma
    for dim in (0, 1):
        m, v = x.mean(dim, keepdim=True), x.var(dim, unbiased=False, keepdim=True)
        yield _("you normalised over dim {dim}; LayerNorm normalises each frame over its features, the LAST dim "
                "(dim=-1).").format(dim=dim), (x - m) / torch.sqrt(v + eps) * gamma + beta


def _check_layer_norm(fn) -> str:
    x, gamma, beta = _layer_norm_inputs()
    eps = 1e-5
    expected = F.layer_norm(x, (16,), gamma, beta, eps)
    out = call_student(fn, x.clone(), gamma.clone(), beta.clone(), eps)
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("layer_norm should return a tensor, got {type}").format(type=type(out).__name__))
    expect_shape(out, tuple(x.shape), "layer_norm(x [2, 4, 16], gamma, beta)")
    if not torch.isfinite(out).all():
        raise Incorrect(_("a frame whose 16 values are all equal has variance 0: your output has NaN or Inf there. "
                          "The eps inside the square root is what prevents this."))
    if not torch.allclose(out, expected, atol=1e-4, rtol=1e-4):
        for message, variant in _layer_norm_variants(x, gamma, beta, eps):
            if torch.isfinite(variant).all() and torch.allclose(out, variant, atol=1e-4, rtol=1e-4):
                raise Incorrect(message)
        err = (out - expected).abs().max().item()
        raise Incorrect(_("the values differ from torch's layer norm (largest difference {err:.3g}): subtract the "
                          "mean, divide by sqrt(var + eps), then gamma * . + beta.").format(err=err))
    wide = F.layer_norm(x, (16,), gamma, beta, 0.1)
    if not torch.allclose(call_student(fn, x, gamma, beta, 0.1), wide, atol=1e-4, rtol=1e-4):
        raise Incorrect(_("right for eps=1e-5 but not for eps=0.1: use the eps argument, do not hard-code it."))
    return _("identical to torch.nn.functional.layer_norm, even for a constant frame.")


def _layer_norm_solution(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, unbiased=False, keepdim=True)
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta


q1 = Question(
    "q1",
    N_("""
    Write layer_norm(x, gamma, beta, eps=1e-5) for x [..., n], gamma [n], beta [n]: normalise every
    frame over its last dimension (mean 0, variance 1), then scale by gamma and shift by beta.
    It must equal torch.nn.functional.layer_norm.
    """),
    _check_layer_norm,
    [N_("mean and variance over dim=-1, with keepdim=True so that they broadcast back over the features."),
     N_("LayerNorm uses the biased variance (divide by N): x.var(dim=-1, unbiased=False, keepdim=True)."),
     N_("return gamma * (x - mean) / torch.sqrt(var + eps) + beta")],
    N_("""
    def layer_norm(x, gamma, beta, eps=1e-5):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, unbiased=False, keepdim=True)
        return gamma * (x - mean) / torch.sqrt(var + eps) + beta
    """),
    answer=lambda: _layer_norm_solution,
)

# -----------------------------------------------------------------------------
# q2: gelu(x), exact


def _gelu_variants(x):
    yield _("that is the tanh approximation (GELU(approximate='tanh')); the guide's nn.GELU() is the exact x * "
            "Phi(x) with Phi(x) = 0.5 * (1 + erf(x / sqrt(2)))."), F.gelu(x, approximate="tanh")
    yield _("that is the sigmoid approximation x * sigmoid(1.702 x); use the exact erf form."), \
        x * torch.sigmoid(1.702 * x)
    yield _("that is ReLU: GELU is smooth and slightly negative for x < 0."), torch.relu(x)
    yield _("erf needs x / sqrt(2): Phi(x) = 0.5 * (1 + erf(x / sqrt(2)))."), 0.5 * x * (1 + torch.erf(x))
    yield _("Phi(x) is 0.5 * (1 + erf(x / sqrt(2))): you left out the 0.5."), x * (1 + torch.erf(x / math.sqrt(2)))
    yield _("that is Phi(x) alone; GELU(x) = x * Phi(x)."), 0.5 * (1 + torch.erf(x / math.sqrt(2)))


def _check_gelu(fn) -> str:
    x = torch.linspace(-6, 6, 1201)
    out = call_student(fn, x.clone())
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("gelu should return a tensor, got {type}").format(type=type(out).__name__))
    expect_shape(out, tuple(x.shape), "gelu(x [1201])")
    expected = F.gelu(x)
    if not torch.allclose(out, expected, atol=1e-6, rtol=1e-5):
        for message, variant in _gelu_variants(x):
            if torch.allclose(out, variant, atol=1e-6, rtol=1e-5):
                raise Incorrect(message)
        err = (out - expected).abs().max().item()
        raise Incorrect(_("the values differ from torch's exact GELU (largest difference {err:.3g}); GELU(x) = x * "
                          "0.5 * (1 + erf(x / sqrt(2))).").format(err=err))
    grid = torch.randn(3, 5, 7, generator=torch.Generator().manual_seed(3))
    expect_shape(call_student(fn, grid), (3, 5, 7), "gelu(x [3, 5, 7])")
    return _("identical to nn.GELU(): x times the probability that a standard normal is below x.")


q2 = Question(
    "q2",
    N_("""
    Write gelu(x), the exact GELU that nn.GELU() computes: x * Phi(x), where Phi is the cumulative
    distribution function of the standard normal. Elementwise, any shape.
    """),
    _check_gelu,
    [N_("Phi(x) = 0.5 * (1 + erf(x / sqrt(2))); torch.erf and math.sqrt exist."),
     N_("return x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))")],
    N_("""
    def gelu(x):
        return x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    """),
    answer=lambda: (lambda x: x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))),
)

# -----------------------------------------------------------------------------
# q3: dropout(x, p, training)

_DROPOUT_P = 0.25
_DROPOUT_N = 200_000


def _check_dropout(fn) -> str:
    x = torch.randn(4, 6, 8, generator=torch.Generator().manual_seed(4))
    original = x.clone()
    out = call_student(fn, x, _DROPOUT_P, False)
    if not isinstance(out, torch.Tensor) or not torch.equal(out, original):
        raise Incorrect(_("with training=False (model.eval()) dropout must return x unchanged."))
    with torch.random.fork_rng(devices=[]):                 # the check does not move the student's RNG
        torch.manual_seed(0)
        ones = torch.ones(_DROPOUT_N)
        first = call_student(fn, ones, _DROPOUT_P, True)
        second = call_student(fn, ones, _DROPOUT_P, True)
        out = call_student(fn, x, _DROPOUT_P, True)
        unchanged = call_student(fn, ones, 0.0, True)
    if not torch.equal(ones, torch.ones(_DROPOUT_N)) or not torch.equal(x, original):
        raise Incorrect(_("your dropout changed its input in place; return a new tensor (x * mask / (1 - p))."))
    if not isinstance(first, torch.Tensor):
        raise Incorrect(_("dropout should return a tensor, got {type}").format(type=type(first).__name__))
    expect_shape(first, (_DROPOUT_N,), "dropout(x [200000], p, True)")
    expect_shape(out, tuple(x.shape), "dropout(x [4, 6, 8], p, True)")
    zeros = (first == 0).float().mean().item()
    if abs(zeros - (1 - _DROPOUT_P)) < 0.01:
        raise Incorrect(_("with p={dropout_p} you zeroed {zeros:.0%} of the values: p is the probability to DROP; "
                          "keep each value with probability 1 - p.").format(dropout_p=_DROPOUT_P, zeros=zeros))
    if abs(zeros - _DROPOUT_P) > 0.01:
        raise Incorrect(_("with p={dropout_p} about {dropout_p:.0%} of the values should be zero, you zeroed "
                          "{zeros:.1%}.").format(dropout_p=_DROPOUT_P, zeros=zeros))
    kept = first[first != 0]
    if torch.allclose(kept, torch.ones_like(kept)):
        raise Incorrect(_("the kept values must be scaled by 1 / (1 - p), so that the expected value of every "
                          "feature stays the same in training and in eval."))
    if torch.allclose(kept, torch.full_like(kept, 1 - _DROPOUT_P)):
        raise Incorrect(_("you multiplied the kept values by (1 - p); divide by it instead."))
    if not torch.allclose(kept, torch.full_like(kept, 1 / (1 - _DROPOUT_P))):
        raise Incorrect(_("every kept value must be exactly x / (1 - p)."))
    if torch.equal(first, second):
        raise Incorrect(_("two calls gave the same mask: draw a fresh random mask on every call."))
    survivors = out != 0
    if not torch.allclose(out[survivors], original[survivors] / (1 - _DROPOUT_P)):
        raise Incorrect(_("on a random x, the kept values must be x / (1 - p) at the same positions."))
    if not torch.equal(unchanged, torch.ones(_DROPOUT_N)):
        raise Incorrect(_("with p = 0 nothing is dropped: dropout must return x unchanged."))
    return _("each value kept with probability 1 - p and scaled by 1 / (1 - p): the mean is unchanged.")


def _dropout_solution(x, p, training):
    if not training or p == 0:
        return x
    mask = torch.empty_like(x).bernoulli_(1 - p)     # 1 = keep (probability 1 - p), 0 = drop
    return x * mask / (1 - p)


q3 = Question(
    "q3",
    N_("""
    Write dropout(x, p, training). In training: zero each value independently with probability p
    and scale the survivors by 1 / (1 - p). In eval (training=False): return x unchanged.
    """),
    _check_dropout,
    [N_("A mask of 0s and 1s: torch.rand_like(x) >= p keeps a value with probability 1 - p (or "
        "torch.empty_like(x).bernoulli_(1 - p), which is what torch uses on the CPU)."),
     N_("Why 1 / (1 - p)? A value survives with probability 1 - p, so E[mask * x / (1 - p)] = x."),
     N_("if not training: return x;  mask = (torch.rand_like(x) >= p).float();  return x * mask / (1 - p)")],
    N_("""
    def dropout(x, p, training):
        if not training or p == 0:
            return x
        mask = torch.empty_like(x).bernoulli_(1 - p)     # 1 = keep, with probability 1 - p
        return x * mask / (1 - p)
    """),
    answer=lambda: _dropout_solution,
)


# -----------------------------------------------------------------------------
# q4: the parameter count of MusicProjection(4800, 1024)

_IN, _MID, _OUT = 4800, 2048, 1024
_LINEAR_WEIGHTS = _IN * _MID + _MID * _OUT
_LINEAR_BIASES = _MID + _OUT
_NORM_PARAMS = 2 * _MID + 2 * _OUT
PROJECTION_PARAMS = _LINEAR_WEIGHTS + _LINEAR_BIASES + _NORM_PARAMS   # 11,936,768

_KNOWN_MISTAKES = {
    _LINEAR_WEIGHTS: N_("you counted only the two weight matrices: each Linear also has a bias, and each LayerNorm "
                        "has a gamma and a beta."),
    _LINEAR_WEIGHTS + _LINEAR_BIASES: N_("the Linears are right, but each LayerNorm has parameters too: a gamma "
                                         "and a beta as wide as its input."),
    _LINEAR_WEIGHTS + _NORM_PARAMS: N_("3,072 short: either the biases of the two Linears (2048 + 1024) are "
                                       "missing, or you gave each LayerNorm only one vector (it has gamma AND "
                                       "beta)."),
    _LINEAR_WEIGHTS + _LINEAR_BIASES + 2 * _MID: N_("the first LayerNorm is there, the second (LayerNorm(1024)) is "
                                                    "not."),
    _LINEAR_WEIGHTS + _LINEAR_BIASES + 2 * _OUT: N_("the second LayerNorm is there, the first (LayerNorm(2048)) is "
                                                    "not."),
    _IN * _OUT + _OUT + 2 * _OUT: N_("the guide's projection goes through a middle of 2048: 4800 -> 2048 -> 1024, "
                                     "two Linears."),
}


def _check_count(answer) -> str:
    return check_count(
        answer, PROJECTION_PARAMS, {n: _(message) for n, message in _KNOWN_MISTAKES.items()},
        success=_("{projection_params:,} parameters, of which {value:,} (82 %) sit in the first weight matrix.").format(
            projection_params=PROJECTION_PARAMS, value=_IN * _MID),
        far=_("a Linear(in, out) has in * out weights plus out biases."),
        close=_("add the layers one at a time (Linear: in * out + out; LayerNorm(n): 2 * n; GELU, Dropout: 0)."))


q4 = Question(
    "q4",
    N_("""
    How many parameters does the guide's music projection have?
    Linear(4800, 2048), LayerNorm(2048), GELU, Dropout, Linear(2048, 1024), LayerNorm(1024), GELU, Dropout.
    Give the exact number as an int (you may write it as an expression, e.g. 4800 * 2048 + ...).
    """),
    _check_count,
    [N_("A Linear(in, out) holds a weight matrix [out, in] and a bias [out]."),
     N_("A LayerNorm(n) holds gamma [n] and beta [n]; GELU and Dropout hold nothing."),
     N_("(4800 * 2048 + 2048) + 2 * 2048 + (2048 * 1024 + 1024) + 2 * 1024")],
    N_("answer = (4800 * 2048 + 2048) + 2 * 2048 + (2048 * 1024 + 1024) + 2 * 1024   # 11,936,768"),
    answer=lambda: PROJECTION_PARAMS,
)
