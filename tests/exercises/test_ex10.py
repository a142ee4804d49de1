import numpy as np
import pytest
import torch

from m2p_course import ArcFaceLoss, M2PEncoder
from m2p_course.exercises import Outcome, ____, ex10 as ex
from m2p_course.train import TrainConfig, dance_loss, heatmap_target, start_at_mean_pose

# -----------------------------------------------------------------------------
# q1: velocity_loss


def test_q1_reference_is_the_velocity_part_of_dance_loss():
    coords, pose = ex._q1_inputs()
    config = TrainConfig(heatmap_weight=0.0)
    logits = torch.zeros(2, 6, 134, 2, 2)
    _, parts = dance_loss(logits, coords, torch.randn(2, 8), pose, torch.tensor([0, 1]), ArcFaceLoss(2, 8), config)
    assert ex.q1.answer()(coords, pose).item() == pytest.approx(parts["velocity"], rel=1e-6)


@pytest.mark.parametrize("fn", [
    ex.q1.answer(),
    lambda c, p: ((c[:, 1:] - c[:, :-1]) - (p[:, 1:] - p[:, :-1])).abs().mean(),
    lambda c, p: (c - p).diff(dim=1).abs().mean(),                       # the same thing, in one difference
    lambda c, p: torch.nn.functional.l1_loss(c.diff(dim=1), p.diff(dim=1)),
    lambda c, p: (c.double().diff(dim=1) - p.double().diff(dim=1)).abs().mean(),
    lambda c, p: (c.diff(dim=1) - p.diff(dim=1)).abs().mean().reshape(1),  # a one-element tensor is one number
])
def test_q1_accepts_equivalent_forms(fn):
    assert ex.q1.evaluate(fn).outcome is Outcome.CORRECT


def _in_place(c, p):
    p.add_(0.0).mul_(2)
    return (c.diff(dim=1) - p.diff(dim=1)).abs().mean()


@pytest.mark.parametrize("fn, message", [
    (lambda c, p: (c - p).abs().mean(), "POSITION loss"),
    (lambda c, p: (c.diff(dim=0) - p.diff(dim=0)).abs().mean(), "dim=0 is the batch"),
    (lambda c, p: (c.diff(dim=2) - p.diff(dim=2)).abs().mean(), "neighbouring joints"),
    (lambda c, p: (c.diff(dim=-1) - p.diff(dim=-1)).abs().mean(), "that is y - x"),
    (lambda c, p: (c.diff(dim=1) - p.diff(dim=1)).pow(2).mean(), "squared error"),
    (lambda c, p: (c.diff(dim=1) - p.diff(dim=1)).norm(dim=-1).mean(), "distance per joint"),
    (lambda c, p: (c.diff(dim=1).abs() - p.diff(dim=1).abs()).mean(), "compares speeds"),
    (lambda c, p: (c.diff(dim=1).abs() - p.diff(dim=1).abs()).abs().mean(), "which way"),
    (lambda c, p: c.diff(dim=1).abs().mean(), "subtract the true motion"),
    (lambda c, p: (c[:, 1:] - p[:, :-1]).abs().mean(), "minus ITSELF"),
    (lambda c, p: (c.diff(dim=1) - p.diff(dim=1)).abs().sum(), "that is the sum"),
    (lambda c, p: (c.diff(dim=1) - p.diff(dim=1)).mean().abs(), "errors cancel"),
    (lambda c, p: (c.diff(dim=1) - p.diff(dim=1)).abs().mean().item(), "Python number"),
    (lambda c, p: (c.diff(dim=1) - p.diff(dim=1)).abs().mean(dim=(0, 2, 3)), "one number"),
    (lambda c, p: (c.detach().diff(dim=1) - p.diff(dim=1)).abs().mean(), "cut the graph"),
    (lambda c, p: np.abs(np.diff(p.numpy(), axis=1)), "should return a tensor, got ndarray"),
    (lambda c, p: (c.diff(dim=1) - p.diff(dim=1)).abs().mean() * 2, "expected"),
    (_in_place, "in place"),
    (lambda c, p: [0.0], "should return a tensor"),
    (lambda c, p: 1 / 0, "raised ZeroDivisionError"),
])
def test_q1_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q1, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


def test_q1_placeholder_returned_is_not_attempted():
    assert ex.q1.evaluate(lambda c, p: ____).outcome is Outcome.NOT_ATTEMPTED


# -----------------------------------------------------------------------------
# q2: start_logits


def test_q2_reference_is_the_bias_that_start_at_mean_pose_sets():
    mean_pose = ex._q2_mean_pose()
    model = M2PEncoder(music_input_dim=8, hidden_dim=16, num_heads=2, num_layers=1, face_embed_dim=8,
                       heatmap_size=(ex.H, ex.W))
    start_at_mean_pose(model, mean_pose, ex.SIGMA)
    bias = model.pose_head[-1].bias.detach().view(134, ex.H, ex.W)
    torch.testing.assert_close(ex.q2.answer()(mean_pose, ex.H, ex.W, ex.SIGMA), bias)


@pytest.mark.parametrize("fn", [
    ex.q2.answer(),
    lambda m, h, w, s: heatmap_target(m, h, w, s).clamp_min(1e-4).log().flatten(),     # the bias's flat shape
    lambda m, h, w, s: heatmap_target(m, h, w, s).clamp_min(1e-6).log() + 3.0,           # a constant changes nothing
    lambda m, h, w, s: heatmap_target(m, h, w, s).log(),             # no underflow at 8 x 8: all finite
])
def test_q2_accepts_equivalent_forms(fn):
    assert ex.q2.evaluate(fn).outcome is Outcome.CORRECT


def _in_place_pose(m, h, w, s):
    m.mul_(1.0).add_(0.1)
    return heatmap_target(m, h, w, s).log()


@pytest.mark.parametrize("fn, message", [
    (lambda m, h, w, s: heatmap_target(m, h, w, s), "probabilities themselves"),
    (lambda m, h, w, s: -heatmap_target(m, h, w, s).clamp_min(1e-4).log(), "SMALLEST"),
    (lambda m, h, w, s: heatmap_target(m, h, w, s).exp(), "probabilities themselves"),     # as flat as p itself
    (lambda m, h, w, s: heatmap_target(m.flip(-1), h, w, s).log(), "x and y are swapped"),
    (lambda m, h, w, s: heatmap_target(m, h, w, s).transpose(-2, -1).log(), "transposed"),   # the same mistake
    (lambda m, h, w, s: heatmap_target(m, h, w, s).log().masked_fill(torch.eye(8, dtype=torch.bool), -float("inf")),
     "-inf"),
    (lambda m, h, w, s: heatmap_target(m, h, w, s).log()[:, :4], "expected logits of shape [134, H, W]"),
    (lambda m, h, w, s: heatmap_target(m, h, w, 3.0).log(), "not the Gaussian target"),
    (lambda m, h, w, s: heatmap_target(m, h, w, s).log().numpy(), "should return a tensor"),
    (_in_place_pose, "in place"),
])
def test_q2_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q2, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


# -----------------------------------------------------------------------------
# q3: clip_total_norm


def test_q3_reference_is_what_clip_grad_norm_does_to_the_gradients():
    for grads in ex._q3_cases():
        params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad = g.clone()
        norm = torch.nn.utils.clip_grad_norm_(params, ex.MAX_NORM)
        assert norm.item() == pytest.approx(ex._total(grads))
        for p, clipped in zip(params, ex.q3.answer()(grads, ex.MAX_NORM), strict=True):
            torch.testing.assert_close(p.grad, clipped)
    assert ex._total(ex._q3_cases()[0]) == pytest.approx(6.5) and ex._total(ex._q3_cases()[1]) == pytest.approx(0.65)


def _norm_of_norms(grads, max_norm):
    total = torch.stack([g.norm() for g in grads]).norm()          # the same number, another way
    return [g * min(1.0, max_norm / float(total)) for g in grads]


@pytest.mark.parametrize("fn", [
    ex.q3.answer(),
    _norm_of_norms,
    lambda grads, m: tuple(g * min(1.0, m / float(torch.cat([x.flatten() for x in grads]).norm())) for g in grads),
    lambda grads, m: [g.double() * min(1.0, m / float(torch.cat([x.flatten() for x in grads]).norm()))
                      for g in grads],
])
def test_q3_accepts_equivalent_forms(fn):
    assert ex.q3.evaluate(fn).outcome is Outcome.CORRECT


def _in_place_clip(grads, m):
    total = float(torch.cat([g.flatten() for g in grads]).norm())
    for g in grads:
        g.mul_(min(1.0, m / total))
    return grads


def _total(grads):
    return float(torch.cat([g.flatten() for g in grads]).norm())


@pytest.mark.parametrize("fn, message", [
    (lambda grads, m: [g * min(1.0, m / float(g.norm())) for g in grads], "OWN norm"),
    (lambda grads, m: [g.clamp(-m, m) for g in grads], "clip_grad_value_"),
    (lambda grads, m: [g * (m / _total(grads)) for g in grads], "even when their total norm (0.65)"),
    (lambda grads, m: [g * min(1.0, m / _total(grads) ** 2) for g in grads], "squared norm"),
    (lambda grads, m: [g * min(1.0, m / sum(float(x.norm()) for x in grads)) for g in grads], "not the sum of the"),
    (lambda grads, m: [g * min(1.0, m / sum(float(x.abs().sum()) for x in grads)) for g in grads], "L1 norm"),
    (lambda grads, m: [g * min(1.0, 2 * m / _total(grads)) for g in grads], "should have total norm 1"),
    (lambda grads, m: torch.cat([g.flatten() for g in grads]) * min(1.0, m / _total(grads)), "not one tensor"),
    (lambda grads, m: [g.flatten() * min(1.0, m / _total(grads)) for g in grads], "keeps its parameter's shape"),
    (lambda grads, m: [g * min(1.0, m / _total(grads)) for g in grads[:2]], "a list of 3 tensors"),
    (_in_place_clip, "in place"),
    (lambda grads, m: 1 / 0, "raised ZeroDivisionError"),
])
def test_q3_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q3, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


def test_q3_placeholder_returned_is_not_attempted():
    assert ex.q3.evaluate(lambda grads, m: ____).outcome is Outcome.NOT_ATTEMPTED
