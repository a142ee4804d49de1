"""Stage 6 and 8: the two heads on top of the transformer.

* ``PoseHead``: per frame, ``[B, T, 1024] -> [B, T, 134]`` pose logits (the guide's model),
  or, with a ``heatmap_size=(H, W)``, per-joint heatmap logits ``[B, T, 134, H, W]``.
* ``FaceHead``: mean over the valid frames, then an MLP and L2 normalisation,
  ``[B, T, 1024] -> [B, 512]``: one identity embedding per clip, ready for ArcFace.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_positive_int, check_real

__all__ = ["PoseHead", "FaceHead", "masked_mean"]


class PoseHead(nn.Sequential):
    """``[B, T, hidden] -> [B, T, pose_channels]`` or ``[B, T, pose_channels, H, W]``.

    Layers (the guide's, sizes following ``hidden_dim``: 1024 -> 512 -> 256 -> 134)::

        0 Linear(hidden, hidden/2)  1 GELU  2 Dropout
        3 Linear(hidden/2, hidden/4)  4 GELU  5 Dropout
        6 Linear(hidden/4, pose_channels)            (heatmap_size None)
        6 Linear(hidden/4, pose_channels * H * W)    (heatmap_size (H, W)), reshaped to [..., 134, H, W]

    The spatial variant's last layer has ``(hidden/4 + 1) * 134 * H * W`` parameters:
    2.2 M for 8 x 8 and 8.8 M for 16 x 16 at the full size.
    """

    def __init__(self, hidden_dim: int = 1024, pose_channels: int = 134, dropout: float = 0.1,
                 heatmap_size: tuple[int, int] | None = None):
        check_positive_int(hidden_dim, "hidden_dim")
        check_positive_int(pose_channels, "pose_channels")
        check_real(dropout, "dropout", 0, 1, high_open=True)
        if hidden_dim < 4:
            raise ValueError(f"hidden_dim must be >= 4 (the pose head uses hidden/2 and hidden/4), got {hidden_dim}")
        out = pose_channels
        if heatmap_size is not None:
            height, width = _check_heatmap_size(heatmap_size)
            out = pose_channels * height * width
        half, quarter = hidden_dim // 2, hidden_dim // 4
        super().__init__(
            nn.Linear(hidden_dim, half), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(half, quarter), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(quarter, out),
        )
        self.pose_channels = pose_channels
        self.heatmap_size = None if heatmap_size is None else (height, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        if self.heatmap_size is not None:
            y = y.unflatten(-1, (self.pose_channels, *self.heatmap_size))
        return y


class FaceHead(nn.Sequential):
    """``[B, T, hidden] -> [B, face_embed_dim]``, L2-normalised (unit length).

    Mean over time (padded frames excluded when a ``padding_mask`` [B, T] is given, True =
    padded), then (the guide's, 1024 -> 512 -> 512)::

        0 Linear(hidden, hidden/2)  1 GELU  2 Dropout  3 Linear(hidden/2, face_embed_dim)
    """

    def __init__(self, hidden_dim: int = 1024, face_embed_dim: int = 512, dropout: float = 0.1):
        check_positive_int(hidden_dim, "hidden_dim")
        check_positive_int(face_embed_dim, "face_embed_dim")
        check_real(dropout, "dropout", 0, 1, high_open=True)
        half = max(hidden_dim // 2, 1)
        super().__init__(
            nn.Linear(hidden_dim, half), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(half, face_embed_dim),
        )

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        pooled = masked_mean(x, padding_mask)          # [B, hidden]
        return F.normalize(super().forward(pooled), dim=-1)


def masked_mean(x: torch.Tensor, padding_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over time of the valid frames: ``[B, T, C] -> [B, C]`` (padding_mask True = padded)."""
    if padding_mask is None:
        return x.mean(dim=1)
    padded = padding_mask.unsqueeze(-1)                              # [B, T, 1]
    count = (~padded).sum(dim=1).clamp_min(1).to(x.dtype)            # [B, 1]
    return x.masked_fill(padded, 0.0).sum(dim=1) / count


def _check_heatmap_size(heatmap_size) -> tuple[int, int]:
    if not (isinstance(heatmap_size, (tuple, list)) and len(heatmap_size) == 2):
        raise TypeError(f"heatmap_size must be None or a pair (H, W) of positive ints, got {heatmap_size!r}")
    height, width = heatmap_size
    check_positive_int(height, "heatmap height")
    check_positive_int(width, "heatmap width")
    return height, width
