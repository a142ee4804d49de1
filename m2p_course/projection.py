"""Stage 2: the music projection, ``[B, T, 4800] -> [B, T, 1024]``.

Two rounds of Linear -> LayerNorm -> GELU -> Dropout squeeze each frame's 4800 music
features to the transformer's width (the guide: 4800 -> 2048 -> 1024).
"""

from __future__ import annotations

from torch import nn

from .checks import check_positive_int, check_real

__all__ = ["MusicProjection"]


class MusicProjection(nn.Sequential):
    """``[B, T, input_dim] -> [B, T, hidden_dim]``, through a ``2 * hidden_dim`` middle.

    Layers, in the guide's order (indices as in ``music_proj[i]``)::

        0 Linear(input_dim, 2*hidden)  1 LayerNorm(2*hidden)  2 GELU  3 Dropout
        4 Linear(2*hidden, hidden)     5 LayerNorm(hidden)    6 GELU  7 Dropout
    """

    def __init__(self, input_dim: int = 4800, hidden_dim: int = 1024, dropout: float = 0.1):
        check_positive_int(input_dim, "input_dim")
        check_positive_int(hidden_dim, "hidden_dim")
        check_real(dropout, "dropout", 0, 1, high_open=True)
        middle = 2 * hidden_dim
        super().__init__(
            nn.Linear(input_dim, middle), nn.LayerNorm(middle), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(middle, hidden_dim), nn.LayerNorm(hidden_dim), nn.GELU(), nn.Dropout(dropout),
        )
        self.input_dim = input_dim
        self.hidden_dim = hidden_dim
