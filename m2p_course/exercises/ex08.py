"""Exercises of notebook 08 · The face head, L2 normalisation and ArcFace.

q1  write mean_over_valid(x, padding_mask): the mean of the real frames  a function
q2  write l2_normalize(x): every row to length 1                         a function
q3  write arcface_logits(cos, labels, s, m)                              a function
q4  the lowest loss 4 classes can reach with s = 1                       a number
"""

from __future__ import annotations

import math
import re

import torch
import torch.nn.functional as F

from ..i18n import N_, _
from .core import Incorrect, Question, call_student, expect_shape

__all__ = ["q1", "q2", "q3", "q4"]


def _returns_tensor(out, what: str, shape: tuple[int, ...]) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("{what} should return a tensor, got {type}").format(what=what, type=type(out).__name__))
    expect_shape(out, shape, what)
    return out


def _close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5) -> bool:
    return tuple(a.shape) == tuple(b.shape) and bool(torch.isfinite(b).all()) and \
        torch.allclose(a.detach().float(), b.float(), atol=atol, rtol=1e-4)


# -----------------------------------------------------------------------------
# q2: l2_normalize(x)


def _normalize_inputs() -> torch.Tensor:
    """x [3, 4, 8]: rows of every size, one row exactly zero (a dead embedding)."""
    x = torch.randn(3, 4, 8, generator=torch.Generator().manual_seed(8)) * torch.tensor([0.1, 1.0, 30.0])[:, None, None]
    x[2, 3] = 0.0
    return x


def _check_normalize(fn) -> str:
    x = _normalize_inputs()
    original = x.clone()
    out = _returns_tensor(call_student(fn, x), "l2_normalize(x [3, 4, 8])", (3, 4, 8))
    if not torch.equal(x, original):
        raise Incorrect(_("your function changed x in place; return a new tensor (x / norm, not x /= norm)."))
    if not torch.isfinite(out).all():
        raise Incorrect(_("a row of zeros gave NaN (0 / 0): keep the norm off zero, e.g. x.norm(dim=-1, "
                          "keepdim=True).clamp_min(1e-12), as F.normalize does."))
    expected = F.normalize(x, dim=-1)
    if not _close(out, expected):
        wrong = {
            N_("you normalised over the first dim (dim=0); each embedding is a row: normalise over the LAST dim."):
                x / x.norm(dim=0, keepdim=True).clamp_min(1e-12),
            N_("you normalised over dim 1; each embedding is a row: normalise over the LAST dim (dim=-1)."):
                x / x.norm(dim=1, keepdim=True).clamp_min(1e-12),
            N_("you divided by the squared norm (the sum of squares); divide by its square root, the length."):
                x / (x ** 2).sum(-1, keepdim=True).clamp_min(1e-12),
            N_("you divided by the sum of absolute values (the L1 norm); L2 is the square root of the sum of squares."):
                x / x.abs().sum(-1, keepdim=True).clamp_min(1e-12),
            N_("you divided by the largest value; L2 normalisation divides by the length sqrt(sum of squares)."):
                x / x.abs().amax(-1, keepdim=True).clamp_min(1e-12),
            N_("you divided by the norm of the whole tensor; every row needs its own length (dim=-1, keepdim=True)."):
                x / x.norm(),
        }
        for message, variant in wrong.items():
            if _close(out, variant):
                raise Incorrect(_(message))
        raise Incorrect(_("the rows do not match F.normalize(x, dim=-1) (largest difference {max:.3g}); divide "
                          "each row by its length.").format(max=(out - expected).abs().max().item()))
    return _("every row has length 1 (the zero row stays zero, as with F.normalize).")


q2 = Question(
    "q2",
    N_("""
    Write l2_normalize(x) for x [..., D]: divide every row (the last dim) by its length
    sqrt(sum of squares), so that every row has length 1. A row of zeros must not give NaN:
    keep the length off zero (F.normalize clamps it at 1e-12). It must equal F.normalize(x, dim=-1).
    """),
    _check_normalize,
    [N_("The length of each row: x.norm(dim=-1, keepdim=True), shape [..., 1], which broadcasts back over D."),
     N_("0 / 0 is NaN: .clamp_min(1e-12) on the length keeps a zero row at zero."),
     N_("return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)")],
    N_("""
    def l2_normalize(x):
        return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    """),
    answer=lambda: (lambda x: x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)),
)


# -----------------------------------------------------------------------------
# q1: mean_over_valid(x, padding_mask)


def _masked_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    """x [3, 6, 5] whose padded frames hold large values (as a transformer's output does); lengths 6, 4, 1."""
    g = torch.Generator().manual_seed(18)
    x = torch.randn(3, 6, 5, generator=g)
    mask = torch.arange(6)[None, :] >= torch.tensor([6, 4, 1])[:, None]          # True = padded
    x = torch.where(mask[..., None], 10.0 + torch.randn(3, 6, 5, generator=g), x)
    return x, mask


def _call_masked_mean(fn, x: torch.Tensor, mask: torch.Tensor):
    """Call the student's mean_over_valid; a shape that does not broadcast gets a message that says which one.

    The inputs have B = 3, T = 6, C = 5, so the two sizes in torch's message tell the mistake apart.
    """
    try:
        return call_student(fn, x, mask)
    except RuntimeError as exc:
        if "must match" not in str(exc):
            raise
        sizes = {int(n) for n in re.findall(r"\((\d+)\)", str(exc))}
        if sizes == {5, 3}:
            raise Incorrect(_("the sum [B, C] and the count per clip [B] do not broadcast: count with "
                              "keepdim=True, (~padding_mask).sum(dim=1, keepdim=True), [B, 1], so that it "
                              "broadcasts over C.")) from None
        if sizes == {5, 6}:
            raise Incorrect(_("the mask [B, T] and x [B, T, C] do not broadcast: give the mask a last dim of 1, "
                              "(~padding_mask).unsqueeze(-1) or padding_mask[..., None], [B, T, 1].")) from None
        raise Incorrect(_("your shapes do not broadcast ({exc}). Weight x [B, T, C] by a mask [B, T, 1] and divide "
                          "by the count per clip [B, 1] (sum with keepdim=True).").format(exc=exc)) from None


def _check_masked_mean(fn) -> str:
    x, mask = _masked_inputs()
    x0, mask0 = x.clone(), mask.clone()
    out = _returns_tensor(_call_masked_mean(fn, x, mask), "mean_over_valid(x [3, 6, 5], padding_mask [3, 6])", (3, 5))
    if not (torch.equal(x, x0) and torch.equal(mask, mask0)):
        raise Incorrect(_("your function changed its inputs in place; use masked_fill (no underscore) or a product."))
    valid = (~mask).unsqueeze(-1).float()
    expected = (x * valid).sum(1) / valid.sum(1)
    if not _close(out, expected):
        zeroed = x.masked_fill(mask[..., None], 0.0)
        wrong = {
            N_("that is the plain mean over all T frames: the padded frames count. Average the valid frames only."):
                x.mean(1),
            N_("True marks a PADDED frame: you averaged the padded frames and dropped the real ones."):
                (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp_min(1),
            N_("you zeroed the padded frames but still divided by T; divide by the number of valid frames."):
                zeroed.sum(1) / x.size(1),
            N_("you summed the valid frames; divide by how many there are (each clip its own count)."):
                zeroed.sum(1),
            N_("each clip has its own number of valid frames: divide row by row ((~padding_mask).sum(dim=1, "
               "keepdim=True)), not by the batch's total."):
                zeroed.sum(1) / (~mask).sum(),
        }
        for message, variant in wrong.items():
            if _close(out, variant):
                raise Incorrect(_(message))
        raise Incorrect(_("the values differ from the mean over the valid frames (largest difference "
                          "{max:.3g}).").format(max=(out - expected).abs().max().item()))
    full = torch.zeros(3, 6, dtype=torch.bool)
    if not _close(_returns_tensor(_call_masked_mean(fn, x, full), _("mean_over_valid with nothing padded"), (3, 5)),
                  x.mean(1)):
        raise Incorrect(_("with nothing padded the result must be the plain mean over time."))
    return _("padded frames do not count: each clip's embedding is the same in any batch.")


def _masked_mean_solution(x, padding_mask):
    valid = (~padding_mask).unsqueeze(-1).to(x.dtype)
    return (x * valid).sum(dim=1) / valid.sum(dim=1)


q1 = Question(
    "q1",
    N_("""
    Write mean_over_valid(x, padding_mask) for x [B, T, C] and a bool padding_mask [B, T] (True =
    padded frame): the mean over time of each clip's VALID frames only, [B, C]. It must equal
    m2p_course.masked_mean(x, padding_mask).
    """),
    _check_masked_mean,
    [N_("valid = ~padding_mask is True on the real frames; as floats, [B, T, 1] after unsqueeze(-1), it is a 0/1 "
        "weight."),
     N_("Sum x * valid over time (dim=1), then divide by each clip's number of valid frames, valid.sum(dim=1)."),
     N_("valid = (~padding_mask).unsqueeze(-1).float();  return (x * valid).sum(dim=1) / valid.sum(dim=1)")],
    N_("""
    def mean_over_valid(x, padding_mask):
        valid = (~padding_mask).unsqueeze(-1).to(x.dtype)      # [B, T, 1], 1 = real frame
        return (x * valid).sum(dim=1) / valid.sum(dim=1)
    """),
    answer=lambda: _masked_mean_solution,
)


# -----------------------------------------------------------------------------
# q3: arcface_logits(cos, labels, s, m)

_S, _M = 30.0, 0.4


def _arcface_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    """cos [6, 5] in [-0.9, 0.95] (every theta + m below pi, so no fallback is needed) and labels [6]."""
    g = torch.Generator().manual_seed(28)
    cos = torch.rand(6, 5, generator=g) * 1.85 - 0.9
    labels = torch.tensor([0, 3, 1, 4, 2, 3])
    return cos, labels


def _arcface_reference(cos, labels, s, m):
    theta = torch.acos(cos.clamp(-1.0, 1.0))
    true = F.one_hot(labels, cos.size(1)).bool()
    return s * torch.where(true, torch.cos(theta + m), cos)


def _check_arcface_logits(fn) -> str:
    cos, labels = _arcface_inputs()
    out = _returns_tensor(call_student(fn, cos.clone(), labels.clone(), _S, _M),
                          "arcface_logits(cos [6, 5], labels [6], s, m)", (6, 5))
    expected = _arcface_reference(cos, labels, _S, _M)
    if not _close(out, expected, atol=1e-4):
        theta = torch.acos(cos)
        true = F.one_hot(labels, 5).bool()
        wrong = {
            N_("the margin goes on the TRUE class only (the row's label); the other classes keep s * cos(theta_j)."):
                _S * torch.cos(theta + _M),
            N_("that is CosFace (s * (cos - m)); ArcFace adds m to the ANGLE: s * cos(theta + m)."):
                _S * torch.where(true, cos - _M, cos),
            N_("the margin makes the true class HARDER: add it to the angle, cos(theta + m), do not subtract it."):
                _S * torch.where(true, torch.cos(theta - _M), cos),
            N_("you forgot the scale: multiply every logit by s."):
                torch.where(true, torch.cos(theta + _M), cos),
            N_("every logit is scaled by s, not only the true class's."):
                torch.where(true, _S * torch.cos(theta + _M), cos),
            N_("add m to the angle theta = acos(cos), not to the cosine itself."):
                _S * torch.where(true, cos + _M, cos),
        }
        for message, variant in wrong.items():
            if _close(out, variant, atol=1e-4):
                raise Incorrect(_(message))
        raise Incorrect(_("the logits differ from s * cos(theta_j), with cos(theta_y + m) for the true class "
                          "(largest difference {max:.3g}).").format(max=(out - expected).abs().max().item()))
    other = _returns_tensor(call_student(fn, cos.clone(), labels.clone(), 64.0, 0.0),
                            "arcface_logits(cos, labels, s=64, m=0)", (6, 5))
    if not _close(other, 64.0 * cos, atol=1e-3):
        raise Incorrect(_("with m = 0 and s = 64 the logits must be 64 * cos: use the s and m arguments, do not "
                          "hard-code them."))
    return _("s cos(theta_j) for every class, s cos(theta_y + m) for the true one: ArcFace's logits.")


q3 = Question(
    "q3",
    N_("""
    Write arcface_logits(cos, labels, s, m): cos [B, C] holds the cosines between each embedding and
    each class centre, labels [B] the true class of each row. Return the logits [B, C]:
    s * cos(theta_j) for every class, except the true class, which gets s * cos(theta_y + m),
    where theta = acos(cos) and m is in radians. (All angles here stay below pi - m.)
    """),
    _check_arcface_logits,
    [N_("theta = torch.acos(cos); a [B, C] bool mask of the true classes: F.one_hot(labels, C).bool()."),
     N_("torch.where(mask, torch.cos(theta + m), cos) puts the margin on the true class only; then multiply by s."),
     N_("theta = torch.acos(cos.clamp(-1, 1));  true = F.one_hot(labels, cos.size(1)).bool();  return s * "
        "torch.where(true, torch.cos(theta + m), cos)")],
    N_("""
    def arcface_logits(cos, labels, s, m):
        theta = torch.acos(cos.clamp(-1, 1))                      # [B, C] angles
        true = F.one_hot(labels, cos.size(1)).bool()              # [B, C], True on each row's label
        return s * torch.where(true, torch.cos(theta + m), cos)
    """),
    answer=lambda: _arcface_reference,
)


# -----------------------------------------------------------------------------
# q4: the loss floor with s = 1 and 4 classes

LOSS_FLOOR = math.log(1 + 3 * math.exp(-2))          # 0.341: cos_y = 1, the 3 others at -1


def _check_floor(answer) -> str:
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        raise Incorrect(_("expected a number (a float), got {type} {answer!r}").format(
            type=type(answer).__name__, answer=answer))
    if math.isclose(answer, LOSS_FLOOR, rel_tol=2e-3):
        return (_("{loss_floor:.3f}: with s = 1 the true class's probability can never pass {exp:.2f}, however "
                  "well the head learns; with s = 64 the floor is about {value:.0e}.").format(
            loss_floor=LOSS_FLOOR, exp=math.exp(-LOSS_FLOOR), value=3 * math.exp(-128)))
    mistakes = [
        (0.0, _("0 would need a probability of 1; with logits in [-1, 1] the other classes always keep some.")),
        (math.log(4), _("log 4 = 1.386 is the loss of a uniform guess (all cosines equal), not the best case.")),
        (math.log(1 + 3 * math.exp(-1)), _("you put the other classes at cos = 0 (90 degrees); the most favourable "
                                           "is cos = -1 (180 degrees away).")),
        (1 - math.exp(-LOSS_FLOOR), _("that is 1 minus the probability; the loss is minus the log of it.")),
        (math.exp(-LOSS_FLOOR), _("that is the best probability of the true class; the loss is -log of it.")),
        (math.log(1 + 3 * math.exp(-1 - math.cos(0.5))), _("you kept the margin m = 0.5; this question is about s "
                                                           "alone: take m = 0, so the true logit is s * 1.")),
    ]
    for value, message in mistakes:
        if math.isclose(answer, value, rel_tol=2e-3, abs_tol=1e-6):
            raise Incorrect(message)
    raise Incorrect(_("{answer:.4g} is not it: the loss is -log of the true class's softmax probability, with "
                      "logit s * 1 for the true class and s * (-1) for each of the 3 others (s = 1).").format(
        answer=answer))


q4 = Question(
    "q4",
    N_("""
    Four dancers, s = 1, no margin. In the best case a clip sits exactly on its own centre
    (cos = 1) and the three other centres are as far as they can be (cos = -1). What is the
    cross-entropy loss then, the lowest it can ever be? Give a number (e.g. a math expression).
    """),
    _check_floor,
    [N_("The logits are s * cos: 1 for the true class and -1 for each of the three others."),
     N_("The loss is -log(e^1 / (e^1 + 3 e^-1)) = log(1 + 3 e^-2)."),
     N_("answer = math.log(1 + 3 * math.exp(-2))")],
    N_("answer = math.log(1 + 3 * math.exp(-2))      # 0.341: the probability cannot pass 0.71"),
    answer=lambda: LOSS_FLOOR,
)
