"""Notebook 08's exercises accept their solutions and catch the typical mistakes."""

import math

import pytest
import torch
import torch.nn.functional as F

from m2p_course import ArcFaceLoss, masked_mean
from m2p_course.exercises import Outcome, ex08 as ex


def _rejects(question, answer, fragment, feedback):
    result = feedback(question, answer)
    assert result.outcome is Outcome.INCORRECT, result
    assert fragment in result.message, result.message


@pytest.mark.parametrize("fn, fragment", [
    (lambda x: x / x.norm(dim=-1, keepdim=True), "gave NaN"),
    (lambda x: F.normalize(x, dim=0), "first dim"),
    (lambda x: F.normalize(x, dim=1), "dim 1"),
    (lambda x: x / (x ** 2).sum(-1, keepdim=True).clamp_min(1e-12), "squared norm"),
    (lambda x: F.normalize(x, p=1, dim=-1), "L1 norm"),
    (lambda x: x / x.abs().amax(-1, keepdim=True).clamp_min(1e-12), "largest value"),
    (lambda x: x / x.norm(), "whole tensor"),
    (lambda x: x.div_(x.norm(dim=-1, keepdim=True).clamp_min(1e-12)), "in place"),
    (lambda x: x / x.norm(dim=-1).clamp_min(1e-12), "raised RuntimeError"),
    (lambda x: x.norm(dim=-1), "expected shape"),
    (lambda x: x.tolist(), "should return a tensor"),
    (lambda x: 2 * F.normalize(x, dim=-1), "do not match F.normalize"),
])
def test_q2_rejects_typical_mistakes(fn, fragment, feedback):
    _rejects(ex.q2, fn, fragment, feedback)


def test_q2_accepts_torch_itself():
    assert ex.q2.evaluate(lambda x: F.normalize(x, dim=-1)).outcome is Outcome.CORRECT


def _valid_sum(x, mask):
    return x.masked_fill(mask[..., None], 0.0).sum(1)


@pytest.mark.parametrize("fn, fragment", [
    (lambda x, mask: x.mean(1), "plain mean"),
    (lambda x, mask: (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp_min(1), "PADDED frame"),
    (lambda x, mask: _valid_sum(x, mask) / x.size(1), "still divided by T"),
    (_valid_sum, "divide by how many"),
    (lambda x, mask: _valid_sum(x, mask) / (~mask).sum(), "batch's total"),
    (lambda x, mask: x.masked_fill_(mask[..., None], 0.0).sum(1) / (~mask).sum(1, keepdim=True), "in place"),
    (lambda x, mask: masked_mean(x, mask) if mask.any() else x.sum(1), "nothing padded"),
    (lambda x, mask: x[:, 0], "differ from the mean over the valid frames"),
    (lambda x, mask: x.mean(), "expected shape"),
    (lambda x, mask: _valid_sum(x, mask) / (~mask).sum(1), "keepdim=True"),
    (lambda x, mask: (x * (~mask).float()).sum(1) / (~mask).sum(1, keepdim=True), "last dim of 1"),
    (lambda x, mask: ((~mask).float() * x).sum(1) / (~mask).sum(1, keepdim=True), "last dim of 1"),
])
def test_q1_rejects_typical_mistakes(fn, fragment, feedback):
    _rejects(ex.q1, fn, fragment, feedback)


def test_q1_accepts_a_keepdim_count_and_masked_fill():
    def answer(x, mask):
        return x.masked_fill(mask[..., None], 0.0).sum(1) / (~mask).sum(1, keepdim=True)
    assert ex.q1.evaluate(answer).outcome is Outcome.CORRECT


def test_q1_other_runtime_errors_are_reported_as_raised(feedback):
    _rejects(ex.q1, lambda x, mask: x @ torch.ones(4), "raised RuntimeError", feedback)


def test_q1_reference_is_the_package_masked_mean():
    x, mask = ex._masked_inputs()
    assert torch.allclose(ex.q1.answer()(x, mask), masked_mean(x, mask), atol=1e-6)


def _theta(cos):
    return torch.acos(cos.clamp(-1, 1))


def _true(cos, labels):
    return F.one_hot(labels, cos.size(1)).bool()


@pytest.mark.parametrize("fn, fragment", [
    (lambda cos, y, s, m: s * torch.cos(_theta(cos) + m), "TRUE class only"),
    (lambda cos, y, s, m: s * torch.where(_true(cos, y), cos - m, cos), "CosFace"),
    (lambda cos, y, s, m: s * torch.where(_true(cos, y), torch.cos(_theta(cos) - m), cos), "HARDER"),
    (lambda cos, y, s, m: torch.where(_true(cos, y), torch.cos(_theta(cos) + m), cos), "forgot the scale"),
    (lambda cos, y, s, m: torch.where(_true(cos, y), s * torch.cos(_theta(cos) + m), cos), "every logit is scaled"),
    (lambda cos, y, s, m: s * torch.where(_true(cos, y), cos + m, cos), "not to the cosine"),
    (lambda cos, y, s, m: 30.0 * torch.where(_true(cos, y), torch.cos(_theta(cos) + 0.4), cos), "hard-code"),
    (lambda cos, y, s, m: s * cos, "differ from s * cos"),
    (lambda cos, y, s, m: (s * cos)[:, 0], "expected shape"),
])
def test_q3_rejects_typical_mistakes(fn, fragment, feedback):
    _rejects(ex.q3, fn, fragment, feedback)


def test_q3_reference_equals_arcface_loss_logits():
    torch.manual_seed(0)
    arcface = ArcFaceLoss(5, 16, scale=30.0, margin=0.4)
    embeddings, labels = torch.randn(6, 16), torch.tensor([0, 3, 1, 4, 2, 3])
    cos = arcface.cosine(embeddings)
    assert torch.allclose(ex.q3.answer()(cos, labels, 30.0, 0.4), arcface.logits(embeddings, labels), atol=1e-4)


def test_q4_reference_is_the_real_loss_floor():
    logits = torch.tensor([[1.0, -1.0, -1.0, -1.0]])
    assert math.isclose(ex.q4.answer(), F.cross_entropy(logits, torch.tensor([0])).item(), rel_tol=1e-6)


@pytest.mark.parametrize("answer, fragment", [
    (0, "0 would need"),
    (math.log(4), "uniform guess"),
    (math.log(1 + 3 * math.exp(-1)), "cos = 0"),
    (1 - math.exp(-ex.LOSS_FLOOR), "1 minus the probability"),
    (math.exp(-ex.LOSS_FLOOR), "best probability"),
    (math.log(1 + 3 * math.exp(-1 - math.cos(0.5))), "kept the margin"),
    (0.378, "kept the margin"),
    (0.5, "is not it"),
    ("0.341", "expected a number"),
    (True, "expected a number"),
])
def test_q4_rejects_typical_mistakes(answer, fragment, feedback):
    _rejects(ex.q4, answer, fragment, feedback)


def test_q4_accepts_a_tensor_and_a_rounded_value():
    assert ex.q4.evaluate(torch.tensor(ex.LOSS_FLOOR)).outcome is Outcome.CORRECT
    assert ex.q4.evaluate(0.341).outcome is Outcome.CORRECT
