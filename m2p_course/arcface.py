"""Stage 8: the ArcFace loss (Deng et al., 2019) for the face embedding.

Embeddings and learnable class centres are L2-normalised, so their dot product is
``cos(theta)``. ArcFace adds an angular margin ``m`` to the angle of the true class only::

    loss = -log( e^{s cos(theta_y + m)} / (e^{s cos(theta_y + m)} + sum_{j != y} e^{s cos(theta_j)}) )

which pulls each embedding to within ``m`` radians of its own centre.

Numerical safety: ``cos(theta + m)`` is computed as ``cos(theta) cos(m) - sin(theta) sin(m)``
(no ``acos``, whose gradient blows up at +-1; ``sin`` is kept off 0 for the same reason).
When ``theta + m > pi`` the cosine would start to *rise* again and reward a worse angle, so
there the target logit falls back to ``cos(theta) - m sin(m)`` (InsightFace's choice), which
keeps it decreasing in theta.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_positive_int, check_real, check_tensor

__all__ = ["ArcFaceLoss"]


class ArcFaceLoss(nn.Module):
    """Additive angular margin loss.

    ``forward(embeddings [B, D], labels [B] int) -> scalar``. Embeddings need not be
    normalised (they are normalised here); ``weight`` ``[num_classes, D]`` holds the class centres.
    """

    def __init__(self, num_classes: int, embedding_dim: int = 512, scale: float = 64.0, margin: float = 0.5):
        super().__init__()
        self.num_classes = check_positive_int(num_classes, "num_classes")
        self.embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        self.scale = check_real(scale, "scale", 0, low_open=True)
        self.margin = check_real(margin, "margin (radians)", 0, math.pi / 2, high_open=True)
        self.weight = nn.Parameter(torch.empty(num_classes, embedding_dim))
        nn.init.xavier_uniform_(self.weight)

    def cosine(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of each embedding to each class centre: ``[B, D] -> [B, C]``."""
        check_tensor(embeddings, "embeddings", ndim=2)
        if embeddings.size(1) != self.embedding_dim:
            raise ValueError(f"Expected embeddings of dimension {self.embedding_dim}, got {embeddings.size(1)}")
        return F.linear(F.normalize(embeddings, dim=1), F.normalize(self.weight, dim=1))

    def logits(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Scaled logits with the margin on each row's true class: ``[B, C]``."""
        cos = self.cosine(embeddings).clamp(-1.0, 1.0)
        labels = self._check_labels(labels, cos.size(0))
        cos_y = cos.gather(1, labels[:, None])
        sin_y = (1.0 - cos_y.pow(2)).clamp_min(1e-12).sqrt()   # > 0: sqrt has no finite gradient at 0
        cos_y_margin = cos_y * math.cos(self.margin) - sin_y * math.sin(self.margin)
        # theta_y + m > pi  <=>  cos(theta_y) < cos(pi - m): fall back to a monotonic penalty.
        fallback = cos_y - self.margin * math.sin(self.margin)
        target = torch.where(cos_y > math.cos(math.pi - self.margin), cos_y_margin, fallback)
        return self.scale * cos.scatter(1, labels[:, None], target)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.logits(embeddings, labels), labels)

    def _check_labels(self, labels, batch: int) -> torch.Tensor:
        if not isinstance(labels, torch.Tensor):
            raise TypeError(f"labels must be an int64 torch.Tensor [B], got {type(labels).__name__}")
        if labels.dtype not in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
            raise TypeError(f"labels must be an integer tensor of class indices, got dtype {labels.dtype}")
        if tuple(labels.shape) != (batch,):
            raise ValueError(f"labels must have shape [B] = ({batch},), got {tuple(labels.shape)}")
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= self.num_classes):
            raise ValueError(f"labels must be in [0, {self.num_classes - 1}], "
                             f"got values from {int(labels.min())} to {int(labels.max())}")
        return labels.long()

    def extra_repr(self) -> str:
        return (f"num_classes={self.num_classes}, embedding_dim={self.embedding_dim}, "
                f"scale={self.scale:g}, margin={self.margin:g}")
