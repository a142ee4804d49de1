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


# -----------------------------------------------------------------------------
# the fast path: torch's modules, attention through scaled_dot_product_attention


def _plain_twin(enc):
    """The same stack written plainly with torch's own classes, holding the same weights."""
    layer0 = enc.layers[0]
    plain = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(layer0.self_attn.embed_dim, layer0.self_attn.num_heads, layer0.linear1.out_features,
                                   dropout=layer0.dropout.p, activation="gelu", batch_first=True),
        num_layers=len(enc.layers), enable_nested_tensor=False)
    plain.load_state_dict(enc.state_dict(), strict=True)
    return plain


def _mask(batch, length):
    mask = torch.zeros(batch, length, dtype=torch.bool)
    mask[0, length - 3:] = True
    mask[-1, 2:] = True                      # a row with only two valid frames
    return mask


@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("grad", [False, True])
def test_fast_path_equals_torchs_own_forward(train, masked, grad):
    """eval (torch's inference fast path when no grad) and train (dropout 0), with and without a padding mask."""
    torch.manual_seed(0)
    enc = build_transformer_encoder(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0, num_layers=2)
    plain = _plain_twin(enc)
    enc.train(train), plain.train(train)
    x = torch.randn(3, 11, 32)
    mask = _mask(3, 11) if masked else None
    with torch.set_grad_enabled(grad):
        ours, theirs = enc(x, src_key_padding_mask=mask), plain(x, src_key_padding_mask=mask)
    valid = ~mask if masked else torch.ones(3, 11, dtype=torch.bool)   # torch's fast path zeroes padded rows
    torch.testing.assert_close(ours[valid], theirs[valid], atol=1e-5, rtol=1e-5)


def test_fast_path_gradients_equal_torchs():
    torch.manual_seed(0)
    enc = build_transformer_encoder(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0, num_layers=2)
    plain = _plain_twin(enc)
    x, mask = torch.randn(3, 11, 32), _mask(3, 11)
    for model in (enc, plain):
        out = model(x, src_key_padding_mask=mask)
        out[~mask].square().sum().backward()
    for (name, p), q in zip(enc.named_parameters(), plain.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-5, rtol=1e-4, msg=name)


def test_state_dicts_are_interchangeable_with_torchs_classes(full_model):
    enc = full_model.transformer
    plain = _plain_twin(enc)                                  # load_state_dict(strict=True) inside
    assert list(enc.state_dict()) == list(plain.state_dict())
    assert type(enc).__name__ == "TransformerEncoder" and type(enc.layers[0]).__name__ == "TransformerEncoderLayer"
    assert not any(isinstance(m, type(enc.layers[0])) for m in plain.modules())
    build_transformer_encoder().load_state_dict(plain.state_dict(), strict=True)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("grad", [False, True])
def test_attention_runs_in_the_fused_kernel_without_a_t_by_t_matrix(masked, grad):
    """On the CPU, SDPA picks its flash kernel with and without a padding mask: no softmax over T x T."""
    from torch.profiler import ProfilerActivity, profile

    enc = build_transformer_encoder(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0, num_layers=1).eval()
    x = torch.randn(2, 40, 32, requires_grad=grad)
    with profile(activities=[ProfilerActivity.CPU]) as prof, torch.set_grad_enabled(grad):
        enc(x, src_key_padding_mask=_mask(2, 40) if masked else None)
    ops = {event.key for event in prof.key_averages()}
    assert "aten::_scaled_dot_product_flash_attention_for_cpu" in ops, ops
    assert not {"aten::_softmax", "aten::_masked_softmax", "aten::_scaled_dot_product_attention_math"} & ops, ops


def test_gradient_checkpointing_flag():
    with pytest.raises(TypeError, match=r"^gradient_checkpointing must be a bool, got str 'yes'$"):
        build_transformer_encoder(gradient_checkpointing="yes")
    assert build_transformer_encoder(d_model=8, nhead=2, num_layers=1).gradient_checkpointing is False


def test_torchs_own_errors_for_a_wrong_width_or_mask():
    enc = build_transformer_encoder(d_model=32, nhead=4, dim_feedforward=64, num_layers=1)
    with pytest.raises(AssertionError, match=r"^was expecting embedding dimension of 32, but got 48$"):
        enc(torch.randn(2, 5, 48))
    with pytest.raises((AssertionError, RuntimeError)):
        enc(torch.randn(2, 5, 32), src_key_padding_mask=torch.zeros(2, 6, dtype=torch.bool))
