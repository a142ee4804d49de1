"""Exercises of notebook 12 · Troubleshooting.

q1  the parameters of a learned adapter nn.Linear(35, 4800) (from EDGE's 35 hand-made features)
q2  write num_windows(num_frames, window, overlap): how many windows chunked inference cuts a song into
q3  write warmup_factor(step, warmup): the learning-rate factor of a linear warm-up
q4  write batch_norm_by_hand(x): what BatchNorm would do to a [B, T, D] batch (and why it mixes clips)
"""

from __future__ import annotations

import numpy as np
import torch

from ..i18n import N_, _
from .core import Incorrect, Question, as_whole_number, call_student, check_count

__all__ = ["q1", "q2", "q3", "q4"]


# -----------------------------------------------------------------------------
# q1: the adapter's parameters

IN_DIM, OUT_DIM = 35, 4800                           # EDGE's 35 hand-made features per frame -> the model's 4800
ADAPTER_PARAMS = IN_DIM * OUT_DIM + OUT_DIM          # 172,800
WIDE_ADAPTER_PARAMS = 4096 * OUT_DIM + OUT_DIM       # 19,665,600: notebook 12's nn.Linear(4096, 4800)


def _check_q1(answer) -> str:
    return check_count(
        answer, ADAPTER_PARAMS,
        {IN_DIM * OUT_DIM: _("that is the weight matrix alone: nn.Linear also has a bias, one per OUTPUT feature."),
         IN_DIM * OUT_DIM + IN_DIM: _("the bias has one value per OUTPUT feature (4800), not per input feature "
                                      "(35)."),
         IN_DIM + OUT_DIM: _("that adds the widths; a Linear layer connects every input to every output: multiply."),
         WIDE_ADAPTER_PARAMS: _("that is nn.Linear(4096, 4800), the adapter of the notebook; this one reads only "
                                "EDGE's 35 features per frame."),
         IN_DIM * OUT_DIM * 4: _("that is its size in BYTES (float32); the question asks for parameters."),
         ADAPTER_PARAMS * 4: _("that is its size in BYTES (float32); the question asks for parameters.")},
        success=_("172,800 parameters: about a tenth of the shipped model (1,752,768), {share} of the guide's encoder "
                  "(88,992,134), and 114 times fewer than the 4096-wide adapter: its size follows the input's "
                  "width.").format(share="0.2%"),  # the percent outside the msgid: not a %-format
        far=_("a Linear(in, out) has in x out weights and out biases."),
        close=_("check the bias: one per output feature."),
    )


q1 = Question(
    "q1",
    N_("""
    Your features are EDGE's 35 hand-made values per frame and the pretrained encoder wants 4800. How many
    parameters does the learned adapter nn.Linear(35, 4800) add (weights and bias)? Give an int.
    """),
    _check_q1,
    [N_("A Linear(in, out) holds a weight [out, in] and a bias [out]."),
     N_("35 * 4800 + 4800")],
    N_("""
    adapter_params = 35 * 4800 + 4800       # weight [4800, 35] and bias [4800]
    """),
    answer=lambda: ADAPTER_PARAMS,
)


# -----------------------------------------------------------------------------
# q2: num_windows(num_frames, window, overlap)

_Q2_CASES = ((5400, 120, 30), (500, 100, 50), (90, 120, 30), (1000, 200, 0), (121, 120, 30))


def _reference_windows(num_frames, window, overlap):
    if num_frames <= window:
        return 1
    stride = window - overlap
    return -(-(num_frames - overlap) // stride)          # ceil((T - overlap) / stride)


def _check_q2(fn) -> str:
    got = []
    for case in _Q2_CASES:
        out = call_student(fn, *case)
        value = as_whole_number(out)
        if value is None:
            raise Incorrect(_("num_windows{case} should be a whole number of windows (an int), got {type} "
                              "{out!r}").format(case=case, type=type(out).__name__, out=out))
        got.append(value)
    expected = [_reference_windows(*case) for case in _Q2_CASES]
    if got == expected:
        return (_("a 3-minute song is 60 windows of 4 s; predict_dance runs them 8 at a time, so its memory is "
                  "that of 8 windows, whatever the song's length."))

    def ceil(a, b):
        return -(-a // b)

    variants = [
        ([t // w for t, w, o in _Q2_CASES], _("T // window ignores the overlap: consecutive windows start every "
                                              "window - overlap frames, not every window frames.")),
        ([ceil(t, w) for t, w, o in _Q2_CASES], _("ceil(T / window) tiles the song without overlap: consecutive "
                                                  "windows start every window - overlap frames.")),
        ([t // (w - o) for t, w, o in _Q2_CASES], _("T // (window - overlap) counts window starts over the whole "
                                                    "song, but the last window may start later than that and reach "
                                                    "the end; and a short song is one window.")),
        ([ceil(t, w - o) for t, w, o in _Q2_CASES], _("ceil(T / stride) counts one window too many when the last "
                                                      "one already reaches the end: the last window need only "
                                                      "cover the frames after the previous one's overlap.")),
        ([max(1, (t - w) // (w - o) + 1) for t, w, o in _Q2_CASES],
         _("rounding down leaves the song's last frames without a window: round UP, so the last window reaches the "
           "end (it may be shorter than the others).")),
        ([1 if t <= w else (t - w) // (w - o) + 2 for t, w, o in _Q2_CASES],
         _("one window too many when the windows fit exactly: the last window must reach the end, no further.")),
    ]
    for variant, message in variants:
        if got == variant:
            raise Incorrect(message)
    for case, value, want in zip(_Q2_CASES, got, expected, strict=True):
        if value != want:
            if case[0] <= case[1] and value != 1:
                raise Incorrect(_("num_windows{case}: a song no longer than one window is ONE window, got "
                                  "{value}.").format(case=case, value=value))
            raise Incorrect(_("num_windows{case} should be {want}, got {value}.").format(
                case=case, want=want, value=value))
    raise AssertionError("unreachable")


q2 = Question(
    "q2",
    N_("""
    Write num_windows(num_frames, window, overlap): how many windows predict_dance (and crossfade_plan)
    cuts a song of num_frames frames into. Windows are window frames long and start every
    window - overlap frames, from frame 0, until one reaches the song's end (the last may be shorter);
    a song of at most window frames is one window. Return an int.
    """),
    _check_q2,
    [N_("Consecutive windows start stride = window - overlap frames apart. After the first window, each new one "
        "covers stride new frames. How many are needed to reach num_frames?"),
     N_("The first window covers `window` frames; the rest need to cover num_frames - window more, stride at a "
        "time, rounding UP: 1 + ceil((num_frames - window) / stride).")],
    N_("""
    import math

    def num_windows(num_frames, window, overlap):
        if num_frames <= window:
            return 1                                               # a short song: one window
        stride = window - overlap                                  # where the next window starts
        return 1 + math.ceil((num_frames - window) / stride)       # the last one reaches the end
    """),
    answer=lambda: _reference_windows,
)


# -----------------------------------------------------------------------------
# q3: warmup_factor(step, warmup)

def _reference_warmup(step, warmup):
    return (step + 1) / warmup if step < warmup else 1.0


def _check_q3(fn) -> str:
    warmup = 10
    got = []
    for step in range(15):
        out = call_student(fn, step, warmup)
        if isinstance(out, torch.Tensor) and out.numel() == 1:
            out = out.item()
        if isinstance(out, bool) or not isinstance(out, (int, float, np.number)):
            raise Incorrect(_("warmup_factor should return a number, got {type} {out!r}").format(
                type=type(out).__name__, out=out))
        got.append(float(out))
    expected = [_reference_warmup(s, warmup) for s in range(15)]
    if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
        return _("the first step runs at 1/warmup of the rate, step warmup-1 at the full rate.")
    if got[0] == 0:
        raise Incorrect(_("step 0 gets a factor of 0: the first step would not move the weights at all. Step s "
                          "(counting from 0) should get (s + 1) / warmup."))
    if np.allclose(got[:warmup], expected[:warmup]) and got[warmup:] != expected[warmup:]:
        raise Incorrect(_("the ramp is right but after it the factor should stay at 1.0, got {got}").format(
            got=got[warmup:]))
    if np.allclose(got, [min(1.0, (s + 2) / warmup) for s in range(15)]):
        raise Incorrect(_("off by one: step 0 should get 1/warmup, step warmup - 1 the full rate 1.0."))
    if all(g == 1.0 for g in got):
        raise Incorrect(_("that is no warm-up: the factor should rise linearly from 1/warmup to 1."))
    raise Incorrect(_("for warmup={warmup}, expected {value}, got {value2}").format(
        warmup=warmup, value=[round(e, 3) for e in expected], value2=[round(g, 3) for g in got]))


q3 = Question(
    "q3",
    N_("""
    Write warmup_factor(step, warmup): the factor the learning rate is multiplied by at step `step`
    (counting from 0) of a linear warm-up over `warmup` steps, as train.py's schedule starts:
    1/warmup at step 0, rising by 1/warmup each step to 1.0 at step warmup - 1, then 1.0.
    """),
    _check_q3,
    [N_("Step s (from 0) of the warm-up gets (s + 1) / warmup."),
     N_("return (step + 1) / warmup if step < warmup else 1.0")],
    N_("""
    def warmup_factor(step, warmup):
        if step < warmup:
            return (step + 1) / warmup
        return 1.0
    """),
    answer=lambda: _reference_warmup,
)


# -----------------------------------------------------------------------------
# q4: batch_norm_by_hand(x)

EPS = 1e-5


def _q4_input() -> torch.Tensor:
    """[3, 5, 4]: B, T and D all different, each feature with its own offset and scale."""
    g = torch.Generator().manual_seed(12)
    return torch.randn(3, 5, 4, generator=g) * torch.tensor([1.0, 2.0, 0.5, 3.0]) + torch.tensor([0.0, 1.0, -2.0, 4.0])


def _reference_batch_norm(x):
    mean = x.mean(dim=(0, 1), keepdim=True)
    var = x.var(dim=(0, 1), unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + EPS)


def _normalised(x, dims, unbiased=False):
    return (x - x.mean(dim=dims, keepdim=True)) / torch.sqrt(x.var(dim=dims, unbiased=unbiased, keepdim=True) + EPS)


def _check_q4(fn) -> str:
    x = _q4_input()
    before = x.clone()
    out = call_student(fn, x)
    if not torch.equal(x, before):
        raise Incorrect(_("batch_norm_by_hand changed x in place; compute a new tensor instead."))
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("batch_norm_by_hand should return a tensor, got {type}").format(type=type(out).__name__))
    if tuple(out.shape) != tuple(x.shape):
        raise Incorrect(_("the output has the input's shape [B, T, D] = {tuple}, got {tuple2}").format(
            tuple=tuple(x.shape), tuple2=tuple(out.shape)))
    out = out.detach().float()
    expected = _reference_batch_norm(x)
    if torch.allclose(out, expected, atol=1e-4):
        return (_("each feature is normalised over every frame of every clip in the batch: change one clip and "
                  "every other clip's output changes too. LayerNorm (dim=-1) looks at one frame only."))
    variants = [
        (_normalised(x, (2,)), _("that normalises each frame over its features (dim=-1): that is LayerNorm. "
                                 "BatchNorm normalises each FEATURE over the batch and time: dims (0, 1).")),
        (_normalised(x, (1,)), _("that normalises each clip over its own frames (dim=1 only, InstanceNorm); "
                                 "BatchNorm takes its statistics over the whole batch too: dims (0, 1).")),
        (_normalised(x, (0,)), _("that normalises over the batch only (dim=0), frame by frame; BatchNorm1d on [B, "
                                 "D, T] also pools over time: dims (0, 1).")),
        (_normalised(x, (0, 1), unbiased=True), _("BatchNorm normalises with the biased variance (unbiased=False, "
                                                  "divide by N), as torch's does in training.")),
        (_normalised(x, (0, 1, 2)), _("that uses one mean and variance for everything; each feature has its own.")),
    ]
    for variant, message in variants:
        if torch.allclose(out, variant, atol=1e-4):
            raise Incorrect(message)
    raise Incorrect(_("the values differ from BatchNorm's: per feature, subtract the mean over dims (0, 1) and "
                      "divide by sqrt(var + 1e-5) with the biased variance."))


q4 = Question(
    "q4",
    N_("""
    Write batch_norm_by_hand(x) for hidden features x [B, T, D]: what nn.BatchNorm1d(D) does in training
    (on x.transpose(1, 2), its affine weights still 1 and 0): for each of the D features, subtract its mean
    over every frame of every clip and divide by sqrt(variance + 1e-5), the biased variance. Return [B, T, D].
    Think: which dims does LayerNorm use instead? (Return BatchNorm's answer only: if you return LayerNorm's,
    the check's message tells you.)
    """),
    _check_q4,
    [N_("Which dims does each feature's mean run over? Not the features (that is LayerNorm): the batch and time."),
     N_("mean = x.mean(dim=(0, 1), keepdim=True); var = x.var(dim=(0, 1), unbiased=False, keepdim=True)")],
    N_("""
    def batch_norm_by_hand(x):
        mean = x.mean(dim=(0, 1), keepdim=True)                      # [1, 1, D]: over clips and frames
        var = x.var(dim=(0, 1), unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-5)
    """),
    answer=lambda: _reference_batch_norm,
)
