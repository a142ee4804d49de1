"""Stage 3: sinusoidal positional encoding (Vaswani et al., 2017).

Attention treats its input as a *set*: shuffle the frames and the outputs shuffle with them.
The positional encoding adds to frame ``t`` a fixed vector that tells where it is::

    PE[t, 2i]   = sin(t / 10000^(2i / d_model))
    PE[t, 2i+1] = cos(t / 10000^(2i / d_model))

It is computed on the fly for the length at hand, so any T works (the usual fixed table of
5000 rows, as in PyTorch's tutorial, would break at T = 5400, three minutes of music at 30 FPS).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .checks import check_positive_int, check_tensor

__all__ = ["positional_encoding", "SinusoidalPositionalEncoding"]


def positional_encoding(length: int, d_model: int, *, base: float = 10000.0,
                        device=None, dtype=torch.float32) -> torch.Tensor:
    """The sinusoidal table: ``[length, d_model]``; sin on even dims, cos on odd dims.

    ``d_model`` may be odd (the last, unpaired dim gets a sin).
    """
    check_positive_int(length, "length")
    check_positive_int(d_model, "d_model")
    position = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)      # [L, 1]
    div_term = torch.exp(torch.arange(0, d_model, 2, device=device, dtype=torch.float32)
                         * (-math.log(base) / d_model))                                   # [ceil(d/2)]
    angles = position * div_term                                                          # [L, ceil(d/2)]
    pe = torch.empty(length, d_model, device=device, dtype=torch.float32)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles[:, : d_model // 2])
    return pe.to(dtype)


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the sinusoidal table to a sequence: ``[B, T, d_model] -> [B, T, d_model]``.

    No parameters and no fixed maximum length.
    """

    def __init__(self, d_model: int, base: float = 10000.0):
        super().__init__()
        self.d_model = check_positive_int(d_model, "d_model")
        self.base = base

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x", ndim=3, finite=False)
        if x.size(-1) != self.d_model:
            raise ValueError(f"Expected last dimension d_model={self.d_model}, got {x.size(-1)}")
        pe = positional_encoding(x.size(1), self.d_model, base=self.base, device=x.device, dtype=x.dtype)
        return x + pe.unsqueeze(0)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, base={self.base:g}"
