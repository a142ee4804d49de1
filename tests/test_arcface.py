import math

import pytest
import torch
import torch.nn.functional as F

from m2p_course import ArcFaceLoss


def test_margin_zero_is_scaled_cosine_cross_entropy():
    torch.manual_seed(0)
    loss_fn = ArcFaceLoss(num_classes=5, embedding_dim=16, scale=30.0, margin=0.0)
    emb, labels = torch.randn(8, 16), torch.randint(0, 5, (8,))
    cos = F.normalize(emb, dim=1) @ F.normalize(loss_fn.weight, dim=1).T
    assert loss_fn(emb, labels).item() == pytest.approx(F.cross_entropy(30.0 * cos, labels).item(), rel=1e-5)


def test_margin_raises_the_loss():
    torch.manual_seed(1)
    emb, labels = torch.randn(16, 32), torch.randint(0, 4, (16,))
    losses = []
    for m in (0.0, 0.2, 0.5):
        torch.manual_seed(7)
        losses.append(ArcFaceLoss(4, 32, margin=m)(emb, labels).item())
    assert losses[0] < losses[1] < losses[2]


def test_target_logit_is_cos_theta_plus_margin():
    loss_fn = ArcFaceLoss(2, 2, scale=1.0, margin=0.3)
    with torch.no_grad():
        loss_fn.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    theta = 0.4
    emb = torch.tensor([[math.cos(theta), math.sin(theta)]])
    logits = loss_fn.logits(emb, torch.tensor([0]))
    assert logits[0, 0].item() == pytest.approx(math.cos(theta + 0.3), abs=1e-6)
    assert logits[0, 1].item() == pytest.approx(math.cos(math.pi / 2 - theta), abs=1e-6)


def test_numerically_safe_near_pi():
    loss_fn = ArcFaceLoss(2, 2, margin=0.5)
    with torch.no_grad():
        loss_fn.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    # theta from 2.5 rad up to exactly pi: theta + m > pi
    thetas = torch.linspace(2.5, math.pi, 50)
    emb = torch.stack([thetas.cos(), thetas.sin()], 1).requires_grad_(True)
    logits = loss_fn.logits(emb, torch.zeros(50, dtype=torch.long))[:, 0]
    assert torch.isfinite(logits).all()
    assert (logits[1:] <= logits[:-1] + 1e-4).all()   # still decreasing in theta: a worse angle never helps
    loss_fn(emb, torch.zeros(50, dtype=torch.long)).backward()
    assert torch.isfinite(emb.grad).all()


def test_learnable_centres_and_training_separates_classes():
    torch.manual_seed(3)
    loss_fn = ArcFaceLoss(3, 8, scale=16.0, margin=0.3)
    assert loss_fn.weight.shape == (3, 8) and loss_fn.weight.requires_grad
    emb = torch.nn.Parameter(torch.randn(12, 8))
    labels = torch.arange(12) % 3
    opt = torch.optim.SGD([emb, *loss_fn.parameters()], lr=0.5)
    first = loss_fn(emb, labels).item()
    for _ in range(50):
        opt.zero_grad()
        loss = loss_fn(emb, labels)
        loss.backward()
        opt.step()
    assert loss.item() < first / 4
    assert (loss_fn.cosine(emb).argmax(1) == labels).all()


@pytest.mark.parametrize("emb, labels, error, match", [
    (torch.randn(4, 8), torch.tensor([0, 1, 2, 3]), ValueError, r"in \[0, 2\], got values from 0 to 3"),
    (torch.randn(4, 8), torch.tensor([0, -1, 0, 0]), ValueError, r"in \[0, 2\]"),
    (torch.randn(4, 8), torch.tensor([0.0, 1.0, 0.0, 1.0]), TypeError, r"integer tensor"),
    (torch.randn(4, 8), torch.tensor([0, 1]), ValueError, r"shape \[B\] = \(4,\), got \(2,\)"),
    (torch.randn(4, 8), [0, 1, 0, 1], TypeError, r"torch.Tensor"),
    (torch.randn(4, 7), torch.tensor([0, 1, 0, 1]), ValueError, r"dimension 8, got 7"),
    (torch.randn(4), torch.tensor([0, 1, 0, 1]), ValueError, r"2 dimensions"),
])
def test_errors(emb, labels, error, match):
    with pytest.raises(error, match=match):
        ArcFaceLoss(3, 8)(emb, labels)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(num_classes=0), ValueError, "num_classes"),
    (dict(scale=-1.0), ValueError, r"^scale must be a finite number > 0, got -1.0$"),
    (dict(scale="64"), TypeError, r"^scale must be a finite number > 0, got str '64'$"),
    (dict(margin=2.0), ValueError, r"^margin \(radians\) must be a finite number in \[0, 1.5708\), got 2.0$"),
    (dict(margin=-0.1), ValueError, r"^margin \(radians\) must be a finite number in \[0, 1.5708\), got -0.1$"),
])
def test_bad_hyperparameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        ArcFaceLoss(**{"num_classes": 3, **kwargs})
