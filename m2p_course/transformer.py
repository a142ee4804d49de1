"""Stage 5: the transformer encoder, ``[B, T, 1024] -> [B, T, 1024]``.

Exactly the guide's configuration of PyTorch's own modules: six post-norm layers of
8-head self-attention and a GELU feed-forward of width 4096, dropout 0.1, batch first.

The modules *are* ``nn.TransformerEncoder`` and ``nn.TransformerEncoderLayer`` (subclasses of
the same name, with the same parameters and parameter names, so state dicts move freely
between this encoder and one written plainly with torch's classes). Only the way a layer runs
changes: its attention goes through ``F.scaled_dot_product_attention`` with the layer's own
weights, which on the CPU and on GPUs picks a fused (flash / memory-efficient) kernel that never
keeps the ``[B, heads, T, T]`` attention matrix. Torch's own inference fast path does keep it:
for a three-minute song (T = 5400) that is 0.93 GB per layer. The arithmetic is the layer's
(post-norm, GELU, dropout in training), equal to torch's forward to float rounding.

One exception, a limit of torch's CPU kernels: attention *dropout* (training with
``dropout > 0``) has no fused CPU kernel, so there the scores are materialised, as in torch's
own training path. GPUs have fused kernels with dropout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from .checks import check_bool, check_positive_int, check_real

__all__ = ["build_transformer_encoder", "TransformerEncoder", "TransformerEncoderLayer", "SavedActivations"]


def _key_padding_to_attn_mask(src_key_padding_mask: torch.Tensor | None, dtype: torch.dtype):
    """``[B, T]`` key padding mask (bool True = padded, or additive float) -> an SDPA mask ``[B, 1, 1, T]``."""
    if src_key_padding_mask is None:
        return None
    if src_key_padding_mask.dtype == torch.bool:
        return (~src_key_padding_mask)[:, None, None, :]          # SDPA's bool mask: True = may attend
    return src_key_padding_mask.to(dtype)[:, None, None, :]       # additive (0 or -inf), as torch accepts


class TransformerEncoderLayer(nn.TransformerEncoderLayer):
    """``nn.TransformerEncoderLayer`` whose forward runs attention through ``scaled_dot_product_attention``.

    Same constructor, parameters and state dict as torch's class; ``forward(src, src_mask=None,
    src_key_padding_mask=None, is_causal=False)`` as torch's. Supports ``batch_first=True``
    (the course's layout) with a key padding mask; any other use (an attention mask ``src_mask``,
    sequence-first input) falls back to torch's own forward.
    """

    def forward(self, src: torch.Tensor, src_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None, is_causal: bool = False) -> torch.Tensor:
        if not self._sdpa_applies(src, src_mask, src_key_padding_mask, is_causal):
            # torch's own forward: other layouts and masks, and its own errors for a wrong width or mask shape
            return super().forward(src, src_mask, src_key_padding_mask, is_causal)
        attn_mask = _key_padding_to_attn_mask(src_key_padding_mask, src.dtype)
        x = src
        if self.norm_first:
            x = x + self._sdpa_block(self.norm1(x), attn_mask)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sdpa_block(x, attn_mask))
        return self.norm2(x + self._ff_block(x))

    def _sdpa_applies(self, src, src_mask, src_key_padding_mask, is_causal) -> bool:
        """Batch-first ``[B, T, d_model]`` with at most a ``[B, T]`` key padding mask (static checks only)."""
        attn = self.self_attn
        if src_mask is not None or is_causal or not attn.batch_first or not attn._qkv_same_embed_dim:
            return False
        if not isinstance(src, torch.Tensor) or src.is_nested or src.dim() != 3 or src.size(-1) != attn.embed_dim:
            return False
        mask = src_key_padding_mask
        return mask is None or (isinstance(mask, torch.Tensor) and tuple(mask.shape) == tuple(src.shape[:2]))

    def _sdpa_block(self, x: torch.Tensor, attn_mask: torch.Tensor | None) -> torch.Tensor:
        """Multi-head self-attention with the layer's own weights: ``[B, T, D] -> [B, T, D]``."""
        attn = self.self_attn
        batch, length, dim = x.shape
        heads = attn.num_heads
        qkv = F.linear(x, attn.in_proj_weight, attn.in_proj_bias)                  # [B, T, 3D]
        # [3, B, h, T, d], made contiguous: the CPU flash kernel runs ~10% faster on it than on the strided view
        q, k, v = qkv.unflatten(-1, (3, heads, dim // heads)).permute(2, 0, 3, 1, 4).contiguous().unbind(0)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask,
                                             dropout_p=attn.dropout if self.training else 0.0)
        out = out.transpose(1, 2).reshape(batch, length, dim)                       # [B, T, D]
        return self.dropout1(attn.out_proj(out))


class TransformerEncoder(nn.TransformerEncoder):
    """``nn.TransformerEncoder`` that runs its layers one after the other, optionally checkpointed.

    ``gradient_checkpointing = True`` (an attribute, off by default): in training with grad
    enabled, each layer's activations are not kept for backward but recomputed there
    (``torch.utils.checkpoint``, non-reentrant, same dropout masks), so only each layer's input
    ``[B, T, D]`` is kept: less memory for about one more forward pass of time.
    """

    gradient_checkpointing: bool = False

    def forward(self, src: torch.Tensor, mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None, is_causal: bool | None = None) -> torch.Tensor:
        ours = all(isinstance(layer, TransformerEncoderLayer) for layer in self.layers)
        if mask is not None or is_causal or not ours:
            return super().forward(src, mask, src_key_padding_mask, is_causal)
        recompute = self.gradient_checkpointing and self.training and torch.is_grad_enabled()
        x = src
        for layer in self.layers:
            if recompute:
                x = checkpoint(layer, x, None, src_key_padding_mask, use_reentrant=False)
            else:
                x = layer(x, src_key_padding_mask=src_key_padding_mask)
        return x if self.norm is None else self.norm(x)


def build_transformer_encoder(d_model: int = 1024, nhead: int = 8, dim_feedforward: int = 4096,
                              dropout: float = 0.1, num_layers: int = 6,
                              gradient_checkpointing: bool = False) -> TransformerEncoder:
    """``nn.TransformerEncoder`` of ``num_layers`` copies of the guide's ``TransformerEncoderLayer``.

    Input and output ``[B, T, d_model]``; ``src_key_padding_mask`` ``[B, T]`` (True = padded).
    The modules are this package's subclasses of torch's two classes (same parameters and
    names; attention through ``scaled_dot_product_attention``, see the module's docstring).
    """
    for value, name in ((d_model, "d_model"), (nhead, "nhead"), (dim_feedforward, "dim_feedforward"),
                        (num_layers, "num_layers")):
        check_positive_int(value, name)
    check_real(dropout, "dropout", 0, 1, high_open=True)
    check_bool(gradient_checkpointing, "gradient_checkpointing")
    if d_model % nhead:
        raise ValueError(f"hidden size {d_model} must be divisible by the number of heads {nhead}")
    layer = TransformerEncoderLayer(
        d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
        activation="gelu", batch_first=True,
    )
    # Nested tensors are only a speed-up for padded batches at inference; they are a prototype
    # API that warns on every padded call, so the course leaves them off.
    encoder = TransformerEncoder(layer, num_layers=num_layers, enable_nested_tensor=False)
    encoder.gradient_checkpointing = gradient_checkpointing
    return encoder


class SavedActivations:
    """Bytes of the tensors autograd keeps for the backward pass, parameters excluded.

    ::

        with SavedActivations(model) as saved:
            loss = model(x)[0].square().mean()
        saved.bytes          # what the graph holds until backward (each storage counted once)

    Counts what the forward pass hands to autograd (``saved_tensors_hooks``), so it measures
    exactly what gradient checkpointing saves: a checkpointed layer hands over its input only.
    """

    def __init__(self, model: nn.Module):
        # storages are told apart by their C++ object (``_cdata``), not their data pointer: fake tensors
        # (``m2p_course.performance.predict_memory``) have no data and all share data pointer 0
        self._params = {p.untyped_storage()._cdata for p in model.parameters()}
        self._storages: dict[int, int] = {}
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)

    def _pack(self, t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage._cdata not in self._params:
            self._storages.setdefault(storage._cdata, storage.nbytes())
        return t

    @property
    def bytes(self) -> int:
        return sum(self._storages.values())

    def __enter__(self) -> SavedActivations:
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)
