import math

import pytest
import torch

from m2p_course import SinusoidalPositionalEncoding, positional_encoding


def test_table_shape_and_formula():
    pe = positional_encoding(50, 16)
    assert pe.shape == (50, 16) and pe.dtype == torch.float32
    for t in (0, 7, 49):
        for i in range(8):
            angle = t / 10000 ** (2 * i / 16)
            assert pe[t, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-5)
            assert pe[t, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-5)


def test_first_row_is_sin0_cos0():
    pe = positional_encoding(3, 8)
    assert torch.equal(pe[0, 0::2], torch.zeros(4)) and torch.equal(pe[0, 1::2], torch.ones(4))


def test_odd_d_model():
    pe = positional_encoding(4, 5)
    assert pe.shape == (4, 5)
    assert pe[1, 4].item() == pytest.approx(math.sin(1 / 10000 ** (4 / 5)), abs=1e-6)


def test_any_length_works_including_6000():
    pe = positional_encoding(6000, 1024)
    assert pe.shape == (6000, 1024) and torch.isfinite(pe).all()
    # rows stay distinct far past the guide's 5000
    assert not torch.allclose(pe[5400], pe[5399])


def test_module_adds_table():
    module = SinusoidalPositionalEncoding(16)
    x = torch.randn(3, 10, 16)
    assert torch.allclose(module(x) - x, positional_encoding(10, 16).expand(3, 10, 16), atol=1e-6)
    assert sum(p.numel() for p in module.parameters()) == 0


def test_module_errors():
    module = SinusoidalPositionalEncoding(16)
    with pytest.raises(ValueError, match="d_model=16, got 8"):
        module(torch.randn(1, 2, 8))
    with pytest.raises(ValueError, match="3 dimensions"):
        module(torch.randn(2, 16))
    with pytest.raises(TypeError):
        positional_encoding(10.5, 16)
    with pytest.raises(ValueError):
        positional_encoding(0, 16)
