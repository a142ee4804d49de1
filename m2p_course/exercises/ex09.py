"""Exercises of notebook 09 · The whole M2PEncoder: a batch of songs of different lengths.

q1  three songs of 2, 5 and 8 s padded into one batch: the mask's shape and its padded frames
q2  write valid_mean(h, padding_mask): the face head's mean over the real frames only
q3  from an 8 s clip to a 3-minute song: how much do the hidden states and the attention grow?
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..i18n import N_, _
from .core import Incorrect, Question, call_student

__all__ = ["q1", "q2", "q3"]


# -----------------------------------------------------------------------------
# helpers

def _as_int(value, what: str, *, whole_floats: bool = False) -> int:
    """An int (Python, NumPy or a one-element integer tensor). With ``whole_floats`` a float
    with a whole value (270.0, np.float64(270), torch.tensor(270.)) counts too: a count the
    student computed with float arithmetic or ``mask.float().sum()``."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and (whole_floats or not value.is_floating_point()):
        value = value.item()
    if whole_floats and isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise Incorrect(_("{what}: expected a whole number (an int), got {type} {value!r}").format(
            what=what, type=type(value).__name__, value=value))
    return int(value)


def _as_number(value, what: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise Incorrect(_("{what}: expected a number, got {type} {value!r}").format(
            what=what, type=type(value).__name__, value=value))
    return float(value)


def _pair(answer, what: str) -> tuple:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Incorrect(_("{what}: expected a pair (a, b), got {type} {answer!r}").format(
            what=what, type=type(answer).__name__, answer=answer))
    return tuple(answer)


# -----------------------------------------------------------------------------
# q1: the padding of three songs

FPS = 30
SECONDS = (2, 5, 8)
LENGTHS = tuple(s * FPS for s in SECONDS)                      # 60, 150, 240 frames
T_MAX = max(LENGTHS)
MASK_SHAPE = (len(LENGTHS), T_MAX)                             # (3, 240)
PADDED = sum(T_MAX - n for n in LENGTHS)                       # 180 + 90 + 0 = 270


def _check_q1(answer) -> None:
    shape, padded = _pair(answer, "(mask_shape, padded_frames)")
    if isinstance(shape, torch.Size):
        shape = tuple(shape)
    if not isinstance(shape, (tuple, list)):
        raise Incorrect(_("mask_shape: expected a tuple such as (1, 2), got {type} {shape!r}").format(
            type=type(shape).__name__, shape=shape))
    shape = tuple(_as_int(n, "mask_shape") for n in shape)
    padded = _as_int(padded, "padded_frames", whole_floats=True)
    if shape != MASK_SHAPE:
        mistakes = {
            (T_MAX, len(LENGTHS)): _("the batch comes first: [B, T_max]."),
            (len(LENGTHS), T_MAX, 4800): _("that is the padded music features; the mask has one True/False per "
                                           "frame, no feature axis: [B, T_max]."),
            (len(LENGTHS), sum(LENGTHS)): _("every clip is padded to the LONGEST clip, not to the sum of the "
                                            "lengths."),
            (len(LENGTHS), max(SECONDS)): _("T counts frames, 30 per second, not seconds."),
            (len(LENGTHS), min(LENGTHS)): _("padding makes every clip as long as the longest; nothing is cut."),
        }
        raise Incorrect(_("mask_shape {shape} is not it. ").format(shape=shape) + mistakes.get(
            shape, _("One row per clip, one column per frame of the longest clip (30 frames per second).")))
    if padded != PADDED:
        mistakes = {
            sum(LENGTHS): _("that counts the REAL frames (False in the mask); True marks the padded ones."),
            len(LENGTHS) * T_MAX: _("that is every entry of the mask; only the frames after each clip's end are "
                                    "True."),
            T_MAX - min(LENGTHS): _("that is the shortest clip's padding only; the middle clip is padded too."),
            sum(max(SECONDS) - s for s in SECONDS): _("count frames, not seconds (30 per second)."),
            T_MAX: _("the longest clip needs no padding; add up T_max - T for each clip."),
        }
        raise Incorrect(_("padded_frames {padded} is not it. ").format(padded=padded) + mistakes.get(
            padded, _("For each clip, T_max - T frames are padding; add them up.")))


q1 = Question(
    "q1",
    N_("""
    Three songs of {s1}, {s2} and {s3} seconds (30 frames per second) go into one
    batch through pad_collate. What is the shape of the padding mask, and how many of its entries
    are True (padded frames)? Answer (mask_shape, padded_frames), e.g. ((1, 2), 3).
    """),
    _check_q1,
    [N_("Each clip becomes T_max frames long, T_max = the longest clip's length in frames."),
     N_("The lengths are {t1}, {t2} and {t3} frames; the mask is [B, T_max] and clip b has T_max - T_b padded "
        "frames.")],
    N_("""
    lengths = [2 * 30, 5 * 30, 8 * 30]                        # 60, 150, 240 frames
    mask_shape = (len(lengths), max(lengths))                 # (3, 240): [B, T_max]
    padded_frames = sum(max(lengths) - n for n in lengths)    # 180 + 90 + 0 = 270
    answer = (mask_shape, padded_frames)
    """),
    answer=lambda: (MASK_SHAPE, PADDED),
    success=N_("[3, 240], with {padded} of its 720 frames padding: {share} of the batch's frames are zeros that the "
               "mask must hide."),
    values=dict(s1=SECONDS[0], s2=SECONDS[1], s3=SECONDS[2], t1=LENGTHS[0], t2=LENGTHS[1], t3=LENGTHS[2],
                padded=PADDED, share="38%"),  # the percent outside the msgid: not a %-format
)


# -----------------------------------------------------------------------------
# q2: valid_mean(h, padding_mask)

def _q2_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    """h [3, 6, 4] whose padded frames hold large values, and a mask with 2, 6 and 4 real frames."""
    g = torch.Generator().manual_seed(9)
    h = torch.randn(3, 6, 4, generator=g)
    mask = torch.arange(6)[None, :] >= torch.tensor([2, 6, 4])[:, None]     # True = padded
    h = torch.where(mask[..., None], h + 50.0, h)                          # padding that would show
    return h, mask


def _reference_mean(h, mask):
    valid = (~mask).unsqueeze(-1).to(h.dtype)
    return (h * valid).sum(dim=1) / valid.sum(dim=1)


def _check_q2(fn) -> None:
    h, mask = _q2_inputs()
    h_before, mask_before = h.clone(), mask.clone()
    try:
        out = call_student(fn, h, mask)
    except RuntimeError as exc:
        # [B, C] / [B]: the count of real frames lost its axis (h here is [3, 6, 4], so C = 4 meets B = 3)
        if "must match the size of tensor b (3) at non-singleton dimension 1" in str(exc):
            raise Incorrect(_("your answer raised RuntimeError: the sum over time is [B, C] = [3, 4] but the count "
                              "of real frames is [B] = [3], and [3, 4] / [3] does not broadcast. Divide by a [B, "
                              "1] count: (~padding_mask).sum(dim=1, keepdim=True).")) from None
        raise
    if not torch.equal(h, h_before) or not torch.equal(mask, mask_before):
        raise Incorrect(_("valid_mean changed its inputs in place (masked_fill_ or an index assignment on h): work "
                          "on a copy, e.g. h.masked_fill(...) without the underscore."))
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("valid_mean should return a tensor, got {type}").format(type=type(out).__name__))
    if tuple(out.shape) != (3, 4):
        hint = {(3, 1, 4): _("keep no time axis: sum over dim=1 without keepdim=True."),
                (3, 6): _("you averaged over the features (dim=-1); average over time, dim=1."),
                (6, 4): _("you averaged over the batch (dim=0); average over time, dim=1.")}
        raise Incorrect(_("for h [3, 6, 4] the result should be [B, C] = (3, 4), got {tuple}. ").format(
            tuple=tuple(out.shape))
                        + hint.get(tuple(out.shape), _("One mean vector per clip: reduce over time, dim=1.")))
    if not out.is_floating_point():
        raise Incorrect(_("valid_mean returned dtype {dtype}; a mean is a floating-point tensor, like h.").format(
            dtype=out.dtype))
    out = out.detach().to(torch.float32)          # float64 (e.g. via .double()) is right too
    expected = _reference_mean(h, mask)
    if torch.allclose(out, expected, atol=1e-5):
        return None
    valid = (~mask).unsqueeze(-1).to(h.dtype)
    variants = [
        (h.mean(dim=1), _("that is the plain mean over all 6 frames: the padded frames (here full of 50s) leak in. "
                          "Average only where the mask is False.")),
        ((h * valid).sum(dim=1) / h.shape[1], _("you zeroed the padding but divided by T_max = 6; divide by the "
                                                "number of REAL frames of each clip: (~padding_mask).sum(dim=1).")),
        (_reference_mean(h, ~mask), _("you averaged the PADDED frames (and got NaN for the clip with none): in the "
                                      "encoder's convention True = padded, so the real frames are ~padding_mask.")),
        ((h * valid).sum(dim=1), _("that is the sum over the real frames; divide it by how many there are.")),
    ]
    for variant, message in variants:
        if torch.allclose(out, variant, atol=1e-4, equal_nan=True):
            raise Incorrect(message)
    err = (out - expected).abs().max().item()
    raise Incorrect(_("the values differ from the mean over the real frames (largest difference {err:.3g}).").format(
        err=err))


q2 = Question(
    "q2",
    N_("""
    Write valid_mean(h, padding_mask): h is [B, T, C], padding_mask is [B, T] bool with True = padded
    frame. Return [B, C], the mean over time of each clip's REAL frames only (what the face head
    must do before its MLP, and what masked_mean does).
    """),
    _check_q2,
    [N_("Turn the mask into weights: 1.0 for a real frame, 0.0 for a padded one, shaped [B, T, 1] to broadcast."),
     N_("valid = (~padding_mask).unsqueeze(-1).float(); sum h * valid over dim=1, then divide by valid.sum(dim=1).")],
    N_("""
    def valid_mean(h, padding_mask):
        valid = (~padding_mask).unsqueeze(-1).to(h.dtype)      # [B, T, 1]: 1 = real frame
        return (h * valid).sum(dim=1) / valid.sum(dim=1)       # [B, C]
    """),
    answer=lambda: _reference_mean,
    success=N_("the padding is invisible to the face head: the same embedding as for the clip alone."),
)


# -----------------------------------------------------------------------------
# q3: from 8 s to 3 minutes

T_SHORT, T_LONG = 240, 5400
GROWTH = T_LONG / T_SHORT                                       # 22.5


def _check_q3(answer) -> None:
    what = _("(hidden states growth, attention growth)")
    hidden, attention = (_as_number(v, what) for v in _pair(answer, what))
    if math.isclose(hidden, GROWTH, rel_tol=1e-3) and math.isclose(attention, GROWTH ** 2, rel_tol=1e-3):
        return None
    mistakes = [
        ((GROWTH, GROWTH), _("the hidden states [B, T, 1024] grow like T, but the attention weights [B, 8, T, T] "
                             "have T twice in their shape.")),
        ((GROWTH ** 2, GROWTH ** 2), _("the hidden states [B, T, 1024] have T once in their shape: they grow like "
                                       "T.")),
        ((GROWTH ** 2, GROWTH), _("swapped: the hidden states grow like T, the attention like T squared.")),
        ((GROWTH, 2 * GROWTH), _("T x T grows by the factor squared (22.5 x 22.5), not doubled.")),
        ((T_LONG - T_SHORT, (T_LONG - T_SHORT) ** 2), _("a factor is a ratio, T_long / T_short, not a difference.")),
    ]
    for (h, a), message in mistakes:
        if math.isclose(hidden, h, rel_tol=1e-3) and math.isclose(attention, a, rel_tol=1e-3):
            raise Incorrect(message)
    if not math.isclose(hidden, GROWTH, rel_tol=1e-3):
        raise Incorrect(_("hidden states growth {hidden:g} is not it: [B, T, 1024] grows with T, and T goes from "
                          "{t_short} to {t_long}.").format(hidden=hidden, t_short=T_SHORT, t_long=T_LONG))
    raise Incorrect(_("attention growth {attention:g} is not it: [B, 8, T, T] has T twice in its shape.").format(
        attention=attention))


q3 = Question(
    "q3",
    N_("""
    An 8-second clip has T = {t_short} frames; a three-minute song has T = {t_long}. Going from the
    clip to the song (same B, same model), by what factor does the memory of one layer's hidden
    states [B, T, 1024] grow, and by what factor the memory of its attention weights [B, 8, T, T]?
    Answer (hidden_growth, attention_growth), two numbers.
    """),
    _check_q3,
    [N_("Count how many times T appears in each shape."),
     N_("T grows by {t_long} / {t_short} = {growth:g}. A shape with T once grows by that; with T twice, by its "
        "square.")],
    N_("""
    growth = {t_long} / {t_short}                  # 22.5 times longer
    answer = (growth, growth ** 2)       # hidden states x 22.5, attention x 506.25
    """),
    answer=lambda: (GROWTH, GROWTH ** 2),
    success=N_("x 22.5 and x 506: the attention that was 1.76 MiB per clip and layer at 8 s becomes 890 MiB at "
               "three minutes."),
    values=dict(t_short=T_SHORT, t_long=T_LONG, growth=GROWTH),
)
