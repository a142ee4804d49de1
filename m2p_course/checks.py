"""Input checks shared by every stage (and the only copies of them in the package).

Each check raises a clear ``TypeError`` (wrong kind of thing) or ``ValueError`` (right kind,
wrong value) in one style, ``<name> must be <what>, got <what came>``, so that a mistake shows
up at the door of the model instead of as a cryptic error deep inside torch.

The checks on *values* (NaN/Inf, an all-padded row) read the data, a device sync and a
data-dependent branch: they run in eager mode, at the public boundary, and are skipped while
``torch.compile`` traces a graph (``torch.compiler.is_compiling()``), so a compiled model pays
nothing for them. The checks on types, shapes, dtypes and devices are static and always run.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from torch._subclasses.fake_tensor import is_fake  # fake tensors: shapes and a device, no values

__all__ = [
    "check_tensor",
    "check_music_features",
    "check_padding_mask",
    "check_temperature",
    "check_positive_int",
    "check_int",
    "check_bool",
    "check_real",
    "check_frame_indices",
    "as_numpy_poses",
]


def _is_meta(x: torch.Tensor) -> bool:
    return x.device.type == "meta"


def _skip_value_checks(x: torch.Tensor) -> bool:
    """True where a check on the values cannot or should not run: meta or fake tensors (no values),
    compiled graphs."""
    return _is_meta(x) or torch.compiler.is_compiling() or is_fake(x)


def _all_finite(x: torch.Tensor) -> bool:
    """``torch.isfinite(x).all()`` in two reductions and no temporary the size of ``x`` (max and min
    propagate NaN; an Inf is the max or the min)."""
    return bool(torch.isfinite(torch.stack([x.amax(), x.amin()])).all())


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
    if finite and floating and not _skip_value_checks(x) and x.numel() and not _all_finite(x):
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
    if not _skip_value_checks(mask) and bool(mask.all(dim=1).any()):
        rows = mask.all(dim=1).nonzero().flatten().tolist()
        raise ValueError(f"padding_mask marks every frame as padded in batch row(s) {rows}; "
                         "each sequence needs at least one valid (False) frame")
    return mask


def check_temperature(temperature) -> float:
    """Check a softmax temperature: a finite real number > 0."""
    return check_real(temperature, "temperature", 0, low_open=True)


def _interval(low, high, low_open: bool, high_open: bool) -> str:
    """'in [0, 1)', '> 0', '<= 5' or '' (no bounds)."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return ""


def check_real(value, name: str, low: float | None = None, high: float | None = None, *,
               low_open: bool = False, high_open: bool = False) -> float:
    """Check a finite real number (Python or NumPy; bools are rejected) in a range; returns it as a float.

    The range is ``[low, high]``; ``low_open``/``high_open`` exclude that end, a bound of None
    leaves that side open: ``check_real(p, "dropout", 0, 1, high_open=True)`` is ``0 <= p < 1``.
    """
    what = " ".join(filter(None, ("a finite number", _interval(low, high, low_open, high_open))))
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {value!r}")
    value = float(value)
    if (not math.isfinite(value)
            or (low is not None and (value <= low if low_open else value < low))
            or (high is not None and (value >= high if high_open else value > high))):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return value


def _to_numpy(x):
    """A torch tensor (detached, on the CPU) as numpy; anything else unchanged."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()  # numpy has no bfloat16
    return x


def check_frame_indices(frames, name: str, num_frames: int | None = None, *, integral: bool = True) -> np.ndarray:
    """Check frame indices: a 1-D array, list or tensor of ints in ``[0, num_frames - 1]``.

    Returns them as numpy int64 (``integral=False`` also admits fractional frame positions and
    returns float64). An empty sequence is valid (no frames); None is not.
    """
    kind = "ints" if integral else "numbers"
    what = f"a 1-D sequence of frame indices ({kind})"
    if frames is None or isinstance(frames, (str, bytes)) or np.isscalar(frames):
        raise TypeError(f"{name} must be {what}, got {type(frames).__name__} {frames!r}")
    array = np.asarray(_to_numpy(frames))
    if array.ndim != 1:
        raise ValueError(f"{name} must be {what}, got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64 if integral else np.float64)
    real = np.issubdtype(array.dtype, np.integer) or (not integral and np.issubdtype(array.dtype, np.floating))
    if not real:
        raise TypeError(f"{name} must be {what}, got dtype {array.dtype}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite frame indices, got {int((~np.isfinite(array)).sum())} NaN/Inf")
    low, high = array.min(), array.max()
    if low < 0 or (num_frames is not None and high > num_frames - 1):
        where = ">= 0" if num_frames is None else f"in [0, {num_frames - 1}] (a clip of {num_frames} frames)"
        raise ValueError(f"{name} must be frame indices {where}, got values from {low} to {high}")
    return array.astype(np.int64 if integral else np.float64, copy=False)


def as_numpy_poses(poses, name: str, *, dtype=np.float32) -> np.ndarray:
    """A pose array (numpy or torch, any shape) as a finite numpy array of ``dtype``.

    Accepts a numpy array or a torch tensor (detached, moved to the CPU) of real numbers;
    raises TypeError for other types or dtypes (bool, complex, object), ValueError for NaN/Inf.
    The caller checks the shape it needs.
    """
    array = _to_numpy(poses)
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or torch tensor of coordinates, got {type(poses).__name__}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers (float), got dtype {poses.dtype}")
    array = array.astype(dtype, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite coordinates, got {int((~np.isfinite(array)).sum())} NaN/Inf values")
    return array


def check_int(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """Check an integer (Python or NumPy; bools are rejected) in ``[low, high]``; returns it as an int."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"in [{low}, {high}]" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"<= {high}")
        raise ValueError(f"{name} must be {bounds}, got {value}")
    return int(value)


def check_bool(value, name: str) -> bool:
    """Check a Python bool (not 0/1, not a NumPy or tensor bool); returns it."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return value


def check_positive_int(value, name: str) -> int:
    """Check an integer > 0 (Python or NumPy ints; bools are rejected); returns it as an int."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int (> 0), got {value}")
    return int(value)
