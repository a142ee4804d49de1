"""Stage 7: from heatmaps to coordinates with a differentiable soft-argmax.

``argmax`` picks the best cell but has no gradient. Soft-argmax (integral regression, DSNT,
kornia's ``spatial_soft_argmax2d``) turns each joint's logits ``[H, W]`` into a probability
map with a softmax over the H x W cells and returns the *expected* position ``(x, y)``.

Convention (kornia's): x first, then y; x grows to the right (columns), y grows down (rows).
With ``normalized_coordinates=True`` the centres of the corner cells are at -1 and +1; with
``False`` the result is in pixel units (column, row), cell centres at integers. An axis of
size 1 sits at 0. The temperature divides the logits: smaller is sharper.
"""

from __future__ import annotations

import torch

from .checks import check_temperature, check_tensor

__all__ = ["spatial_softmax2d", "soft_argmax2d", "coordinate_grid"]


def coordinate_grid(height: int, width: int, *, normalized_coordinates: bool = True,
                    device=None, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """The x of every column ``[W]`` and the y of every row ``[H]``."""
    def axis(n: int) -> torch.Tensor:
        pos = torch.arange(n, device=device, dtype=dtype)
        if normalized_coordinates:
            pos = pos * (2.0 / (n - 1)) - 1.0 if n > 1 else torch.zeros(1, device=device, dtype=dtype)
        return pos
    return axis(width), axis(height)


def spatial_softmax2d(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Softmax over the last two axes: ``[..., H, W] -> [..., H, W]``, each map sums to 1."""
    check_tensor(logits, "logits", min_ndim=2)
    temperature = check_temperature(temperature)
    h, w = logits.shape[-2:]
    if h == 0 or w == 0:
        raise ValueError(f"logits need H > 0 and W > 0, got shape {tuple(logits.shape)}")
    flat = (logits / temperature).flatten(-2)
    return torch.softmax(flat, dim=-1).view(logits.shape)


def soft_argmax2d(logits: torch.Tensor, temperature: float = 1.0,
                  normalized_coordinates: bool = True) -> torch.Tensor:
    """Expected ``(x, y)`` of each heatmap: ``[..., H, W] -> [..., 2]``."""
    prob = spatial_softmax2d(logits, temperature)
    xs, ys = coordinate_grid(*prob.shape[-2:], normalized_coordinates=normalized_coordinates,
                             device=prob.device, dtype=prob.dtype)
    x = (prob.sum(dim=-2) * xs).sum(dim=-1)   # marginal over rows, then E[x]
    y = (prob.sum(dim=-1) * ys).sum(dim=-1)   # marginal over columns, then E[y]
    return torch.stack([x, y], dim=-1)
