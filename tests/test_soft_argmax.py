import pytest
import torch

from m2p_course import soft_argmax2d, spatial_softmax2d


@pytest.mark.parametrize("row, col", [(0, 0), (0, 6), (4, 0), (4, 6), (2, 3), (1, 5)])
def test_one_hot_returns_cell_centre(row, col):
    logits = torch.full((5, 7), -1e4)
    logits[row, col] = 0.0
    xy = soft_argmax2d(logits)
    assert xy.tolist() == pytest.approx([-1 + 2 * col / 6, -1 + 2 * row / 4], abs=1e-5)
    px = soft_argmax2d(logits, normalized_coordinates=False)
    assert px.tolist() == pytest.approx([col, row], abs=1e-4)


def test_uniform_gives_centre_and_batches():
    xy = soft_argmax2d(torch.zeros(2, 3, 4, 9, 9))
    assert xy.shape == (2, 3, 4, 2)
    assert torch.allclose(xy, torch.zeros_like(xy), atol=1e-6)


def test_heatmaps_sum_to_one_and_temperature_sharpens():
    torch.manual_seed(0)
    logits = torch.randn(3, 6, 6)
    for t in (0.1, 1.0, 10.0):
        assert torch.allclose(spatial_softmax2d(logits, t).sum((-2, -1)), torch.ones(3), atol=1e-6)
    peak = lambda t: spatial_softmax2d(logits, t).flatten(1).max(1).values  # noqa: E731
    assert (peak(0.1) > peak(1.0)).all() and (peak(1.0) > peak(10.0)).all()


def test_low_temperature_approaches_argmax():
    torch.manual_seed(1)
    logits = torch.randn(8, 8)
    idx = logits.argmax()
    row, col = divmod(int(idx), 8)
    assert soft_argmax2d(logits, temperature=1e-3, normalized_coordinates=False).tolist() == pytest.approx(
        [col, row], abs=1e-3)


def test_matches_explicit_expectation():
    torch.manual_seed(2)
    logits = torch.randn(4, 5)
    p = torch.softmax(logits.flatten() / 2.0, 0).view(4, 5)
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, 4), torch.linspace(-1, 1, 5), indexing="ij")
    expected = torch.stack([(p * xs).sum(), (p * ys).sum()])
    assert torch.allclose(soft_argmax2d(logits, temperature=2.0), expected, atol=1e-6)


def test_gradient_flows():
    logits = torch.randn(3, 3, requires_grad=True)
    soft_argmax2d(logits).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_size_one_axis_is_zero():
    assert soft_argmax2d(torch.randn(1, 5))[1].item() == 0.0


@pytest.mark.parametrize("logits, temperature, error", [
    (torch.randn(5), 1.0, ValueError),
    (torch.randn(3, 3), 0.0, ValueError),
    (torch.randn(3, 3), -2.0, ValueError),
    (torch.ones(3, 3, dtype=torch.long), 1.0, TypeError),
    ([[1.0]], 1.0, TypeError),
    (torch.randn(2, 0, 3), 1.0, ValueError),
])
def test_errors(logits, temperature, error):
    with pytest.raises(error):
        soft_argmax2d(logits, temperature)
