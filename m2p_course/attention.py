"""Attention, written out plainly: the reference the notebooks 04 and 05 build by hand.

::

    scaled dot product   softmax(q k^T / sqrt(d_k)) v          [..., T, d] -> [..., T, d]
    multi-head           project to q, k, v; split 1024 into 8 heads of 128; attend in each;
                         merge the heads back; project out        [B, T, 1024] -> [B, T, 1024]
    encoder layer        post-norm: x = norm1(x + attn(x)); x = norm2(x + ff(x))

Each function here computes exactly what PyTorch's ``nn.MultiheadAttention`` and
``nn.TransformerEncoderLayer`` compute (in eval mode), in a few lines a student can read;
``tests/test_attention.py`` proves it with copied weights. ``attention_maps`` records what
every head of an ``M2PEncoder`` looks at, for the heatmaps of notebook 04.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_music_features, check_padding_mask, check_positive_int, check_tensor

__all__ = [
    "scaled_dot_product_attention",
    "multi_head_attention",
    "attention_maps",
    "encoder_layer_by_hand",
    "attention_memory_bytes",
]


# -----------------------------------------------------------------------------
# scaled dot-product attention


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 key_padding_mask: torch.Tensor | None = None):
    """``softmax(q k^T / sqrt(d_k)) v``.

    q ``[..., Tq, d_k]``, k ``[..., Tk, d_k]``, v ``[..., Tk, d_v]`` with the same leading
    dims ``...`` (e.g. ``[B]`` or ``[B, heads]``). ``key_padding_mask`` ``[B, Tk]`` bool, True =
    padded key: those keys get weight exactly 0 (B is the first leading dim).
    Returns ``(out [..., Tq, d_v], weights [..., Tq, Tk])``; each row of weights sums to 1.
    """
    for x, name in ((q, "q"), (k, "k"), (v, "v")):
        check_tensor(x, name, min_ndim=2)
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-2] != v.shape[:-2]:
        raise ValueError(f"q, k and v must have the same leading dims, got shapes "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if q.size(-1) != k.size(-1):
        raise ValueError(f"q and k must have the same last dim d_k, got {q.size(-1)} and {k.size(-1)}")
    if k.size(-2) != v.size(-2):
        raise ValueError(f"k and v must have the same number of keys Tk, got {k.size(-2)} and {v.size(-2)}")

    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))           # [..., Tq, Tk]
    if key_padding_mask is not None:
        scores = scores.masked_fill(_broadcast_key_mask(key_padding_mask, scores), float("-inf"))
    weights = torch.softmax(scores, dim=-1)                              # [..., Tq, Tk]
    return weights @ v, weights                                          # [..., Tq, d_v]


def _broadcast_key_mask(mask: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    """``[B, Tk]`` -> ``[B, 1, ..., 1, Tk]`` so that it masks the keys of ``scores [B, ..., Tq, Tk]``."""
    if scores.dim() < 3:
        raise ValueError(f"a key_padding_mask [B, Tk] needs a batch dim: q and k must be [B, ..., T, d], "
                         f"got scores of shape {tuple(scores.shape)}")
    check_padding_mask(mask, scores.size(0), scores.size(-1))
    return mask.reshape(mask.size(0), *[1] * (scores.dim() - 2), mask.size(1))


# -----------------------------------------------------------------------------
# multi-head self-attention


def multi_head_attention(x: torch.Tensor, in_proj_weight: torch.Tensor, in_proj_bias: torch.Tensor | None,
                         out_proj_weight: torch.Tensor, out_proj_bias: torch.Tensor | None, num_heads: int,
                         key_padding_mask: torch.Tensor | None = None):
    """Multi-head self-attention, ``[B, T, E] -> [B, T, E]``, as ``nn.MultiheadAttention`` (eval mode).

    in_proj_weight ``[3E, E]`` (the q, k and v projections stacked), in_proj_bias ``[3E]``,
    out_proj_weight ``[E, E]``, out_proj_bias ``[E]`` (biases may be None); ``num_heads``
    must divide E. key_padding_mask ``[B, T]`` bool, True = padded frame.
    Returns ``(out [B, T, E], weights [B, num_heads, T, T])``.
    """
    check_tensor(x, "x", ndim=3)
    batch, length, width = x.shape
    check_positive_int(num_heads, "num_heads")
    if width % num_heads:
        raise ValueError(f"the width E={width} must be divisible by num_heads={num_heads} "
                         f"(each head gets E / num_heads dims)")
    _check_weight(in_proj_weight, "in_proj_weight", (3 * width, width))
    _check_weight(out_proj_weight, "out_proj_weight", (width, width))
    if in_proj_bias is not None:
        _check_weight(in_proj_bias, "in_proj_bias", (3 * width,))
    if out_proj_bias is not None:
        _check_weight(out_proj_bias, "out_proj_bias", (width,))
    head_dim = width // num_heads

    q, k, v = F.linear(x, in_proj_weight, in_proj_bias).chunk(3, dim=-1)     # 3 x [B, T, E]

    def split_heads(t):                                                       # [B, T, E] -> [B, H, T, E/H]
        return t.view(batch, length, num_heads, head_dim).transpose(1, 2)

    out, weights = scaled_dot_product_attention(split_heads(q), split_heads(k), split_heads(v),
                                                key_padding_mask)             # [B, H, T, E/H], [B, H, T, T]
    out = out.transpose(1, 2).reshape(batch, length, width)                   # merge heads: [B, T, E]
    return F.linear(out, out_proj_weight, out_proj_bias), weights


def _check_weight(w, name: str, shape: tuple[int, ...]) -> None:
    check_tensor(w, name)
    if tuple(w.shape) != shape:
        raise ValueError(f"{name} must have shape {shape} for this input, got {tuple(w.shape)}")


# -----------------------------------------------------------------------------
# an encoder layer by hand


def encoder_layer_by_hand(layer: nn.TransformerEncoderLayer, x: torch.Tensor,
                          key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
    """What ``layer(x, src_key_padding_mask=key_padding_mask)`` computes in eval mode: ``[B, T, E] -> [B, T, E]``.

    Post-norm (PyTorch's default, the guide's)::

        x = norm1(x + self_attn(x))
        x = norm2(x + linear2(activation(linear1(x))))

    Pre-norm (``norm_first=True``): ``x = x + self_attn(norm1(x)); x = x + ff(norm2(x))``.
    Dropout is the identity in eval mode, so the layer must be in eval mode (``layer.eval()``).
    """
    if not isinstance(layer, nn.TransformerEncoderLayer):
        raise TypeError(f"layer must be an nn.TransformerEncoderLayer, got {type(layer).__name__}")
    if layer.training:
        raise ValueError("encoder_layer_by_hand reproduces the layer in eval mode; call layer.eval() first "
                         "(in training mode dropout makes every call of the layer random)")
    if not layer.self_attn.batch_first:
        raise ValueError("encoder_layer_by_hand expects a batch_first layer ([B, T, E]), got batch_first=False")
    attn = layer.self_attn

    def self_attention(h):
        out, _ = multi_head_attention(h, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight,
                                      attn.out_proj.bias, attn.num_heads, key_padding_mask)
        return out

    def feed_forward(h):
        return layer.linear2(layer.activation(layer.linear1(h)))

    if layer.norm_first:
        x = x + self_attention(layer.norm1(x))
        return x + feed_forward(layer.norm2(x))
    x = layer.norm1(x + self_attention(x))
    return layer.norm2(x + feed_forward(x))


# -----------------------------------------------------------------------------
# what an M2PEncoder looks at


def attention_maps(model: nn.Module, music_features: torch.Tensor,
                   padding_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Every head's attention weights in every layer of an ``M2PEncoder``: ``[layers, B, heads, T, T]``.

    music_features ``[B, T, music_input_dim]``; padding_mask ``[B, T]`` bool, True = padded.
    Runs the model's own modules (projection, positions, then layer by layer) in eval mode
    (dropout off; the model's mode is restored afterwards) and, before each layer, asks its
    ``self_attn`` for the weights (``need_weights=True, average_attn_weights=False``).
    ``maps[l, b, h, i, j]``: how much frame i attends to frame j in layer l, head h; rows sum to 1.
    """
    for name in ("music_proj", "pos_encoding", "transformer", "music_input_dim"):
        if not hasattr(model, name):
            raise TypeError(f"model must be an M2PEncoder (with {name}), got {type(model).__name__}")
    x = check_music_features(music_features, model.music_input_dim)
    if padding_mask is not None:
        check_padding_mask(padding_mask, x.size(0), x.size(1))

    was_training = model.training
    model.eval()
    maps = []
    try:
        with torch.no_grad():
            h = model.pos_encoding(model.music_proj(x))                        # [B, T, hidden]
            for layer in model.transformer.layers:
                attn_in = layer.norm1(h) if layer.norm_first else h
                _, weights = layer.self_attn(attn_in, attn_in, attn_in, key_padding_mask=padding_mask,
                                             need_weights=True, average_attn_weights=False)
                maps.append(weights)                                           # [B, heads, T, T]
                h = layer(h, src_key_padding_mask=padding_mask)                # [B, T, hidden]
    finally:
        model.train(was_training)
    return torch.stack(maps)


# -----------------------------------------------------------------------------
# the cost in T^2


def attention_memory_bytes(length: int, batch: int = 1, heads: int = 8, layers: int = 1,
                           bytes_per_element: int = 4) -> int:
    """Bytes held by the attention weight matrices: ``layers * batch * heads * T^2 * bytes_per_element``.

    That is the size of the ``[B, heads, T, T]`` weights each layer keeps for the backward
    pass (float32: 4 bytes). Computed, never allocated: T = 5400 (3 minutes at 30 FPS) with
    8 heads needs 0.93 GB per layer and per clip.
    """
    for value, name in ((length, "length"), (batch, "batch"), (heads, "heads"), (layers, "layers"),
                        (bytes_per_element, "bytes_per_element")):
        check_positive_int(value, name)
    return layers * batch * heads * length * length * bytes_per_element
