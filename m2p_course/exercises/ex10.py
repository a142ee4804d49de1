"""Exercises of notebook 10 · Training on synthetic choreography.

q1  write velocity_loss(coords, pose): the L1 loss on the motion from frame to frame
q2  write start_logits(mean_pose, H, W, sigma): heatmap logits whose softmax is the mean pose's Gaussian
q3  write clip_total_norm(grads, max_norm): gradient clipping by the total norm, as the training loop does
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..i18n import N_, _
from .core import Incorrect, Question, call_student

__all__ = ["q1", "q2", "q3"]


# -----------------------------------------------------------------------------
# q1: velocity_loss(coords, pose)

def _q1_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    """coords (requires grad) and pose [2, 6, 134, 2]: B, T, joints and (x, y) all of different sizes
    except B and the last axis, so a difference over the wrong axis gives another number."""
    g = torch.Generator().manual_seed(10)
    pose = torch.rand(2, 6, 134, 2, generator=g) * 1.6 - 0.8
    coords = (pose + 0.2 * torch.randn(2, 6, 134, 2, generator=g)).requires_grad_(True)
    return coords, pose


def _reference_velocity(coords, pose):
    return (coords.diff(dim=1) - pose.diff(dim=1)).abs().mean()


def _check_q1(fn) -> None:
    coords, pose = _q1_inputs()
    before = (coords.detach().clone(), pose.clone())
    out = call_student(fn, coords, pose)
    if not torch.equal(coords.detach(), before[0]) or not torch.equal(pose, before[1]):
        raise Incorrect(_("velocity_loss changed its inputs in place; compute new tensors instead."))
    if isinstance(out, (float, int, np.floating)) and not isinstance(out, bool):
        raise Incorrect(_("you returned a Python number (.item() or NumPy?): a loss must stay a tensor, or "
                          "loss.backward() has nothing to go back through."))
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("velocity_loss should return a tensor, got {type}").format(type=type(out).__name__))
    if out.numel() != 1:
        raise Incorrect(_("a loss is one number (a 0-d tensor), got shape {tuple}: take the mean of every "
                          "difference with .mean().").format(tuple=tuple(out.shape)))
    if not out.requires_grad:
        raise Incorrect(_("the result does not depend on coords through autograd (detach(), numpy or torch.no_grad "
                          "cut the graph): the loss must carry the gradient back to the model."))
    value = out.detach().reshape(()).double()
    expected = _reference_velocity(coords, pose).detach().double()
    if torch.isclose(value, expected, rtol=1e-5, atol=1e-7):
        return None
    c, p = coords.detach(), pose
    dv = c.diff(dim=1) - p.diff(dim=1)
    variants = [
        ((c - p).abs().mean(), _("that is the POSITION loss, |coords - pose|; the velocity loss compares the "
                                 "motions: the difference from one frame to the next, .diff(dim=1), of each.")),
        ((c.diff(dim=0) - p.diff(dim=0)).abs().mean(), _("dim=0 is the batch: that compares different clips. Time "
                                                         "is dim=1 of [B, T, 134, 2].")),
        ((c.diff(dim=2) - p.diff(dim=2)).abs().mean(), _("dim=2 runs over the 134 keypoints: that is the "
                                                         "difference between neighbouring joints. Time is dim=1.")),
        ((c.diff(dim=-1) - p.diff(dim=-1)).abs().mean(), _("dim=-1 holds (x, y): that is y - x. Time is dim=1.")),
        (dv.pow(2).mean(), _("that is the squared error (MSE); the course's velocity loss is L1: .abs().mean().")),
        (dv.norm(dim=-1).mean(), _("that is the distance per joint (the norm of (dx, dy)); the course's loss takes "
                                   "the mean absolute value of each coordinate, as the position loss does.")),
        ((c.diff(dim=1).abs() - p.diff(dim=1).abs()).mean(), _("that compares speeds and lets the errors cancel; "
                                                               "take the difference of the motions first, then abs.")),
        ((c.diff(dim=1).abs() - p.diff(dim=1).abs()).abs().mean(), _("that compares only how FAST each coordinate "
                                                                     "moves, not which way: a joint moving up "
                                                                     "instead of down would cost nothing. abs() "
                                                                     "the difference of the motions.")),
        (c.diff(dim=1).abs().mean(), _("that is how much the model moves, whatever the dance does: subtract the "
                                       "true motion, pose.diff(dim=1).")),
        ((c[:, 1:] - p[:, :-1]).abs().mean(), _("coords[:, 1:] - pose[:, :-1] compares the model's next frame with "
                                                "the truth's current one; a velocity is each sequence minus ITSELF "
                                                "one frame earlier.")),
        (dv.abs().sum(), _("that is the sum; the loss is the mean, so that it does not grow with B, T or the "
                           "joints.")),
        (dv.mean().abs(), _("the mean of signed differences lets errors cancel; abs() each one, then the mean.")),
    ]
    for variant, message in variants:
        if torch.isclose(value, variant.double(), rtol=1e-5, atol=1e-7):
            raise Incorrect(message)
    raise Incorrect(_("expected {expected:.6f} for the check's tensors, got {value:.6f}.").format(
        expected=expected.item(), value=value.item()))


q1 = Question(
    "q1",
    N_("""
    Write velocity_loss(coords, pose): both are [B, T, 134, 2] (the model's soft-argmax coordinates and
    the true dance). Return the velocity part of dance_loss: the mean absolute difference between the
    model's motion from each frame to the next and the true motion, a 0-d tensor that autograd can
    go back through.
    """),
    _check_q1,
    [N_("A motion is a difference along time: x.diff(dim=1) is x[:, 1:] - x[:, :-1], [B, T-1, 134, 2]."),
     N_("(coords.diff(dim=1) - pose.diff(dim=1)).abs().mean()")],
    N_("""
    def velocity_loss(coords, pose):
        model_motion = coords.diff(dim=1)          # [B, T-1, 134, 2]: frame t+1 minus frame t
        true_motion = pose.diff(dim=1)
        return (model_motion - true_motion).abs().mean()
    """),
    answer=lambda: _reference_velocity,
    success=N_("a model that stands still at the right mean position pays for every beat it does not hit."),
)


# -----------------------------------------------------------------------------
# q2: start_logits(mean_pose, H, W, sigma)

H = W = 8
SIGMA = 1.0


def _q2_mean_pose() -> torch.Tensor:
    """A [134, 2] pose with x and y different, so that swapping them shows."""
    g = torch.Generator().manual_seed(12)
    pose = torch.rand(134, 2, generator=g) * 1.4 - 0.7
    pose[:, 1] = 0.5 * pose[:, 1] + 0.3                     # y is not a copy of x
    return pose


def _target(mean_pose, h, w, sigma):
    from ..train import heatmap_target

    return heatmap_target(mean_pose, h, w, sigma)


def _reference_start_logits(mean_pose, h, w, sigma):
    return _target(mean_pose, h, w, sigma).clamp_min(1e-4).log()


def _check_q2(fn) -> None:
    mean_pose = _q2_mean_pose()
    before = mean_pose.clone()
    out = call_student(fn, mean_pose, H, W, SIGMA)
    if not torch.equal(mean_pose, before):
        raise Incorrect(_("start_logits changed mean_pose in place; compute a new tensor instead."))
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("start_logits should return a tensor, got {type}").format(type=type(out).__name__))
    if tuple(out.shape) == (134 * H * W,):
        out = out.view(134, H, W)                            # the bias's own shape: fine too
    if tuple(out.shape) != (134, H, W):
        raise Incorrect(_("expected logits of shape [134, H, W] = (134, {h}, {w}) (or the flat bias, ({value},)), "
                          "got {tuple}").format(h=H, w=W, value=134 * H * W, tuple=tuple(out.shape)))
    out = out.detach().double()
    if not torch.isfinite(out).all():
        raise Incorrect(_("some logits are -inf or NaN: log(0) where the Gaussian underflows. Clamp the "
                          "probabilities first, as start_at_mean_pose does: target.clamp_min(1e-4).log()."))
    target = _target(mean_pose, H, W, SIGMA).double()
    prob = torch.softmax(out.flatten(-2), dim=-1).view_as(out)
    if (prob - target).abs().max() < 5e-3:
        return None
    for guess, message in [
        (target, _("those are the probabilities themselves: a softmax of numbers between 0 and 1 is almost flat "
                   "(e^0.3 is barely more than e^0). Which logits does softmax turn back into p?")),
        (-target.clamp_min(1e-4).log(), _("minus the log: its softmax puts the most weight where the Gaussian is "
                                          "SMALLEST, far from the joint.")),
        (_target(mean_pose.flip(-1), H, W, SIGMA).clamp_min(1e-4).log(),
         _("x and y are swapped (or, the same thing, each map is transposed): a heatmap [H, W] is rows by columns, "
           "and its rows are y, its columns x.")),
    ]:
        if (torch.softmax(guess.flatten(-2), dim=-1).view_as(guess) - prob).abs().max() < 5e-3:
            raise Incorrect(message)
    raise Incorrect(_("the softmax of your logits is not the Gaussian target (largest difference {max:.3g}); use "
                      "heatmap_target(mean_pose, H, W, sigma).").format(max=(prob - target).abs().max().item()))


q2 = Question(
    "q2",
    N_("""
    Write start_logits(mean_pose, H, W, sigma): mean_pose is [134, 2]. Return logits [134, H, W] whose
    softmax over each joint's H x W cells is heatmap_target(mean_pose, H, W, sigma) (from m2p_course.train):
    the pose head's last bias that makes an untrained model answer the mean pose (the check uses
    H = W = {h}, sigma = {sigma:g}).
    """),
    _check_q2,
    [N_("Softmax turns logits z into p = e^z / sum(e^z). Which z gives back p itself?"),
     N_("z = log p (plus any constant per map). Clamp p away from 0 first, so that no logit is -inf: "
        "heatmap_target(...).clamp_min(1e-4).log().")],
    N_("""
    from m2p_course.train import heatmap_target

    def start_logits(mean_pose, H, W, sigma):
        target = heatmap_target(mean_pose, H, W, sigma)      # [134, H, W], each map sums to 1
        return target.clamp_min(1e-4).log()                  # softmax(log p) = p
    """),
    answer=lambda: _reference_start_logits,
    success=N_("softmax(log p) = p, and adding a constant to a map changes nothing: from the first step the model "
               "answers the mean pose, and training spends its steps on the dance."),
    values=dict(h=H, sigma=SIGMA),
)


# -----------------------------------------------------------------------------
# q3: clip_total_norm(grads, max_norm)

MAX_NORM = 1.0


def _q3_cases() -> list[list[torch.Tensor]]:
    """Three parameters' gradients with a total norm of 6.5 (clipped), and the same 0.1 times (kept)."""
    big = [torch.tensor([[3.0, 0.0], [0.0, 4.0]]), torch.tensor([2.0, -1.0, 2.0]), torch.tensor([[-2.5, 1.0, 1.0]])]
    return [big, [0.1 * g for g in big]]                    # sqrt(25 + 9 + 8.25) = 6.5, then 0.65


def _total(grads) -> float:
    return math.sqrt(sum(float(g.pow(2).sum()) for g in grads))


def _reference_clip(grads, max_norm):
    total = torch.sqrt(sum(g.pow(2).sum() for g in grads))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)      # as torch.nn.utils.clip_grad_norm_
    return [g * scale for g in grads]


def _check_q3(fn) -> None:
    for grads in _q3_cases():
        before = [g.clone() for g in grads]
        out = call_student(fn, grads, MAX_NORM)
        if any(not torch.equal(g, b) for g, b in zip(grads, before, strict=True)):
            raise Incorrect(_("clip_total_norm changed the gradients in place (mul_ or an index assignment): "
                              "return new tensors, g * scale."))
        if isinstance(out, torch.Tensor):
            raise Incorrect(_("return a list with one tensor per parameter (shapes {value}), not one tensor of "
                              "shape {tuple}.").format(value=[tuple(g.shape) for g in grads], tuple=tuple(out.shape)))
        if not isinstance(out, (list, tuple)) or len(out) != len(grads) or not all(isinstance(o, torch.Tensor)
                                                                                    for o in out):
            raise Incorrect(_("return a list of {n_grads} tensors, one per gradient, got {type} {out!r:.80}").format(
                n_grads=len(grads), type=type(out).__name__, out=out))
        shapes = [tuple(o.shape) for o in out]
        if shapes != [tuple(g.shape) for g in grads]:
            raise Incorrect(_("each clipped gradient keeps its parameter's shape {value}, got {shapes}").format(
                value=[tuple(g.shape) for g in grads], shapes=shapes))
        expected = _reference_clip(grads, MAX_NORM)
        if all(torch.allclose(o.double(), e.double(), rtol=1e-4, atol=1e-7) for o, e in zip(out, expected,
                                                                                             strict=True)):
            continue
        total = _total(grads)
        variants = [
            ([g * min(1.0, MAX_NORM / float(g.norm())) for g in grads],
             _("you clipped each gradient by its OWN norm: that changes the direction of the whole step (the "
               "parameters' gradients no longer keep their proportions). Use one norm over all of them.")),
            ([g.clamp(-MAX_NORM, MAX_NORM) for g in grads],
             _("that clamps each VALUE to [-max_norm, max_norm] (clip_grad_value_): the direction changes. Scale "
               "every gradient by the same factor, max_norm / total norm.")),
            ([g * (MAX_NORM / total) for g in grads],
             _("your answer scales the gradients even when their total norm ({total:g}) is below max_norm: small "
               "steps must stay as they are. The factor is min(1, max_norm / total).").format(total=total)),
            ([g * min(1.0, MAX_NORM / total ** 2) for g in grads],
             _("that divides by the squared norm: the total norm is the square root of the sum of squares.")),
            ([g * min(1.0, MAX_NORM / sum(float(x.norm()) for x in grads)) for g in grads],
             _("the total norm is not the sum of the norms: it is sqrt(sum of every squared value), as if all "
               "gradients were one long vector.")),
            ([g * min(1.0, MAX_NORM / sum(float(x.abs().sum()) for x in grads)) for g in grads],
             _("that is the L1 norm (the sum of absolute values); clip_grad_norm_ uses the L2 norm: sqrt(sum of "
               "squares).")),
        ]
        for variant, message in variants:
            if all(torch.allclose(o.double(), v.double(), rtol=1e-4, atol=1e-7) for o, v in zip(out, variant,
                                                                                                strict=True)):
                raise Incorrect(message)
        got = _total(out)
        raise Incorrect(_("for gradients of total norm {total:g} and max_norm {max_norm:g} the result should have "
                          "total norm {min:g} and point the same way; yours has norm {got:.4g}.").format(
            total=total, max_norm=MAX_NORM, min=min(total, MAX_NORM), got=got))
    return None


q3 = Question(
    "q3",
    N_("""
    Write clip_total_norm(grads, max_norm): grads is a list of gradient tensors, one per parameter (any
    shapes). If their total norm, the square root of the sum of every squared value of every tensor, is
    larger than max_norm, return them all scaled by the same factor so that the total norm is max_norm;
    otherwise return them unchanged. Return a new list; leave grads as they are. This is what
    torch.nn.utils.clip_grad_norm_ does to the .grad of the parameters in the training loop.
    """),
    _check_q3,
    [N_("One number for all of them: total = sqrt(sum over the tensors of (g ** 2).sum()). Then one factor."),
     N_("scale = min(1, max_norm / total); return [g * scale for g in grads].")],
    N_("""
    def clip_total_norm(grads, max_norm):
        total = torch.sqrt(sum((g ** 2).sum() for g in grads))     # as if all were one long vector
        scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)    # shrink only, never grow
        return [g * scale for g in grads]
    """),
    answer=lambda: _reference_clip,
    success=N_("the step keeps its direction, only its length is bounded: one bad batch cannot throw the weights "
               "far, while ordinary steps pass untouched."),
)
