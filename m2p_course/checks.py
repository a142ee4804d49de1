"""Input checks shared by every stage.

Each check raises a clear ``TypeError`` or ``ValueError`` that says what was expected and
what came, so that a mistake shows up at the door of the model instead of as a cryptic
error deep inside torch.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch

__all__ = [
    "check_tensor",
    "check_music_features",
    "check_padding_mask",
    "check_temperature",
    "check_positive_int",
    "check_int",
]


def _is_meta(x: torch.Tensor) -> bool:
    return x.device.type == "meta"


def check_tensor(x, name: str, *, ndim: int | None = None, min_ndim: int | None = None,
                 floating: bool = True, finite: bool = True) -> torch.Tensor:
    """Check that ``x`` is a tensor of the right rank and kind; return it unchanged."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if ndim is not None and x.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got {x.dim()} (shape {tuple(x.shape)})")
    if min_ndim is not None and x.dim() < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimensions, got {x.dim()} (shape {tuple(x.shape)})"
        )
    if floating and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if finite and floating and not _is_meta(x) and x.numel() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or Inf values")
    return x


def check_music_features(x, music_input_dim: int) -> torch.Tensor:
    """Check music features ``[B, T, music_input_dim]`` (floating, finite, B > 0, T > 0)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"music_features must be a torch.Tensor [B, T, {music_input_dim}], got {type(x).__name__}")
    if x.dim() != 3:
        raise ValueError(
            f"music_features must be 3-D [B, T, {music_input_dim}], got {x.dim()}-D shape {tuple(x.shape)}"
        )
    # The guide's own check, with its exact message.
    if x.size(-1) != music_input_dim:
        raise ValueError(f"Expected music features dimension {music_input_dim}, got {x.size(-1)}")
    if x.size(0) == 0 or x.size(1) == 0:
        raise ValueError(f"music_features needs B > 0 and T > 0, got shape {tuple(x.shape)}")
    return check_tensor(x, "music_features")


def check_padding_mask(mask, batch: int, length: int) -> torch.Tensor:
    """Check a padding mask ``[B, T]`` of dtype bool, True = padded, at least one valid frame per row."""
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"padding_mask must be a bool torch.Tensor [B, T], got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise TypeError(f"padding_mask must have dtype torch.bool (True = padded frame), got {mask.dtype}")
    if tuple(mask.shape) != (batch, length):
        raise ValueError(
            f"padding_mask must have shape [B, T] = {(batch, length)}, got {tuple(mask.shape)}"
        )
    if not _is_meta(mask) and bool(mask.all(dim=1).any()):
        rows = mask.all(dim=1).nonzero().flatten().tolist()
        raise ValueError(f"padding_mask marks every frame as padded in batch row(s) {rows}; "
                         "each sequence needs at least one valid (False) frame")
    return mask


def check_temperature(temperature) -> float:
    """Check a softmax temperature: a finite real number > 0."""
    if isinstance(temperature, bool) or not isinstance(temperature, Real):
        raise TypeError(f"temperature must be a positive number, got {type(temperature).__name__}")
    if not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature}")
    return float(temperature)


def check_int(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """Check an integer (Python or NumPy; bools are rejected) in ``[low, high]``; returns it as an int."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"in [{low}, {high}]" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"<= {high}")
        raise ValueError(f"{name} must be {bounds}, got {value}")
    return int(value)


def check_positive_int(value, name: str) -> int:
    """Check an integer > 0 (Python or NumPy ints; bools are rejected); returns it as an int."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int (> 0), got {value}")
    return int(value)
