"""Stage 5, the transformer encoder: PyTorch's modules, configured exactly as the guide says."""

import warnings

import pytest
import torch
from torch import nn

from m2p_course import build_transformer_encoder


def test_configured_as_the_guide(full_model):
    enc = full_model.transformer
    assert isinstance(enc, nn.TransformerEncoder)
    assert len(enc.layers) == 6
    for layer in enc.layers:
        assert isinstance(layer, nn.TransformerEncoderLayer)
        assert layer.self_attn.embed_dim == 1024 and layer.self_attn.num_heads == 8
        assert layer.self_attn.batch_first
        assert layer.linear1.in_features == 1024 and layer.linear1.out_features == 4096
        assert layer.linear2.out_features == 1024
        assert layer.activation is torch.nn.functional.gelu or isinstance(layer.activation, nn.GELU)
        assert not layer.norm_first  # post-norm, torch's default
        assert layer.dropout.p == 0.1
    # per layer: attention 4 x (1024^2 + 1024), feed-forward 2 x 1024 x 4096 + 4096 + 1024, two LayerNorms
    assert sum(p.numel() for p in enc.parameters()) == 6 * 12_596_224


def test_defaults_are_the_guide():
    enc = build_transformer_encoder()
    assert len(enc.layers) == 6 and enc.layers[0].self_attn.num_heads == 8
    assert enc.layers[0].linear1.out_features == 4096 and enc.layers[0].self_attn.embed_dim == 1024


def test_small_stack_keeps_the_shape_and_respects_the_padding_mask():
    torch.manual_seed(0)
    enc = build_transformer_encoder(d_model=16, nhead=4, dim_feedforward=32, dropout=0.0, num_layers=2).eval()
    x = torch.randn(2, 7, 16)
    assert enc(x).shape == (2, 7, 16)
    mask = torch.zeros(2, 7, dtype=torch.bool)
    mask[0, 5:] = True
    padded = x.clone()
    padded[0, 5:] = 100.0                                   # junk where the mask says "padded"
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # no nested-tensor prototype warning
        out = enc(padded, src_key_padding_mask=mask)
    torch.testing.assert_close(out[0, :5], enc(x[:1, :5])[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[1], enc(x[1:])[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(d_model=64, nhead=7), ValueError, r"^hidden size 64 must be divisible by the number of heads 7$"),
    (dict(num_layers=0), ValueError, "num_layers"),
    (dict(nhead=2.0), TypeError, "nhead"),
    (dict(dim_feedforward=-4), ValueError, "dim_feedforward"),
    (dict(dropout=1.5), ValueError, r"^dropout must be a finite number in \[0, 1\), got 1.5$"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        build_transformer_encoder(**kwargs)
