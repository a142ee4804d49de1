"""Exercises of notebook 11 · Performance.

q1  write linear_flops(batch, length, in_features, out_features): the FLOPs of one nn.Linear on [B, T, in]
q2  write scores_bytes(batch, heads, length, dtype): the bytes of one layer's attention scores [B, heads, T, T]
q3  write longest_window(budget_bytes, batch, heads, layers, dtype): the longest T whose scores fit the budget
q4  write scores_overtake_feed_forward(hidden_dim, dim_feedforward): the T where attention's scores cost as much
    as the feed-forward
"""

from __future__ import annotations

import math

import torch

from ..i18n import N_, _
from .core import Incorrect, Question, call_student

__all__ = ["q1", "q2", "q3", "q4"]


def _whole(out, what: str) -> int:
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    if isinstance(out, bool) or not isinstance(out, (int, float)):
        raise Incorrect(_("{what} should be a number (an int), got {type} {out!r:.60}").format(
            what=what, type=type(out).__name__, out=out))
    if isinstance(out, float) and not out.is_integer():
        raise Incorrect(_("{what} is a count, a whole number; got {out!r}").format(what=what, out=out))
    return int(out)


# -----------------------------------------------------------------------------
# q1: linear_flops(batch, length, in_features, out_features)

Q1_CASES = [(3, 300, 4800, 2048), (3, 7, 5, 11), (1, 5400, 1024, 4096)]


def _reference_linear_flops(batch, length, in_features, out_features):
    return 2 * batch * length * in_features * out_features


def _check_q1(fn) -> None:
    for b, t, i, o in Q1_CASES:
        got = _whole(call_student(fn, b, t, i, o), f"linear_flops({b}, {t}, {i}, {o})")
        expected = _reference_linear_flops(b, t, i, o)
        if got == expected:
            continue
        for variant, message in [
            (b * t * i * o, _("that counts multiply-adds (MACs); each is TWO floating-point operations, a multiply "
                              "and an add: FLOPs = 2 x MACs.")),
            (2 * t * i * o, _("you left out the batch: every one of the B clips goes through the layer.")),
            (2 * b * i * o, _("you left out T: the layer runs on every frame, B x T rows in all.")),
            (2 * b * t * (i * o + o), _("the bias adds one addition per output, B x T x out in all: a rounding "
                                        "error next to the products, and the FLOPs that count (and that torch's "
                                        "FlopCounterMode counts) are the products only.")),
            (2 * b * t * (i + o), _("a linear layer multiplies every input by every output: in x out products per "
                                    "row, not in + out.")),
            (2 * b * t * i * i, _("the weight is [out, in]: in x out products per row.")),
            (4 * b * t * i * o, _("that is twice too many: 2 FLOPs per multiply-add, not 4 (the backward pass, "
                                  "which costs about twice the forward, is not asked for).")),
        ]:
            if got == variant:
                raise Incorrect(message)
        raise Incorrect(_("linear_flops({b}, {t}, {i}, {o}) should be {expected:,}, got {got:,}.").format(
            b=b, t=t, i=i, o=o, expected=expected, got=got))
    return None


q1 = Question(
    "q1",
    N_("""
    Write linear_flops(batch, length, in_features, out_features): the FLOPs of one nn.Linear(in_features,
    out_features) applied to music features [batch, length, in_features], counting 2 FLOPs per
    multiply-add and only the matrix product (as stage_flops and torch's FlopCounterMode do). For the
    guide's first projection, linear_flops(1, 5400, 4800, 2048) is what a three-minute song costs there.
    """),
    _check_q1,
    [N_("The layer is one matrix product [B*T, in] @ [in, out]: how many multiply-adds is that?"),
     N_("Each of the B*T*out outputs is a sum of in products: B*T*in*out multiply-adds. How many FLOPs is one?")],
    N_("""
    def linear_flops(batch, length, in_features, out_features):
        rows = batch * length                        # the layer sees B x T rows of in_features numbers
        return 2 * rows * in_features * out_features # each output: in multiply-adds; 2 FLOPs each
    """),
    answer=lambda: _reference_linear_flops,
    success=N_("the projection's first matrix alone is 106 GFLOP for a whole song: the biggest single product of "
               "the model, bigger than any one product inside a transformer layer (a whole layer, with its "
               "attention, is 255 GFLOP)."),
)


# -----------------------------------------------------------------------------
# q2: scores_bytes(batch, heads, length, dtype)

Q2_CASES = [(1, 8, 5400, torch.float32), (3, 4, 300, torch.bfloat16), (3, 2, 7, torch.float64)]


def _reference_scores_bytes(batch, heads, length, dtype):
    return batch * heads * length * length * torch.tensor([], dtype=dtype).element_size()


def _check_q2(fn) -> None:
    for b, h, t, dtype in Q2_CASES:
        got = _whole(call_student(fn, b, h, t, dtype), f"scores_bytes({b}, {h}, {t}, {dtype})")
        size = torch.tensor([], dtype=dtype).element_size()
        expected = _reference_scores_bytes(b, h, t, dtype)
        if got == expected:
            continue
        for variant, message in [
            (b * h * t * t, _("that is the number of scores; each takes dtype's element size in bytes "
                              "(torch.tensor([], dtype=dtype).element_size(): 4 for float32, 2 for bfloat16).")),
            (b * h * t * t * 4, _("you always used 4 bytes: a bfloat16 score takes 2, a float64 one 8. Read the "
                                  "size from the dtype.")),
            (b * h * t * size, _("one query row holds T scores, and there are T queries: T x T per head, not T.")),
            (b * t * t * size, _("each of the heads has its own T x T scores: multiply by heads.")),
            (h * t * t * size, _("each clip of the batch has its own scores: multiply by batch.")),
            (b * h * t * t * size * 1024 // h, _("the scores do not depend on the model's width d: Q K^T is [T, "
                                                 "d/h] @ [d/h, T] = [T, T] per head.")),
            (b * h * t * t * size * 8, _("element_size() is already in bytes; do not multiply by 8 (bits).")),
        ]:
            if got == variant:
                raise Incorrect(message)
        raise Incorrect(_("scores_bytes({b}, {h}, {t}, {dtype}) should be {expected:,}, got {got:,}.").format(
            b=b, h=h, t=t, dtype=dtype, expected=expected, got=got))
    return None


q2 = Question(
    "q2",
    N_("""
    Write scores_bytes(batch, heads, length, dtype): the bytes of one layer's attention scores, the
    [batch, heads, length, length] matrix Q K^T / sqrt(d_k) that plain attention makes (its softmax, the
    weights, is another matrix of the same size), with elements of the torch dtype given
    (torch.float32, torch.bfloat16, ...).
    """),
    _check_q2,
    [N_("Count the elements of a [B, heads, T, T] tensor, then multiply by the bytes of one element."),
     N_("batch * heads * length * length * torch.tensor([], dtype=dtype).element_size()")],
    N_("""
    def scores_bytes(batch, heads, length, dtype):
        elements = batch * heads * length * length            # one T x T matrix per clip and head
        return elements * torch.tensor([], dtype=dtype).element_size()   # 4 bytes for float32, 2 for bfloat16
    """),
    answer=lambda: _reference_scores_bytes,
    success=N_("8 heads x 5400^2 x 4 bytes = 0.93 GB per layer for one song: the matrix that the fused kernels "
               "never make."),
)


# -----------------------------------------------------------------------------
# q3: longest_window(budget_bytes, batch, heads, layers, dtype)

Q3_CASES = [(16 * 10**9, 2, 8, 6, torch.float32), (10**9, 2, 8, 6, torch.bfloat16), (1000, 1, 2, 3, torch.float32)]


def _reference_longest_window(budget_bytes, batch, heads, layers, dtype):
    per_pair = layers * batch * heads * torch.tensor([], dtype=dtype).element_size()   # bytes per (query, key)
    return math.isqrt(budget_bytes // per_pair)     # T^2 * p <= budget exactly when T^2 <= budget // p


def _check_q3(fn) -> None:
    for budget, b, h, layers, dtype in Q3_CASES:
        call = f"longest_window({budget}, {b}, {h}, {layers}, {dtype})"
        got = _whole(call_student(fn, budget, b, h, layers, dtype), call)
        size = torch.tensor([], dtype=dtype).element_size()
        expected = _reference_longest_window(budget, b, h, layers, dtype)
        if got == expected:
            continue
        for variant, message in [
            (math.isqrt(budget // (b * h * size)), _("you fitted ONE layer's scores: a training step keeps every "
                                                     "layer's scores for the backward pass, layers of them at once.")),
            (math.isqrt(budget // (layers * b * h)), _("you counted elements, not bytes: divide by the element "
                                                       "size as well.")),
            (budget // (layers * b * h * size), _("the scores grow as T^2: take the square root of the elements "
                                                  "that fit.")),
            (math.isqrt(budget // (layers * h * size)), _("every clip of the batch keeps its own scores: divide by "
                                                          "batch too.")),
        ]:
            if got == variant:
                raise Incorrect(message)
        need = layers * b * h * got * got * size
        if got == expected + 1:
            raise Incorrect(_("{call}: T = {got} needs {need:,} bytes, more than the budget {budget:,}: round DOWN "
                              "(math.isqrt, or int(math.sqrt(...))), never up.").format(
                call=call, got=got, need=need, budget=budget))
        if need > budget:
            raise Incorrect(_("{call}: T = {got} needs {need:,} bytes, more than the budget {budget:,}; the answer "
                              "is {expected}.").format(
                call=call, got=got, need=need, budget=budget, expected=expected))
        raise Incorrect(_("{call} should be {expected}, got {got}.").format(call=call, expected=expected, got=got))
    return None


q3 = Question(
    "q3",
    N_("""
    Write longest_window(budget_bytes, batch, heads, layers, dtype): the largest whole T such that the
    attention scores a training step keeps for backward, layers x [batch, heads, T, T] elements of
    dtype, take at most budget_bytes. (This is the plain attention of a training step; a checkpointed
    step keeps none of them.)
    """),
    _check_q3,
    [N_("The scores take layers * batch * heads * T**2 * element_size bytes. Solve for T, then round down."),
     N_("Call per_pair = layers * batch * heads * element_size: you need the largest T with T*T <= budget // "
        "per_pair. math.isqrt gives the integer square root, rounded down.")],
    N_("""
    def longest_window(budget_bytes, batch, heads, layers, dtype):
        per_pair = layers * batch * heads * torch.tensor([], dtype=dtype).element_size()   # bytes per (query, key)
        return math.isqrt(budget_bytes // per_pair)           # the largest T with T*T*per_pair <= budget
    """),
    answer=lambda: _reference_longest_window,
    success=N_("16 GB hold the scores of the guide's six layers up to T = 9128 for one clip (B = 1). But the "
               "scores are only part of what a step keeps (their dropout masks and the softmax's output too, then "
               "the feed-forward): predict_memory finds about 21 GB at T = 5400, four times the scores' 5.6 GB."),
)


# -----------------------------------------------------------------------------
# q4: scores_overtake_feed_forward(hidden_dim, dim_feedforward)

Q4_CASES = [(256, 768), (1024, 4096), (64, 100)]


def _reference_crossover(hidden_dim, dim_feedforward):
    # per frame and layer: scores 2 * (2 * T * d) (Q K^T and P V); feed-forward 2 * (2 * d * ff): equal at T = ff
    return dim_feedforward


def _check_q4(fn) -> None:
    for d, ff in Q4_CASES:
        call = f"scores_overtake_feed_forward({d}, {ff})"
        got = _whole(call_student(fn, d, ff), call)
        if got == ff:
            continue
        for variant, message in [
            (2 * d, _("2 x hidden_dim is where the scores overtake the attention PROJECTIONS (q, k, v, out: 8 d^2 "
                      "per frame); the feed-forward costs 2 d ff per frame, twice per multiply-add.")),
            (4 * d, _("4 x hidden_dim is the guide's feed-forward width, but this model's dim_feedforward is "
                      "given: use it.")),
            (ff // 2, _("the scores are TWO products per head, Q K^T and then the weights times V: 2 x (2 T d) "
                        "FLOPs per frame, not 2 T d.")),
            (2 * ff, _("the feed-forward is TWO products, d -> ff and ff -> d: 2 x (2 d ff) FLOPs per frame.")),
            (d, _("the scores' cost per frame grows with T; set 4 T d equal to the feed-forward's 4 d ff and solve "
                  "for T.")),
            (ff // d, _("per frame the scores cost 4 T d and the feed-forward 4 d ff: d cancels, and T = ff, not "
                        "ff/d.")),
        ]:
            if got == variant:
                raise Incorrect(f"{call}: {message}")
        raise Incorrect(_("{call} should be {ff}, got {got}.").format(call=call, ff=ff, got=got))
    return None


q4 = Question(
    "q4",
    N_("""
    Write scores_overtake_feed_forward(hidden_dim, dim_feedforward): the length T at which one layer's
    attention scores (Q K^T and then the weights times V, all heads together) cost exactly as many
    FLOPs as the layer's feed-forward (hidden_dim -> dim_feedforward -> hidden_dim). Count per frame:
    2 FLOPs per multiply-add, as stage_flops does. Beyond that T, attention is the dearer of the two.
    """),
    _check_q4,
    [N_("Per frame, Q K^T multiplies a d-wide query by T keys, and the weights times V sums T values d wide: how "
        "many FLOPs together? Then the feed-forward's two products."),
     N_("Scores: 2 * (2 * T * d) per frame. Feed-forward: 2 * (2 * d * ff) per frame. Set them equal and solve for "
        "T.")],
    N_("""
    def scores_overtake_feed_forward(hidden_dim, dim_feedforward):
        # per frame: scores 4 * T * d, feed-forward 4 * d * ff; d cancels
        return dim_feedforward
    """),
    answer=lambda: _reference_crossover,
    success=N_("T = dim_feedforward: 4096 frames (2 min 16 s) for the guide's model, whatever its width. The "
               "4-second training windows are far below it; a whole song is above it."),
)
