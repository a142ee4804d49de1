"""Exercises of notebook 06, the pose head and the 134 keypoints.

q1  the index of the right hand's index fingertip              an int
q2  write pose_head(h, w1, b1, w2, b2, w3, b3), eval mode       a function
q3  count the pose head's parameters by hand                   an int
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..i18n import N_, _
from .core import Incorrect, Question, _PlaceholderReturned, as_whole_number, call_student, check_count, expect_shape

__all__ = ["q1", "q2", "q3"]


# -----------------------------------------------------------------------------
# q1: the right hand's index fingertip

_RIGHT_HAND, _LEFT_HAND = 113, 92            # the first index (the wrist) of each hand
_FINGERTIP = _RIGHT_HAND + 1 + 4 * 1 + 3     # wrist, thumb 4, then the index finger's 4th point: 121

_Q1_MISTAKES = {
    _LEFT_HAND + 1 + 4 + 3: N_("that is the LEFT hand's index fingertip: the left hand (92-112) comes before the "
                               "right hand (113-133)."),
    _RIGHT_HAND + 4 + 3: N_("one short: every hand starts with its wrist (113), then the thumb's 4 points "
                            "(114-117)."),
    _RIGHT_HAND + 1 + 4 + 4: N_("one too far: the index finger's 4 points are 118, 119, 120, 121; the tip is the "
                                "4th."),
    _RIGHT_HAND + 1 + 3: N_("that is the thumb's tip; the index finger is the second finger (thumb, index, middle, "
                            "...)."),
    _RIGHT_HAND + 1 + 4: N_("that is the base of the index finger (its first point); the tip is its last point."),
    _RIGHT_HAND: N_("that is the right hand's wrist, its first point; the fingers come after it, thumb first."),
    4: N_("that is the body's right wrist (body keypoint 4); the fingers are in the hand groups, 92-133."),
    133: N_("that is the last keypoint of all, the right hand's PINKY tip; the index finger is the second finger."),
}


def _check_fingertip(value) -> str:
    answer = as_whole_number(value)
    if answer is None:
        raise Incorrect(_("expected an index (an int from 0 to 133), got {type} {value!r}").format(
            type=type(value).__name__, value=value))
    if answer == _FINGERTIP:
        return (_("121 = 113 (the right hand's wrist) + 1 (step past the wrist) + 4 (past the thumb) + 3 (from the "
                  "index finger's base to its tip): hand_finger('right', 'index')[-1]."))
    if not 0 <= answer < 134:
        raise Incorrect(_("{answer} is not an index of [B, T, 134]: they run from 0 to 133.").format(answer=answer))
    if answer in _Q1_MISTAKES:
        raise Incorrect(_(_Q1_MISTAKES[answer]))
    if answer < _LEFT_HAND:
        raise Incorrect(_("{answer} is in the body, feet or face (0-91); the hands are 92-112 (left) and 113-133 "
                          "(right).").format(answer=answer))
    if answer < _RIGHT_HAND:
        raise Incorrect(_("{answer} is in the LEFT hand (92-112); the person's right hand is 113-133.").format(
            answer=answer))
    raise Incorrect(_("{answer} is not it: count from the right hand's wrist (113): the thumb's 4 points, then the "
                      "index finger's 4, base to tip.").format(answer=answer))


q1 = Question(
    "q1",
    N_("""
    In the DWPose-134 layout, which index holds the tip of the person's RIGHT index finger?
    Give an int from 0 to 133 (work it out from the layout, then check with m2p_course.index).
    """),
    _check_fingertip,
    [N_("The hands come last: left hand 92-112, then right hand 113-133."),
     N_("Each hand: the wrist first, then thumb, index, middle, ring, pinky, 4 points each from base to tip."),
     N_("113 (the right hand's wrist) + 1 (step past the wrist) + 4 (past the thumb's 4 points) + 3 (from the "
        "index finger's base, its 1st point, to its tip, its 4th) = 121")],
    N_("answer = 113 + 1 + 4 + 3      # wrist, step past it, past the thumb, base to tip: 121\n# = "
       "m2p_course.index('right_hand_index_4')"),
    answer=lambda: _FINGERTIP,
)

# -----------------------------------------------------------------------------
# q2: the pose head by hand, in eval mode

_HIDDEN = 32                    # a small head: 32 -> 16 -> 8 -> 134, as PoseHead(hidden_dim=32)


def _q2_inputs():
    g = torch.Generator().manual_seed(6)
    h = torch.randn(2, 5, _HIDDEN, generator=g)
    sizes = [(_HIDDEN // 2, _HIDDEN), (_HIDDEN // 4, _HIDDEN // 2), (134, _HIDDEN // 4)]
    params = []
    for out_dim, in_dim in sizes:
        params += [torch.randn(out_dim, in_dim, generator=g) / math.sqrt(in_dim),
                   0.5 * torch.randn(out_dim, generator=g)]
    return h, params


def _reference_head(h, w1, b1, w2, b2, w3, b3, act=F.gelu, last=None, biases=True, acts=(True, True)):
    a1, a2 = (act if use else (lambda x: x) for use in acts)
    b1, b2, b3 = (b if biases else 0 for b in (b1, b2, b3))
    y = a2(a1(h @ w1.T + b1) @ w2.T + b2) @ w3.T + b3
    return y if last is None else last(y)


def _q2_variants(h, params):
    yield _("the head returns LOGITS, raw scores: no softmax at the end (a softmax is get_pose_heatmap's job, "
            "notebook 07)."), _reference_head(h, *params, last=lambda y: torch.softmax(y, dim=-1))
    yield _("no GELU after the last Linear: the 134 logits must be free to be any real number."), \
        _reference_head(h, *params, last=F.gelu)
    yield _("that is ReLU; the guide's head uses GELU, x * Phi(x) (notebook 02)."), \
        _reference_head(h, *params, act=torch.relu)
    yield _("that is the tanh approximation of GELU; nn.GELU() computes the exact erf form."), \
        _reference_head(h, *params, act=lambda x: F.gelu(x, approximate="tanh"))
    yield _("the GELUs are missing: without them three Linears collapse into one matrix."), \
        _reference_head(h, *params, acts=(False, False))
    yield _("the GELU after the first Linear is missing (there is one after each of the first two)."), \
        _reference_head(h, *params, acts=(False, True))
    yield _("the GELU after the second Linear is missing (there is one after each of the first two)."), \
        _reference_head(h, *params, acts=(True, False))
    yield _("each Linear adds its bias: x @ W.T + b."), _reference_head(h, *params, biases=False)


def _call_head(fn, h, params, what: str, advice: str):
    """Call the student's head; an exception says which call failed and what the check feeds it (``advice``,
    a msgid)."""
    try:
        return call_student(fn, h.clone(), *[p.clone() for p in params])
    except (Incorrect, _PlaceholderReturned, NotImplementedError):
        raise
    except Exception as exc:
        advice = _(advice).format(hidden=_HIDDEN, half=_HIDDEN // 2, quarter=_HIDDEN // 4)
        raise Incorrect(_("{what} raised {error}: {message}. {advice}").format(
            what=what, error=type(exc).__name__, message=exc, advice=advice)) from exc


_SIZES_ADVICE = N_("The check uses a small head (hidden = {hidden}: w1 [{half}, {hidden}], w2 [{quarter}, {half}], "
                   "w3 [134, {quarter}]): take every size from the tensors, don't write 1024, and use W.T (a weight "
                   "is [out, in]).")
_ONE_FRAME_ADVICE = N_("The head must work on any leading dimensions, a single frame [hidden] included: x @ W.T + b "
                       "does, so don't reshape or index h as [B, T, hidden].")


def _check_pose_head(fn) -> str:
    h, params = _q2_inputs()
    expected = _reference_head(h, *params)
    out = _call_head(fn, h, params, f"pose_head(h [2, 5, {_HIDDEN}], ...)", _SIZES_ADVICE)
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("pose_head should return a tensor, got {type}").format(type=type(out).__name__))
    expect_shape(out, (2, 5, 134), f"pose_head(h [2, 5, {_HIDDEN}], ...)")
    again = _call_head(fn, h, params, f"pose_head(h [2, 5, {_HIDDEN}], ...)", _SIZES_ADVICE)
    if not torch.equal(out, again):
        raise Incorrect(_("two calls gave different outputs: in eval mode dropout does nothing, leave it out."))
    if not torch.allclose(out, expected, atol=1e-5, rtol=1e-4):
        for message, variant in _q2_variants(h, params):
            if torch.allclose(out, variant, atol=1e-5, rtol=1e-4):
                raise Incorrect(message)
        err = (out - expected).abs().max().item()
        raise Incorrect(_("the values differ from Linear -> GELU -> Linear -> GELU -> Linear (largest difference "
                          "{err:.3g}); each Linear is x @ W.T + b.").format(err=err))
    one_frame = _call_head(fn, h[0, 3], params, _("pose_head(one frame [{hidden}], ...)").format(
        hidden=_HIDDEN), _ONE_FRAME_ADVICE)
    expect_shape(one_frame, (134,), _("pose_head(one frame [{hidden}], ...)").format(hidden=_HIDDEN))
    return _("equal to PoseHead in eval mode: three Linears, a GELU after each of the first two, one frame at a "
             "time.")


def _pose_head_solution(h, w1, b1, w2, b2, w3, b3):
    h = F.gelu(h @ w1.T + b1)
    h = F.gelu(h @ w2.T + b2)
    return h @ w3.T + b3


q2 = Question(
    "q2",
    N_("""
    Write pose_head(h, w1, b1, w2, b2, w3, b3): the pose head in eval mode (dropout off), from plain
    tensor operations. h is [..., hidden]; w1 [hidden/2, hidden], w2 [hidden/4, hidden/2],
    w3 [134, hidden/4] with biases b1, b2, b3. Layers: Linear, GELU, (Dropout), Linear, GELU, (Dropout),
    Linear. Return the logits [..., 134]. The check calls it with a small head (hidden = 32) on h [2, 5, 32]
    and on a single frame [32]: don't hard-code 1024 or assume three dimensions.
    """),
    _check_pose_head,
    [N_("A Linear is x @ W.T + b; F.gelu (or your gelu from notebook 02) is the exact GELU."),
     N_("Dropout in eval mode is the identity; the last Linear has no activation after it."),
     N_("return F.gelu(F.gelu(h @ w1.T + b1) @ w2.T + b2) @ w3.T + b3")],
    N_("""
    def pose_head(h, w1, b1, w2, b2, w3, b3):
        h = F.gelu(h @ w1.T + b1)          # [..., hidden/2]
        h = F.gelu(h @ w2.T + b2)          # [..., hidden/4]
        return h @ w3.T + b3               # [..., 134]: logits, no activation
    """),
    answer=lambda: _pose_head_solution,
)

# -----------------------------------------------------------------------------
# q3: the parameter count of PoseHead(1024)

_SIZES = ((1024, 512), (512, 256), (256, 134))
_WEIGHTS = sum(i * o for i, o in _SIZES)                    # 689,664
_BIASES = sum(o for _, o in _SIZES)                         # 902
POSE_HEAD_PARAMS = _WEIGHTS + _BIASES                        # 690,566

_Q3_MISTAKES = {
    _WEIGHTS: N_("you counted only the weight matrices: each Linear also has a bias, one per output."),
    _WEIGHTS + sum(i for i, _ in _SIZES): N_("a bias has one number per OUTPUT of its Linear (512, 256, 134), not "
                                             "per input."),
    POSE_HEAD_PARAMS - (256 * 134 + 134): N_("the last Linear(256, 134) is missing: it makes the 134 scores."),
    POSE_HEAD_PARAMS + 2 * 512 + 2 * 256: N_("the pose head has no LayerNorm (unlike the projection): GELU and "
                                             "Dropout hold no parameters."),
    1024 * 134 + 134: N_("that is a single Linear(1024, 134); the guide's head goes 1024 -> 512 -> 256 -> 134."),
}


def _check_count(value) -> str:
    return check_count(
        value, POSE_HEAD_PARAMS, {n: _(message) for n, message in _Q3_MISTAKES.items()},
        success=_("{pose_head_params:,} parameters: under {share} of the guide's 88,992,134.").format(
            pose_head_params=POSE_HEAD_PARAMS, share="1 %"),  # the percent outside the msgid: not a %-format
        far=_("Linear(1024, 512), Linear(512, 256), Linear(256, 134); a Linear(in, out) holds in * out weights "
              "plus out biases."),
        close=_("add the three Linears one at a time (in * out + out)."))


q3 = Question(
    "q3",
    N_("""
    How many parameters does the guide's pose head have?
    Linear(1024, 512), GELU, Dropout, Linear(512, 256), GELU, Dropout, Linear(256, 134).
    Give the exact number as an int (an expression such as 1024 * 512 + ... is fine).
    """),
    _check_count,
    [N_("A Linear(in, out) holds a weight matrix [out, in] and a bias [out]; GELU and Dropout hold nothing."),
     N_("(1024 * 512 + 512) + (512 * 256 + 256) + (256 * 134 + 134)")],
    N_("answer = (1024 * 512 + 512) + (512 * 256 + 256) + (256 * 134 + 134)   # 690,566"),
    answer=lambda: POSE_HEAD_PARAMS,
)
