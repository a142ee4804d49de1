import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from m2p_course.attention import (
    attention_maps,
    attention_memory_bytes,
    encoder_layer_by_hand,
    multi_head_attention,
    scaled_dot_product_attention,
)
from m2p_course.model import M2PEncoder


def padding_mask(lengths, total):
    """[B, T] bool, True beyond each clip's length."""
    return torch.arange(total)[None, :] >= torch.tensor(lengths)[:, None]


@pytest.fixture(scope="module")
def mha():
    torch.manual_seed(1)
    module = nn.MultiheadAttention(64, 8, batch_first=True).eval()
    with torch.no_grad():  # non-zero biases, so a forgotten bias shows
        module.in_proj_bias.normal_()
        module.out_proj.bias.normal_()
    return module


@pytest.fixture(scope="module")
def encoder():
    torch.manual_seed(0)
    return M2PEncoder(music_input_dim=48, hidden_dim=64, num_heads=4, num_layers=3, face_embed_dim=32).eval()


# -- scaled dot-product attention ------------------------------------------------------------

def test_sdpa_matches_torch():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 5, 16), torch.randn(2, 3, 7, 16), torch.randn(2, 3, 7, 4)
    out, weights = scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 3, 5, 4) and weights.shape == (2, 3, 5, 7)
    assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v), atol=1e-5)
    assert torch.allclose(weights, torch.softmax(q @ k.transpose(-2, -1) / 4.0, dim=-1), atol=1e-6)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3, 5), atol=1e-6)


def test_sdpa_padding_mask_gives_zero_weight_and_matches_torch():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 6, 8), torch.randn(2, 6, 8), torch.randn(2, 6, 8)
    mask = padding_mask([6, 4], 6)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert torch.equal(weights[1, :, 4:], torch.zeros(6, 2))
    assert torch.allclose(weights.sum(-1), torch.ones(2, 6), atol=1e-6)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=~mask[:, None, :])
    assert torch.allclose(out, expected, atol=1e-5)
    # the padded keys' values do not matter at all
    v2 = v.clone()
    v2[1, 4:] = 1e3
    assert torch.allclose(scaled_dot_product_attention(q, k, v2, mask)[0], out, atol=1e-5)


@pytest.mark.parametrize("args, error, words", [
    ((torch.randn(2, 4, 8), torch.randn(2, 4, 6), torch.randn(2, 4, 8)), ValueError, "same last dim"),
    ((torch.randn(2, 4, 8), torch.randn(2, 5, 8), torch.randn(2, 4, 8)), ValueError, "number of keys"),
    ((torch.randn(2, 4, 8), torch.randn(3, 4, 8), torch.randn(3, 4, 8)), ValueError, "leading dims"),
    ((torch.randn(8), torch.randn(4, 8), torch.randn(4, 8)), ValueError, "at least 2 dimensions"),
    (([[1.0]], torch.randn(1, 1), torch.randn(1, 1)), TypeError, "torch.Tensor"),
    ((torch.ones(2, 3, dtype=torch.long),) * 3, TypeError, "floating-point"),
])
def test_sdpa_bad_input(args, error, words):
    with pytest.raises(error, match=words):
        scaled_dot_product_attention(*args)


@pytest.mark.parametrize("mask, error, words", [
    (torch.zeros(2, 6), TypeError, "torch.bool"),
    (torch.zeros(2, 5, dtype=torch.bool), ValueError, "shape"),
    (padding_mask([6, 0], 6), ValueError, "every frame as padded"),
])
def test_sdpa_bad_mask(mask, error, words):
    q = torch.randn(2, 6, 8)
    with pytest.raises(error, match=words):
        scaled_dot_product_attention(q, q, q, mask)


def test_sdpa_mask_needs_batch_dim():
    q = torch.randn(6, 8)
    with pytest.raises(ValueError, match="batch dim"):
        scaled_dot_product_attention(q, q, q, torch.zeros(1, 6, dtype=torch.bool))


# -- multi-head attention --------------------------------------------------------------------

def mha_args(module):
    return (module.in_proj_weight, module.in_proj_bias, module.out_proj.weight, module.out_proj.bias,
            module.num_heads)


@pytest.mark.parametrize("lengths", [None, [10, 7, 1]])
def test_multi_head_matches_nn_multihead_attention(mha, lengths):
    torch.manual_seed(2)
    x = torch.randn(3, 10, 64)
    mask = None if lengths is None else padding_mask(lengths, 10)
    out, weights = multi_head_attention(x, *mha_args(mha), key_padding_mask=mask)
    ref_out, ref_weights = mha(x, x, x, key_padding_mask=mask, need_weights=True, average_attn_weights=False)
    assert out.shape == (3, 10, 64) and weights.shape == (3, 8, 10, 10)
    assert torch.allclose(out, ref_out, atol=1e-5)
    assert torch.allclose(weights, ref_weights, atol=1e-6)
    if mask is not None:
        assert torch.equal(weights[2, :, :, 1:], torch.zeros(8, 10, 9))


def test_multi_head_full_size_guide_shapes():
    torch.manual_seed(3)
    module = nn.MultiheadAttention(1024, 8, batch_first=True).eval()
    x = torch.randn(2, 24, 1024)
    out, weights = multi_head_attention(x, *mha_args(module))
    ref_out, _ = module(x, x, x, need_weights=False)
    assert out.shape == (2, 24, 1024) and weights.shape == (2, 8, 24, 24)
    assert torch.allclose(out, ref_out, atol=1e-5)


def test_multi_head_heads_are_independent_slices(mha):
    """Head h only reads dims h*8:(h+1)*8 of q and k: zeroing another head's q rows leaves it unchanged."""
    torch.manual_seed(4)
    x = torch.randn(1, 5, 64)
    w = mha.in_proj_weight.detach().clone()
    _, weights = multi_head_attention(x, w, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias, 8)
    w[8:16] = 0.0  # head 1's query projection
    b = mha.in_proj_bias.detach().clone()
    b[8:16] = 0.0
    _, weights2 = multi_head_attention(x, w, b, mha.out_proj.weight, mha.out_proj.bias, 8)
    assert torch.allclose(weights2[:, 1], torch.full((1, 5, 5), 0.2), atol=1e-6)  # no query: uniform
    others = [h for h in range(8) if h != 1]
    assert torch.equal(weights2[:, others], weights[:, others])


def test_multi_head_without_biases():
    torch.manual_seed(5)
    module = nn.MultiheadAttention(32, 4, bias=False, batch_first=True).eval()
    x = torch.randn(2, 6, 32)
    out, _ = multi_head_attention(x, module.in_proj_weight, None, module.out_proj.weight, None, 4)
    assert torch.allclose(out, module(x, x, x, need_weights=False)[0], atol=1e-5)


@pytest.mark.parametrize("change, error, words", [
    (dict(num_heads=7), ValueError, "divisible by num_heads=7"),
    (dict(num_heads=0), ValueError, "num_heads must be a positive int"),
    (dict(num_heads=2.0), TypeError, "positive int"),
    (dict(x=torch.randn(3, 64)), ValueError, "3 dimensions"),
    (dict(in_proj_weight=torch.randn(64, 64)), ValueError, r"in_proj_weight must have shape \(192, 64\)"),
    (dict(out_proj_bias=torch.randn(63)), ValueError, "out_proj_bias"),
])
def test_multi_head_bad_input(mha, change, error, words):
    kwargs = dict(x=torch.randn(2, 5, 64), in_proj_weight=mha.in_proj_weight, in_proj_bias=mha.in_proj_bias,
                  out_proj_weight=mha.out_proj.weight, out_proj_bias=mha.out_proj.bias, num_heads=8)
    kwargs.update(change)
    with pytest.raises(error, match=words):
        multi_head_attention(**kwargs)


# -- encoder layer by hand -------------------------------------------------------------------

@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("lengths", [None, [9, 5]])
def test_encoder_layer_by_hand_matches_torch(norm_first, lengths):
    torch.manual_seed(6)
    layer = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.1, activation="gelu", batch_first=True,
                                       norm_first=norm_first).eval()
    x = torch.randn(2, 9, 64)
    mask = None if lengths is None else padding_mask(lengths, 9)
    expected = layer(x, src_key_padding_mask=mask)
    got = encoder_layer_by_hand(layer, x, mask)
    assert got.shape == (2, 9, 64)
    if mask is None:
        assert torch.allclose(got, expected, atol=1e-5)
    else:  # torch's fast path may leave padded rows out; compare the valid frames
        assert torch.allclose(got[~mask], expected[~mask], atol=1e-5)


def test_encoder_layer_by_hand_relu_layer():
    torch.manual_seed(7)
    layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True).eval()  # torch's default: relu
    x = torch.randn(1, 4, 32)
    assert torch.allclose(encoder_layer_by_hand(layer, x), layer(x), atol=1e-5)


def test_encoder_layer_by_hand_guide_layer(encoder):
    x = torch.randn(2, 7, 64)
    layer = encoder.transformer.layers[0]
    with torch.no_grad():
        assert torch.allclose(encoder_layer_by_hand(layer, x), layer(x), atol=1e-5)


def test_encoder_layer_by_hand_bad_input():
    layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True)
    x = torch.randn(1, 4, 32)
    with pytest.raises(ValueError, match="eval"):
        encoder_layer_by_hand(layer, x)
    with pytest.raises(ValueError, match="batch_first"):
        encoder_layer_by_hand(nn.TransformerEncoderLayer(32, 4, 64).eval(), x)
    with pytest.raises(TypeError, match="nn.TransformerEncoderLayer"):
        encoder_layer_by_hand(nn.Linear(32, 32), x)


# -- attention maps of an M2PEncoder ---------------------------------------------------------

def test_attention_maps_shape_rows_and_first_layer(encoder):
    torch.manual_seed(8)
    x = torch.randn(2, 12, 48)
    maps = attention_maps(encoder, x)
    assert maps.shape == (3, 2, 4, 12, 12)
    assert torch.allclose(maps.sum(-1), torch.ones(3, 2, 4, 12), atol=1e-5)
    with torch.no_grad():
        h = encoder.pos_encoding(encoder.music_proj(x))
        first = encoder.transformer.layers[0].self_attn
        _, expected = first(h, h, h, need_weights=True, average_attn_weights=False)
    assert torch.allclose(maps[0], expected, atol=1e-6)


def test_attention_maps_follow_the_model_layer_by_layer(encoder):
    """The last layer's maps come from the input that the model's own stack gives that layer."""
    torch.manual_seed(9)
    x = torch.randn(1, 10, 48)
    inputs = []
    hook = encoder.transformer.layers[2].register_forward_pre_hook(lambda _m, args: inputs.append(args[0]))
    try:
        with torch.no_grad():
            encoder(x)
    finally:
        hook.remove()
    with torch.no_grad():
        h = inputs[0]
        _, expected = encoder.transformer.layers[2].self_attn(h, h, h, need_weights=True, average_attn_weights=False)
    assert torch.allclose(attention_maps(encoder, x)[2], expected, atol=1e-5)


def test_attention_maps_padding_and_mode(encoder):
    torch.manual_seed(10)
    x = torch.randn(2, 8, 48)
    mask = padding_mask([8, 5], 8)
    encoder.train()
    try:
        maps = attention_maps(encoder, x, mask)
        assert encoder.training  # mode restored
    finally:
        encoder.eval()
    assert torch.equal(maps[:, 1, :, :, 5:], torch.zeros(3, 4, 8, 3))
    assert torch.equal(attention_maps(encoder, x, mask), maps)  # dropout was off: deterministic


def test_attention_maps_bad_input(encoder):
    with pytest.raises(ValueError, match="Expected music features dimension 48, got 40"):
        attention_maps(encoder, torch.randn(1, 5, 40))
    with pytest.raises(TypeError, match="torch.bool"):
        attention_maps(encoder, torch.randn(1, 5, 48), torch.zeros(1, 5))
    with pytest.raises(TypeError, match="M2PEncoder"):
        attention_maps(nn.Linear(48, 48), torch.randn(1, 5, 48))


# -- memory ----------------------------------------------------------------------------------

def test_attention_memory_bytes():
    assert attention_memory_bytes(5400) == 8 * 5400 ** 2 * 4 == 933_120_000
    assert attention_memory_bytes(24, batch=2, heads=8, layers=6, bytes_per_element=2) == 6 * 2 * 8 * 24 * 24 * 2
    # the formula is the size of the weights nn.MultiheadAttention really returns
    module = nn.MultiheadAttention(16, 4, batch_first=True)
    x = torch.randn(3, 11, 16)
    _, weights = module(x, x, x, average_attn_weights=False)
    assert weights.numel() * weights.element_size() == attention_memory_bytes(11, batch=3, heads=4)
    with pytest.raises(ValueError, match="length must be a positive int"):
        attention_memory_bytes(0)
    with pytest.raises(TypeError, match="positive int"):
        attention_memory_bytes(5400.0)


def test_scores_are_divided_by_sqrt_dk():
    """q.k = 16 for the first key and 0 for the second; d_k = 16, so the scores are 4 and 0."""
    q = torch.ones(1, 1, 16)
    k = torch.stack([torch.ones(16), torch.zeros(16)])[None]          # [1, 2, 16]
    v = torch.tensor([[[1.0], [0.0]]])                                 # [1, 2, 1]
    out, weights = scaled_dot_product_attention(q, k, v)
    expected = torch.tensor([math.exp(4), 1.0]) / (math.exp(4) + 1)
    torch.testing.assert_close(weights[0, 0], expected)
    torch.testing.assert_close(out[0, 0, 0], expected[0])
