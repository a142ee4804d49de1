"""Exercises of notebook 04 · Attention.

q1  write scaled dot-product attention
q2  build the padding mask of a batch of two clips
q3  count the parameters of the guide's nn.MultiheadAttention(1024, 8)
q4  the memory of the attention weights of a whole song
"""

from __future__ import annotations

import math

import torch

from ..i18n import N_, _
from .core import Incorrect, Question, call_student, expect_equal, expect_shape, expect_tensor_close

__all__ = ["q1", "q2", "q3", "q4"]


# -----------------------------------------------------------------------------
# q1: scaled dot-product attention


def _reference_attention(q, k, v, scale=None, dim=-1):
    scores = q @ k.transpose(-2, -1) / (math.sqrt(q.size(-1)) if scale is None else scale)
    return torch.softmax(scores, dim=dim) @ v


def _check_attention(fn) -> None:
    generator = torch.Generator().manual_seed(4)
    q = 2 * torch.randn(2, 5, 16, generator=generator)
    k = 2 * torch.randn(2, 7, 16, generator=generator)
    v = torch.randn(2, 7, 3, generator=generator)
    out = call_student(fn, q, k, v)
    if isinstance(out, tuple):
        raise Incorrect(_("return only the output tensor (weights @ v), not a tuple"))
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("attention(q, k, v) should return a torch.Tensor, got {type}").format(
            type=type(out).__name__))
    if tuple(out.shape) == (2, 5, 7):
        raise Incorrect(_("you returned the weights [B, Tq, Tk]; the output is the weights times v: [B, Tq, d_v]"))
    expect_shape(out, (2, 5, 3), _("attention(q, k, v) for q [2, 5, 16], k [2, 7, 16], v [2, 7, 3]"))
    mistakes = {
        N_("you forgot to divide the scores by sqrt(d_k)"): _reference_attention(q, k, v, scale=1.0),
        N_("divide the scores by sqrt(d_k) = 4, not by d_k = 16"): _reference_attention(q, k, v, scale=16.0),
        N_("the softmax must run over the keys (dim=-1), so that each query's weights sum to 1"):
            _reference_attention(q, k, v, dim=-2),
    }
    for message, wrong in mistakes.items():
        if torch.allclose(out.detach().float(), wrong, atol=1e-5):
            raise Incorrect(_(message))
    expect_tensor_close(out, _reference_attention(q, k, v), "attention(q, k, v)")


q1 = Question(
    "q1",
    N_("""
    Write attention(q, k, v) for q [B, Tq, d_k], k [B, Tk, d_k], v [B, Tk, d_v]: the scores
    q k^T scaled by 1/sqrt(d_k), a softmax over the keys, and the weighted sum of the values.
    Return the output [B, Tq, d_v].
    """),
    _check_attention,
    hint=[N_("Three lines: scores = ..., weights = torch.softmax(..., dim=...), return weights @ v."),
          N_("k.transpose(-2, -1) swaps the last two dims of k (k.T would reverse all of them); d_k is q.size(-1).")],
    solution=N_("""
    def attention(q, k, v):
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))   # [B, Tq, Tk]
        weights = torch.softmax(scores, dim=-1)                     # each row sums to 1
        return weights @ v                                          # [B, Tq, d_v]
    """),
    answer=lambda: (lambda q, k, v: _reference_attention(q, k, v)),
    success=N_("that is the heart of the transformer, in three lines."),
)


# -----------------------------------------------------------------------------
# q2: the padding mask


def _expected_mask() -> torch.Tensor:
    return torch.tensor([[False] * 6, [False] * 4 + [True] * 2])


def _check_mask(mask) -> None:
    expected = _expected_mask()
    if not isinstance(mask, torch.Tensor):
        raise Incorrect(_("expected a torch.Tensor of dtype torch.bool, got {type}").format(type=type(mask).__name__))
    if tuple(mask.shape) == (6, 2):
        raise Incorrect(_("the mask is [B, T] = [2, 6] (one row per clip), not [T, B]"))
    expect_shape(mask, (2, 6), "key_padding_mask")
    if mask.dtype != torch.bool:
        raise Incorrect(_("use dtype torch.bool (True = padded), got {dtype}; a float mask would be added to the "
                          "scores instead of blocking them").format(dtype=mask.dtype))
    if torch.equal(mask, ~expected):
        raise Incorrect(_("inverted: in PyTorch's key_padding_mask, True marks the padded frames, which get no "
                          "weight"))
    if not torch.equal(mask, expected):
        raise Incorrect(_("clip 0 has 6 real frames, clip 1 has 4 real frames then 2 padded ones; got {tolist}").format(
            tolist=mask.tolist()))


q2 = Question(
    "q2",
    N_("""
    A batch holds two clips padded to T = 6 frames: clip 0 is 6 frames long, clip 1 only 4.
    Build its key_padding_mask (shape [B, T], dtype torch.bool, True = padded frame).
    """),
    _check_mask,
    hint=[N_("One row per clip; True where there is no music."),
          N_("torch.arange(6)[None, :] >= torch.tensor([6, 4])[:, None] compares every position with each length.")],
    solution=N_("""
    lengths = torch.tensor([6, 4])
    mask = torch.arange(6)[None, :] >= lengths[:, None]   # [[F, F, F, F, F, F], [F, F, F, F, T, T]]
    """),
    answer=_expected_mask,
)


# -----------------------------------------------------------------------------
# q3: parameters of the guide's multi-head attention

_E = 1024
_MHA_PARAMS = 4 * _E * _E + 4 * _E   # in_proj 3E x E + 3E, out_proj E x E + E


def _check_mha_params(n) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise Incorrect(_("expected an int, got {type}").format(type=type(n).__name__))
    mistakes = {
        4 * _E * _E: _("you forgot the biases: the q, k, v projections have 3 x 1024 and the output projection 1024"),
        3 * _E * _E + 3 * _E: _("you forgot the output projection (1024 x 1024 + 1024) that mixes the heads back"),
        8 * _MHA_PARAMS: _("the 8 heads split the 1024 dims into 8 x 128; they do not multiply the parameters"),
        _MHA_PARAMS // 8: _("that is one eighth: each head has its own 128 dims, but together the heads use all "
                            "1024"),
    }
    if n in mistakes:
        raise Incorrect(mistakes[n])
    expect_equal(n, _MHA_PARAMS, _("parameters of nn.MultiheadAttention(1024, 8)"))


q3 = Question(
    "q3",
    N_("""
    How many parameters does the guide's nn.MultiheadAttention(embed_dim=1024, num_heads=8) hold?
    Count by hand (an int), then check with sum(p.numel() for p in mha.parameters()).
    """),
    _check_mha_params,
    hint=[N_("q, k and v each have a 1024 x 1024 weight and a bias of 1024; then comes the output projection."),
          N_("4 weights of 1024 x 1024 and 4 biases of 1024.")],
    solution=N_("""
    n = 4 * 1024 * 1024 + 4 * 1024   # = 4,198,400 (in_proj 3 x (1024^2 + 1024), out_proj 1024^2 + 1024)
    """),
    answer=lambda: _MHA_PARAMS,
)


# -----------------------------------------------------------------------------
# q4: memory of a whole song's attention weights

_T, _HEADS, _LAYERS = 5400, 8, 6
_SONG_BYTES = _LAYERS * _HEADS * _T * _T * 4


def _check_song_bytes(n) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        raise Incorrect(_("expected a number of bytes, got {type}").format(type=type(n).__name__))
    mistakes = {
        _HEADS * _T * _T * 4: _("that is one layer; the guide's stack has 6 layers, and training keeps them all"),
        _LAYERS * _T * _T * 4: _("each of the 8 heads has its own T x T matrix"),
        _LAYERS * _HEADS * _T * _T: _("that counts numbers; a float32 number takes 4 bytes"),
        _LAYERS * _HEADS * _T * 4: _("the weights are T x T per head: square the length"),
    }
    if n in mistakes:
        raise Incorrect(mistakes[n])
    expect_equal(n, _SONG_BYTES, _("bytes of the attention weights"))


q4 = Question(
    "q4",
    N_("""
    A whole song: 3 minutes at 30 FPS, so T = 5400 frames, one clip (B = 1). How many bytes do
    the float32 attention weights [B, 8 heads, T, T] of all 6 layers of the guide's encoder take?
    """),
    _check_song_bytes,
    hint=[N_("One layer holds B x heads x T x T numbers of 4 bytes each."),
          N_("layers x B x heads x T^2 x 4 (attention_memory_bytes computes it, to check yourself).")],
    solution=N_("""
    n = 6 * 1 * 8 * 5400 * 5400 * 4   # = 5,598,720,000 bytes, about 5.2 GiB
    """),
    answer=lambda: _SONG_BYTES,
)
