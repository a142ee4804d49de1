"""Exercises of notebook 05 · The transformer encoder.

q1  write the post-norm encoder layer from its parts
q2  count the parameters of a smaller encoder layer by hand
q3  the length T where attention's T^2 work catches up with the linear layers
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..i18n import N_, _
from .core import Incorrect, Question, call_student, expect_equal, expect_tensor_close

__all__ = ["q1", "q2", "q3"]


# -----------------------------------------------------------------------------
# q1: the post-norm layer from its parts


def _attn(layer, x):
    return layer.self_attn(x, x, x, need_weights=False)[0]


def _ff(layer, x, activation=F.gelu):
    return layer.linear2(activation(layer.linear1(x)))


def _post_norm(x, layer):
    x = layer.norm1(x + _attn(layer, x))
    return layer.norm2(x + _ff(layer, x))


def _check_layer(fn) -> None:
    with torch.random.fork_rng(devices=[]):  # seeded test data; the student's random state is left alone
        torch.manual_seed(5)
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1, activation="gelu", batch_first=True).eval()
        with torch.no_grad():
            for norm in (layer.norm1, layer.norm2):  # non-trivial norms, so that swapping them shows
                norm.weight.uniform_(0.5, 1.5)
                norm.bias.normal_(0.0, 0.2)
        x = 3 * torch.randn(2, 6, 32)
    with torch.no_grad():
        out = call_student(fn, x.clone(), layer)
        expected = layer(x)
        pre = x + _attn(layer, layer.norm1(x))
        h = layer.norm1(x + _attn(layer, x))
        mistakes = {
            N_("that is pre-norm (x + attn(norm(x))); torch's default and the guide's layer is post-norm: "
               "norm1(x + attn(x))"): pre + _ff(layer, layer.norm2(pre)),
            N_("the feed-forward uses GELU (activation='gelu'), not ReLU"): layer.norm2(h + _ff(layer, h, F.relu)),
            N_("you forgot the residual around the attention: norm1(x + attn(x))"): layer.norm2(
                layer.norm1(_attn(layer, x)) + _ff(layer, layer.norm1(_attn(layer, x)))),
            N_("you forgot the residual around the feed-forward: norm2(x + ff(x))"): layer.norm2(_ff(layer, h)),
            N_("norm1 follows the attention and norm2 the feed-forward, not the other way round"): layer.norm1(
                layer.norm2(x + _attn(layer, x)) + _ff(layer, layer.norm2(x + _attn(layer, x)))),
            N_("the feed-forward reads the output of the attention block (after norm1), not the layer's input x"):
                layer.norm2(h + _ff(layer, x)),
        }
    if not isinstance(out, torch.Tensor):
        raise Incorrect(_("your function should return a torch.Tensor, got {type}").format(type=type(out).__name__))
    if out.shape == expected.shape:
        for message, wrong in mistakes.items():
            if torch.allclose(out.float(), wrong, atol=1e-5):
                raise Incorrect(_(message))
    expect_tensor_close(out, expected, _("my_encoder_layer(x, layer) vs layer(x)"))


q1 = Question(
    "q1",
    N_("""
    Write my_encoder_layer(x, layer): what the post-norm nn.TransformerEncoderLayer `layer`
    (eval mode, GELU) computes for x [B, T, d], from its parts: layer.self_attn (call it as
    layer.self_attn(x, x, x, need_weights=False)[0]), layer.linear1, layer.linear2,
    layer.norm1, layer.norm2 and F.gelu.
    """),
    _check_layer,
    hint=[N_("Two blocks, each 'add the block's output to its input, then normalise'."),
          N_("x = layer.norm1(x + attention(x)), then x = layer.norm2(x + linear2(gelu(linear1(x)))).")],
    solution=N_("""
    def my_encoder_layer(x, layer):
        x = layer.norm1(x + layer.self_attn(x, x, x, need_weights=False)[0])
        return layer.norm2(x + layer.linear2(F.gelu(layer.linear1(x))))
    """),
    answer=lambda: _post_norm,
    success=N_("post-norm, exactly as torch's default TransformerEncoderLayer."),
)


# -----------------------------------------------------------------------------
# q2: parameters of one layer

_E, _F = 512, 2048
_PARTS = {
    "self_attn.in_proj": 3 * _E * _E + 3 * _E,
    "self_attn.out_proj": _E * _E + _E,
    "linear1": _E * _F + _F,
    "linear2": _F * _E + _E,
    "norm1": 2 * _E,
    "norm2": 2 * _E,
}
_LAYER_PARAMS = sum(_PARTS.values())


def _check_layer_params(n) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise Incorrect(_("expected an int, got {type}").format(type=type(n).__name__))
    biases = 3 * _E + _E + _F + _E
    mistakes = {
        _LAYER_PARAMS - 4 * _E: _("you forgot the two LayerNorms (each has a weight and a bias of d_model)"),
        _LAYER_PARAMS - 2 * _E: _("each LayerNorm has a weight AND a bias of d_model, and there are two of them"),
        _LAYER_PARAMS - biases: _("you forgot the biases of the four Linear layers"),
        _LAYER_PARAMS - biases - 4 * _E:
            _("you counted only the weight matrices: add the Linear biases and the LayerNorms"),
        _LAYER_PARAMS - _PARTS["self_attn.out_proj"]: _("you forgot the attention's output projection (d x d + d)"),
        _LAYER_PARAMS - _PARTS["linear2"]: _("the feed-forward has two Linear layers: d -> F and F -> d"),
        _LAYER_PARAMS + 7 * _PARTS["self_attn.in_proj"] + 7 * _PARTS["self_attn.out_proj"]:
            _("the heads split d_model; they do not multiply the attention's parameters"),
    }
    if n in mistakes:
        raise Incorrect(mistakes[n])
    expect_equal(n, _LAYER_PARAMS, _("parameters of TransformerEncoderLayer(512, 8, 2048)"))


q2 = Question(
    "q2",
    N_("""
    How many parameters does nn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048)
    hold? (The guide's layer, at half the width.) Count by hand, as an int.
    """),
    _check_layer_params,
    hint=[N_("Four Linear layers (in_proj d -> 3d, out_proj d -> d, linear1 d -> F, linear2 F -> d), each with a "
             "bias, and two LayerNorms of d (weight and bias)."),
          N_("4 d^2 + 4 d  +  2 d F + F + d  +  4 d, with d = 512, F = 2048.")],
    solution=N_("""
    d, f = 512, 2048
    n = (3*d*d + 3*d) + (d*d + d) + (d*f + f) + (f*d + d) + 2*d + 2*d   # = 3,152,384
    """),
    answer=lambda: _LAYER_PARAMS,
)


# -----------------------------------------------------------------------------
# q3: where T^2 takes over

_GUIDE_E, _GUIDE_F = 1024, 4096
_CROSSOVER = 2 * _GUIDE_E + _GUIDE_F


def _check_crossover(t) -> None:
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise Incorrect(_("expected a number of frames, got {type}").format(type=type(t).__name__))
    mistakes = {
        _GUIDE_F + _GUIDE_E: _("count the linear FLOPs again: q, k, v (3 d^2) and the output projection (d^2) make "
                               "4 d^2"),
        _GUIDE_F + 3 * _GUIDE_E // 2: _("don't forget the output projection (2 T d^2 FLOPs)"),
        2 * _GUIDE_E: _("don't forget the feed-forward: 2 x 2 T d F FLOPs, the biggest linear part"),
        2 * _CROSSOVER: _("there are two T^2 products, q k^T and weights x v, each 2 T^2 d FLOPs"),
        _GUIDE_E: _("not T = d: set the costs equal, 4 T^2 d = 2 T (4 d^2 + 2 d F), and solve for T"),
    }
    if t in mistakes:
        raise Incorrect(mistakes[t])
    expect_equal(t, _CROSSOVER, _("T where attention FLOPs = linear FLOPs"))


q3 = Question(
    "q3",
    N_("""
    Per layer and per clip, the linear parts cost 2 T (3d^2 + d^2 + 2 d F) FLOPs and the two attention
    products (q k^T and weights x v) 2 x 2 T^2 d. At what T (frames) are they equal, for the
    guide's d = 1024 and F = 4096?
    """),
    _check_crossover,
    hint=[N_("Set 4 T^2 d = 2 T (4 d^2 + 2 d F) and divide both sides by 4 T d."),
          N_("T = 2 d + F.")],
    solution=N_("""
    T = 2 * 1024 + 4096   # = 6144 frames: 3.4 minutes at 30 FPS
    """),
    answer=lambda: _CROSSOVER,
)
