"""Exercises of notebook 07, heatmaps, temperature and soft-argmax.

q1  write spatial_softmax(logits, temperature): one distribution per joint over H x W   a function
q2  write soft_argmax(logits, temperature): the expected (x, y), x first, in [-1, 1]    a function
q3  count the parameters of a spatial pose head PoseHead(1024, heatmap_size=(8, 8))     an int
"""

from __future__ import annotations

import torch

import m2p_course

from ..i18n import N_, _
from .core import Incorrect, Question, call_student, check_count, expect_shape

__all__ = ["q1", "q2", "q3"]

_TOL = dict(atol=1e-5, rtol=1e-4)


def _logits() -> torch.Tensor:
    """[B=2, joints=3, H=4, W=5]: H != W, so that a swapped axis shows."""
    return 2.0 * torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(7))


def _close(a, b) -> bool:
    # .to(b.dtype): a float64 answer (a grid from numpy, say) is compared, not rejected for its dtype
    return isinstance(a, torch.Tensor) and a.shape == b.shape and bool(torch.isfinite(a).all()) \
        and torch.allclose(a.detach().to(b.dtype), b, **_TOL)


# -----------------------------------------------------------------------------
# q1: spatial_softmax(logits, temperature)


def _softmax_over(x: torch.Tensor, dims: int) -> torch.Tensor:
    """Softmax over the last ``dims`` axes together."""
    return torch.softmax(x.flatten(-dims), dim=-1).view(x.shape)


def _softmax_variants(x: torch.Tensor, t: float):
    yield _("each ROW sums to 1 (a softmax over dim=-1, the W columns only); a joint's map is one distribution "
            "over all H x W cells: flatten the last two dims, softmax, reshape back."), \
        torch.softmax(x / t, dim=-1)
    yield _("each COLUMN sums to 1 (a softmax over dim=-2 only); flatten the last two dims (H x W) and take one "
            "softmax over all the cells."), torch.softmax(x / t, dim=-2)
    yield _("that is a softmax across the JOINTS (dim=-3), the guide's 'which joint' distribution: it says nothing "
            "about where. Each joint's H x W map must sum to 1."), torch.softmax(x / t, dim=-3)
    yield _("you normalised all the joints' cells together (the last three dims): each joint needs its own "
            "distribution over its H x W cells."), _softmax_over(x / t, 3)
    yield _("the temperature DIVIDES the logits (logits / temperature): a small temperature sharpens."), \
        _softmax_over(x * t, 2)
    yield _("you left the temperature out: divide the logits by it before the softmax."), _softmax_over(x, 2)


def _check_spatial_softmax(fn) -> str:
    x = _logits()
    for t in (0.5, 2.0):
        expected = m2p_course.spatial_softmax2d(x, t)
        out = call_student(fn, x.clone(), t)
        if not isinstance(out, torch.Tensor):
            raise Incorrect(_("spatial_softmax should return a tensor, got {type}").format(type=type(out).__name__))
        expect_shape(out, tuple(x.shape), "spatial_softmax(logits [2, 3, 4, 5], temperature)")
        if _close(out, expected):
            continue
        if t != 0.5:
            raise Incorrect(_("right at temperature 0.5 but not at temperature {t}: use the temperature argument, "
                              "do not hard-code it.").format(t=t))
        for message, variant in _softmax_variants(x, t):
            if _close(out, variant):
                raise Incorrect(message)
        sums = out.sum((-2, -1))
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
            raise Incorrect(_("each joint's H x W map must sum to 1 (a probability distribution over its cells)."))
        err = (out - expected).abs().max().item()
        raise Incorrect(_("the values differ from m2p_course.spatial_softmax2d (largest difference {err:.3g}) at "
                          "temperature {t}.").format(err=err, t=t))
    big = torch.full((1, 2, 3), 1000.0)
    big[0, 1, 2] = 1010.0
    out = call_student(fn, big, 1.0)
    if not (isinstance(out, torch.Tensor) and torch.isfinite(out).all()):
        raise Incorrect(_("logits of 1000 give NaN or Inf: exp(1000) overflows. torch.softmax subtracts the "
                          "maximum first; use it (on the flattened map) instead of exp / sum."))
    return _("one distribution over the H x W cells of every joint, sharper for a smaller temperature.")


def _spatial_softmax_solution(logits, temperature=1.0):
    flat = (logits / temperature).flatten(-2)                 # [..., H * W]
    return torch.softmax(flat, dim=-1).view(logits.shape)     # [..., H, W]


q1 = Question(
    "q1",
    N_("""
    Write spatial_softmax(logits, temperature=1.0) for logits [..., H, W] (one map per joint):
    divide by the temperature, then take ONE softmax over the H x W cells of each map, so that
    every map sums to 1. Return [..., H, W]. It must equal m2p_course.spatial_softmax2d.
    """),
    _check_spatial_softmax,
    [N_("torch.softmax normalises over one dim; make the H x W cells one dim with .flatten(-2)."),
     N_("flat = (logits / temperature).flatten(-2);  softmax over dim=-1;  .view(logits.shape) to go back."),
     N_("return torch.softmax((logits / temperature).flatten(-2), dim=-1).view(logits.shape)")],
    N_("""
    def spatial_softmax(logits, temperature=1.0):
        flat = (logits / temperature).flatten(-2)                 # [..., H * W]
        return torch.softmax(flat, dim=-1).view(logits.shape)     # [..., H, W]
    """),
    answer=lambda: _spatial_softmax_solution,
)

# -----------------------------------------------------------------------------
# q2: soft_argmax(logits, temperature)


def _expect_with_grid(x: torch.Tensor, t: float, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    p = m2p_course.spatial_softmax2d(x, t)
    return torch.stack([(p.sum(-2) * xs).sum(-1), (p.sum(-1) * ys).sum(-1)], dim=-1)


def _soft_argmax_variants(x: torch.Tensor, t: float):
    h, w = x.shape[-2:]
    right = m2p_course.soft_argmax2d(x, t)
    yield _("you returned (y, x): the package's convention (kornia's) is x first (the column), then y (the row)."), \
        right.flip(-1)
    yield _("those are pixel units (column, row), 0 ... W-1: the convention is normalised, corner cell centres at "
            "-1 and +1 (torch.linspace(-1, 1, W) for x)."), \
        m2p_course.soft_argmax2d(x, t, normalized_coordinates=False)
    yield _("your coordinates run from 0 to 1; the convention is -1 (first cell centre) to +1 (last): "
            "torch.linspace(-1, 1, W)."), _expect_with_grid(x, t, torch.linspace(0, 1, w), torch.linspace(0, 1, h))
    yield _("you put -1 and +1 at the outer EDGES of the grid (cell centres at (2k + 1) / n - 1); the convention "
            "puts the CENTRES of the corner cells at -1 and +1: torch.linspace(-1, 1, W)."), \
        _expect_with_grid(x, t, (2 * torch.arange(w) + 1) / w - 1, (2 * torch.arange(h) + 1) / h - 1)
    per_row = torch.softmax(x / t, dim=-1)                                    # each row sums to 1
    xs, ys = torch.linspace(-1, 1, w), torch.linspace(-1, 1, h)
    yield _("your softmax normalised each row on its own (dim=-1), so every row sums to 1; take one softmax over "
            "all H x W cells of a joint (flatten the last two dims)."), \
        torch.stack([(per_row.sum(-2) * xs).sum(-1), (per_row.sum(-1) * ys).sum(-1)], dim=-1)
    yield _("the temperature DIVIDES the logits (logits / temperature)."), m2p_course.soft_argmax2d(x * t, 1.0)
    yield _("you left the temperature out: divide the logits by it before the softmax."), \
        m2p_course.soft_argmax2d(x, 1.0)
    idx = x.flatten(-2).argmax(-1)
    yield _("that is the hard argmax (the centre of the best cell): it has no gradient and no sub-cell precision. "
            "Soft-argmax is the EXPECTED position: sum of probability * coordinate."), \
        torch.stack([xs[idx % w], ys[idx // w]], dim=-1)


def _check_soft_argmax(fn) -> str:
    x = _logits()
    for t in (0.7, 2.0):
        expected = m2p_course.soft_argmax2d(x, t)
        out = call_student(fn, x.clone(), t)
        if not isinstance(out, torch.Tensor):
            raise Incorrect(_("soft_argmax should return a tensor, got {type}").format(type=type(out).__name__))
        expect_shape(out, (2, 3, 2), "soft_argmax(logits [2, 3, 4, 5], temperature)")
        if _close(out, expected):
            continue
        if t != 0.7:
            raise Incorrect(_("right at temperature 0.7 but not at temperature {t}: use the temperature argument, "
                              "do not hard-code it.").format(t=t))
        for message, variant in _soft_argmax_variants(x, t):
            if _close(out, variant.float()):
                raise Incorrect(message)
        err = (out - expected).abs().max().item()
        raise Incorrect(_("the coordinates differ from m2p_course.soft_argmax2d (largest difference {err:.3g}) at "
                          "temperature {t}: spatial softmax, marginals, then sum(p(x) * x) and sum(p(y) * y).").format(
            err=err, t=t))
    leaf = x.clone().requires_grad_(True)
    out = call_student(fn, leaf, 1.0)
    if not out.requires_grad:
        raise Incorrect(_("no gradient flows from your coordinates back to the logits (argmax, .item() or "
                          ".detach() somewhere?): soft-argmax must be differentiable."))
    return _("the expected (x, y) of every joint's map, x first, corner cell centres at -1 and +1; differentiable.")


def _soft_argmax_solution(logits, temperature=1.0):
    h, w = logits.shape[-2:]
    p = torch.softmax((logits / temperature).flatten(-2), dim=-1).view(logits.shape)   # [..., H, W]
    xs = torch.linspace(-1, 1, w)                                                       # x of each column
    ys = torch.linspace(-1, 1, h)                                                       # y of each row
    x = (p.sum(dim=-2) * xs).sum(dim=-1)                                                # E[x]
    y = (p.sum(dim=-1) * ys).sum(dim=-1)                                                # E[y]
    return torch.stack([x, y], dim=-1)                                                  # [..., 2]


q2 = Question(
    "q2",
    N_("""
    Write soft_argmax(logits, temperature=1.0) for logits [..., H, W]: the spatial softmax of each
    map, then the expected x and y, returned as [..., 2] with x FIRST. x of the columns and y of
    the rows run from -1 (centre of the first cell) to +1 (centre of the last). It must equal
    m2p_course.soft_argmax2d and keep the gradient.
    """),
    _check_soft_argmax,
    [N_("Three steps: p = the spatial softmax [..., H, W]; the marginals p(x) = p.sum(dim=-2) [..., W] and p(y) = "
        "p.sum(dim=-1) [..., H]; then E[x] = (p(x) * xs).sum(-1) and the same for y."),
     N_("xs = torch.linspace(-1, 1, W) (one per column), ys = torch.linspace(-1, 1, H) (one per row)."),
     N_("return torch.stack([x, y], dim=-1): x first.")],
    N_("""
    def soft_argmax(logits, temperature=1.0):
        h, w = logits.shape[-2:]
        p = torch.softmax((logits / temperature).flatten(-2), dim=-1).view(logits.shape)   # [..., H, W]
        xs = torch.linspace(-1, 1, w)                                                       # x of each column
        ys = torch.linspace(-1, 1, h)                                                       # y of each row
        x = (p.sum(dim=-2) * xs).sum(dim=-1)                                                # E[x]
        y = (p.sum(dim=-1) * ys).sum(dim=-1)                                                # E[y]
        return torch.stack([x, y], dim=-1)                                                  # [..., 2]
    """),
    answer=lambda: _soft_argmax_solution,
)

# -----------------------------------------------------------------------------
# q3: the parameters of PoseHead(1024, heatmap_size=(8, 8))
# (8 x 8, not the 16 x 16 that notebook 06 and the cell after the exercise print)

_HIDDEN, _HALF, _QUARTER, _JOINTS, _SIDE = 1024, 512, 256, 134, 8
_CELLS = _SIDE * _SIDE                                                          # 64
_FIRST_TWO = (_HIDDEN * _HALF + _HALF) + (_HALF * _QUARTER + _QUARTER)          # 656,128
_LAST = (_QUARTER + 1) * _JOINTS * _CELLS                                       # 2,204,032
SPATIAL_HEAD_PARAMS = _FIRST_TWO + _LAST                                        # 2,860,160
GUIDE_HEAD_PARAMS = _FIRST_TWO + (_QUARTER + 1) * _JOINTS                       # 690,566
HEAD_16X16_PARAMS = _FIRST_TWO + (_QUARTER + 1) * _JOINTS * 16 * 16             # 9,472,256

_KNOWN_MISTAKES = {
    _LAST: N_("that is the last layer alone (256 -> 134 x 8 x 8); the head also has its first two Linears, 1024 -> "
              "512 and 512 -> 256."),
    _FIRST_TWO + _QUARTER * _JOINTS * _CELLS: N_("the last Linear has a bias too: one per output, 134 x 8 x 8 of "
                                                 "them."),
    GUIDE_HEAD_PARAMS: N_("that is the guide's head, [B, T, 134]; the spatial head's last Linear outputs 134 x 8 x "
                          "8 logits per frame (one 8 x 8 map per joint)."),
    HEAD_16X16_PARAMS: N_("that is the 16 x 16 head (notebook 06 prints it); this one is 8 x 8: its last Linear "
                          "outputs 134 x 8 x 8 = 8,576 logits."),
    _FIRST_TWO + (_QUARTER + 1) * _CELLS: N_("one 8 x 8 map for ALL the joints? Every one of the 134 joints gets "
                                             "its own map: the last Linear outputs 134 x 8 x 8."),
    _FIRST_TWO + (_QUARTER + 1) * _JOINTS * 2 * _SIDE: N_("a map of 8 x 8 has 8 * 8 = 64 cells, not 8 + 8."),
    GUIDE_HEAD_PARAMS + _LAST: N_("the spatial head REPLACES the guide's last layer (256 -> 134) with 256 -> 134 x "
                                  "8 x 8; it does not add one."),
    _FIRST_TWO + (_HIDDEN + 1) * _JOINTS * _CELLS: N_("the last Linear's input is 256 (the head goes 1024 -> 512 "
                                                      "-> 256 -> ...), not 1024."),
}


def _check_count(answer) -> str:
    return check_count(
        answer, SPATIAL_HEAD_PARAMS, {n: _(message) for n, message in _KNOWN_MISTAKES.items()},
        success=_("{params:,} parameters, {ratio:.1f} times the guide's head ({guide_params:,}); {last} of them in "
                  "the last layer.").format(
            params=SPATIAL_HEAD_PARAMS, ratio=SPATIAL_HEAD_PARAMS / GUIDE_HEAD_PARAMS, guide_params=GUIDE_HEAD_PARAMS,
            last=f"{100 * _LAST / SPATIAL_HEAD_PARAMS:.0f} %"),  # the percent outside the msgid: not a %-format
        far=_("a Linear(in, out) has in * out weights plus out biases, and the last one has out = 134 * 8 * 8."),
        close=_("add the three Linears one at a time (in * out + out)."))


q3 = Question(
    "q3",
    N_("""
    How many parameters does the spatial pose head PoseHead(1024, heatmap_size=(8, 8)) have?
    Linear(1024, 512), GELU, Dropout, Linear(512, 256), GELU, Dropout, Linear(256, 134 * 8 * 8).
    Give the exact number as an int (an expression like 1024 * 512 + ... is fine).
    """),
    _check_count,
    [N_("A Linear(in, out) holds in * out weights and out biases; GELU and Dropout hold nothing."),
     N_("The last Linear outputs one logit per joint per cell: out = 134 * 8 * 8 = 8,576."),
     N_("(1024 * 512 + 512) + (512 * 256 + 256) + (256 * 134 * 8 * 8 + 134 * 8 * 8)")],
    N_("answer = (1024 * 512 + 512) + (512 * 256 + 256) + (256 * 134 * 8 * 8 + 134 * 8 * 8)   # 2,860,160"),
    answer=lambda: SPATIAL_HEAD_PARAMS,
)
