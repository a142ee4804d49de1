"""Batch explorer: songs of different lengths in one batch, the padding they need, and its memory.

The guide says B and T are free; a real batch holds songs of different lengths, zero-padded to
the longest (``pad_collate``) with a padding mask [B, T_max] (True = padded frame). Padding
costs: every padded frame goes through the whole model, and the attention matrices grow with
T_max squared. The plain functions do the work (the tests and the notebook call them)::

    lengths = clip_lengths(batch=4, shortest=2, longest=8)   # [60, 120, 180, 240] frames
    mask = lengths_to_mask(lengths)                           # [4, 240] bool, True = padded
    memory = batch_memory(lengths)                            # the padded batch vs no padding
    print(batch_table(lengths))
    fig = plot_batch(lengths); plt.show()                     # the mask and the memory bars

``batch_explorer_widget()`` wires the longest and shortest clip, the number of clips and a
training switch to them. All memory numbers are computed from shapes (float32, rough), never
allocated, so any size is instant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from ..i18n import _
from ._panel import panel

__all__ = ["MemoryRow", "BatchMemory", "clip_lengths", "lengths_to_mask", "batch_memory", "batch_table",
           "plot_batch", "batch_explorer_widget"]

BYTES_PER_FLOAT32 = 4


# -----------------------------------------------------------------------------
# checks

def _int(value, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value}")
    return int(value)


def _seconds(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a number of seconds > 0, got {value}")
    return float(value)


def _lengths(lengths) -> list[int]:
    """A non-empty list/tuple/1-D tensor/array of ints >= 1 -> a list of ints."""
    if isinstance(lengths, (torch.Tensor, np.ndarray)):
        integer = (not lengths.dtype.is_floating_point and not lengths.dtype.is_complex
                   and lengths.dtype != torch.bool) if isinstance(lengths, torch.Tensor) else lengths.dtype.kind in "iu"
        if lengths.ndim != 1 or not integer:
            raise TypeError(f"lengths must be a 1-D sequence of ints (frames per clip), got "
                            f"{type(lengths).__name__} of dtype {lengths.dtype} and shape {tuple(lengths.shape)}")
        lengths = lengths.tolist()
    if not isinstance(lengths, (list, tuple)):
        raise TypeError(f"lengths must be a list of ints (frames per clip), got {type(lengths).__name__}")
    if not lengths:
        raise ValueError("lengths must hold at least one clip length, got an empty list")
    return [_int(n, f"lengths[{i}]") for i, n in enumerate(lengths)]


# -----------------------------------------------------------------------------
# lengths and the padding mask

def clip_lengths(batch: int, shortest: float, longest: float, fps: int = 30) -> list[int]:
    """The lengths in frames of ``batch`` clips, evenly spaced from ``shortest`` to ``longest`` seconds.

    ``clip_lengths(4, 2, 8) == [60, 120, 180, 240]`` at 30 FPS; one clip is ``longest`` seconds.
    Each length is ``round(seconds * fps)``, at least 1 frame.
    """
    batch = _int(batch, "batch")
    shortest, longest = _seconds(shortest, "shortest"), _seconds(longest, "longest")
    fps = _int(fps, "fps")
    if shortest > longest:
        raise ValueError(f"shortest must be <= longest, got shortest={shortest:g} s and longest={longest:g} s")
    if batch == 1:
        return [max(1, round(longest * fps))]
    step = (longest - shortest) / (batch - 1)
    return [max(1, round((shortest + k * step) * fps)) for k in range(batch)]


def lengths_to_mask(lengths) -> torch.Tensor:
    """The padding mask of a batch padded to its longest clip: ``[B, T_max]`` bool, True = padded.

    Row b is False for its ``lengths[b]`` real frames and True after them, the convention of
    ``pad_collate`` and of ``M2PEncoder(..., padding_mask=...)``.
    """
    lengths = torch.tensor(_lengths(lengths))
    return torch.arange(int(lengths.max()))[None, :] >= lengths[:, None]


# -----------------------------------------------------------------------------
# memory

@dataclass(frozen=True)
class MemoryRow:
    """One tensor of the forward pass: its name, its shape in letters, and its size in bytes
    for the padded batch and for the same clips with no padding (each with its own T)."""

    name: str
    shape: str
    padded: int
    unpadded: int

    @property
    def wasted(self) -> int:
        """Bytes spent on padded frames: ``padded - unpadded``."""
        return self.padded - self.unpadded


@dataclass(frozen=True)
class BatchMemory:
    """What ``batch_memory`` returns: the clip lengths, T_max, and one ``MemoryRow`` per tensor."""

    lengths: tuple[int, ...]
    t_max: int
    rows: tuple[MemoryRow, ...]
    training: bool

    @property
    def padded_frames(self) -> int:
        """Frames of padding in the batch: ``B x T_max - sum(lengths)``."""
        return len(self.lengths) * self.t_max - sum(self.lengths)

    @property
    def padded_fraction(self) -> float:
        """The share of the batch's frames that are padding, in [0, 1)."""
        return self.padded_frames / (len(self.lengths) * self.t_max)

    @property
    def total_padded(self) -> int:
        return sum(row.padded for row in self.rows)

    @property
    def total_unpadded(self) -> int:
        return sum(row.unpadded for row in self.rows)


def batch_memory(lengths, *, hidden_dim: int = 1024, num_heads: int = 8, num_layers: int = 6,
                 music_input_dim: int = 4800, dim_feedforward: int | None = None,
                 training: bool = False) -> BatchMemory:
    """A rough float32 memory count of the activations, the padded batch vs no padding.

    Rows (B clips padded to T = T_max; "unpadded" sums the same over the clips, each with its
    own T, as if no frame were padded):

    * music features ``[B, T, music_input_dim]``
    * hidden states ``[B, T, hidden_dim]``
    * feed-forward ``[B, T, dim_feedforward]`` (default 4 x hidden_dim)
    * attention weights ``[B, heads, T, T]``

    At inference (``training=False``) a layer's tensors can be freed once the next layer has
    them, so the last three rows count one layer; training keeps every layer's for the
    backward pass, so they count ``num_layers``. Computed from shapes, never allocated; the
    weights (356 MB for the guide's model) come on top.
    """
    lengths = _lengths(lengths)
    hidden_dim = _int(hidden_dim, "hidden_dim")
    num_heads = _int(num_heads, "num_heads")
    num_layers = _int(num_layers, "num_layers")
    music_input_dim = _int(music_input_dim, "music_input_dim")
    dim_feedforward = 4 * hidden_dim if dim_feedforward is None else _int(dim_feedforward, "dim_feedforward")
    if not isinstance(training, bool):
        raise TypeError(f"training must be True or False, got {type(training).__name__} {training!r}")

    t_max, batch = max(lengths), len(lengths)
    layers = num_layers if training else 1
    per_layer = f" x {num_layers} layers" if training else ", one layer"

    def row(name: str, shape: str, per_frame: int = 0, per_frame_pair: int = 0, times: int = 1) -> MemoryRow:
        def size(b: int, t: int) -> int:
            return times * BYTES_PER_FLOAT32 * b * (per_frame * t + per_frame_pair * t * t)
        return MemoryRow(name, shape, size(batch, t_max), sum(size(1, t) for t in lengths))

    rows = (
        row("music features", f"[B, T, {music_input_dim}]", per_frame=music_input_dim),
        row("hidden states" + per_layer, f"[B, T, {hidden_dim}]", per_frame=hidden_dim, times=layers),
        row("feed-forward" + per_layer, f"[B, T, {dim_feedforward}]", per_frame=dim_feedforward, times=layers),
        row("attention" + per_layer, f"[B, {num_heads}, T, T]", per_frame_pair=num_heads, times=layers),
    )
    return BatchMemory(tuple(lengths), t_max, rows, training)


def _fmt(n: int) -> str:
    """Bytes in binary units, three significant digits: 1536 -> '1.50 KiB', 11534336 -> '11.0 MiB'."""
    if n < 1024:
        return f"{n} B"
    value, unit = n / 1024, "KiB"
    for bigger in ("MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {unit}"


def batch_table(lengths, *, fps: int = 30, **sizes) -> str:
    """The text the explorer shows: each clip's length and padding, then ``batch_memory``'s rows.

    ``sizes``: the keyword arguments of ``batch_memory`` (hidden_dim, num_heads, ..., training).
    """
    fps = _int(fps, "fps")
    memory = batch_memory(lengths, **sizes)
    b, t_max = len(memory.lengths), memory.t_max
    lines = [_("B = {b} clips padded to T_max = {t_max} frames ({seconds:.1f} s at {fps} FPS): the batch is "
               "[{b}, {t_max}, ...]").format(b=b, t_max=t_max, seconds=t_max / fps, fps=fps)]
    width = len(str(b - 1))                               # clip numbers right-aligned: "clip  9:", "clip 10:"
    for k, n in enumerate(memory.lengths):
        lines.append(_("  clip {k}: {n:5d} frames ({seconds:5.1f} s) + {padded:5d} padded").format(
            k=f"{k:>{width}}", n=n, seconds=n / fps, padded=t_max - n))
    lines.append(_("padding: {padded:,} of {frames:,} frames ({fraction:.0%})").format(
        padded=memory.padded_frames, frames=b * t_max, fraction=memory.padded_fraction))
    lines.append("")
    header = f"{'tensor':<30} {'shape':<19} {'padded batch':>12} {'no padding':>12} {'wasted':>10}"
    lines += [header, "-" * len(header)]
    for r in memory.rows:
        lines.append(f"{r.name:<30} {r.shape:<19} {_fmt(r.padded):>12} {_fmt(r.unpadded):>12} {_fmt(r.wasted):>10}")
    lines.append("-" * len(header))
    lines.append(f"{'total (float32, rough)':<30} {'':<19} {_fmt(memory.total_padded):>12} "
                 f"{_fmt(memory.total_unpadded):>12} {_fmt(memory.total_padded - memory.total_unpadded):>10}")
    return "\n".join(lines)


def plot_batch(lengths, *, fps: int = 30, **sizes) -> plt.Figure:
    """Two panels: the padding mask (clips x frames; real frames dark, padding light) and the
    memory of each row of ``batch_memory``, padded batch vs no padding (linear scale).
    Returns the Figure (made with ``plt.subplots``: show or close it)."""
    fps = _int(fps, "fps")
    memory = batch_memory(lengths, **sizes)
    mask = lengths_to_mask(list(memory.lengths)).numpy()
    fig, (ax_mask, ax_mem) = plt.subplots(1, 2, figsize=(9, 3), gridspec_kw={"width_ratios": [1, 1]})

    ax_mask.imshow(~mask, aspect="auto", cmap="Blues", vmin=-0.4, vmax=1.0, interpolation="nearest",
                   extent=(0, memory.t_max / fps, len(mask) - 0.5, -0.5))
    ax_mask.set_title(f"padding mask [{len(mask)}, {memory.t_max}]: dark = real frames, light = "
                      f"padding ({memory.padded_fraction:.0%})", fontsize=9)
    ax_mask.set_xlabel("time (s)")
    ax_mask.set_ylabel("clip")
    ax_mask.set_yticks(range(len(mask)) if len(mask) <= 16 else [])

    names = [r.name.replace(", one layer", "\n(one layer)").replace(" x ", "\nx ") for r in memory.rows]
    y = np.arange(len(memory.rows))
    biggest = max(r.padded for r in memory.rows)
    unit, scale = ("GiB", 1024 ** 3) if biggest >= 1024 ** 3 else ("MiB", 1024 ** 2)
    padded = ax_mem.barh(y - 0.2, [r.padded / scale for r in memory.rows], height=0.4, color="#c44e52",
                         label="padded batch")
    ax_mem.barh(y + 0.2, [r.unpadded / scale for r in memory.rows], height=0.4, color="#4c72b0", label="no padding")
    ax_mem.bar_label(padded, labels=[_fmt(r.padded) for r in memory.rows], padding=2, fontsize=7)
    ax_mem.set_yticks(y, names, fontsize=7)
    ax_mem.invert_yaxis()
    ax_mem.set_xlim(0, biggest / scale * 1.3)
    ax_mem.set_xlabel(f"{unit} (float32, rough)", loc="left")
    mode = "training" if memory.training else "inference"
    ax_mem.set_title(f"{mode}: {_fmt(memory.total_padded)} padded, {_fmt(memory.total_unpadded)} without padding",
                     fontsize=9)
    ax_mem.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1.0, -0.1), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def batch_explorer_widget(longest: int = 8, shortest: int = 2, batch: int = 4, training: bool = False,
                          fps: int = 30) -> widgets.VBox:
    """A widget over ``plot_batch`` and ``batch_table`` for the guide's model.

    Controls: the longest clip (whole seconds, 1 to 180 = three minutes), the shortest clip (the
    two are swapped if the shortest is longer), the number of clips B (1 to 16; their lengths are
    spread evenly from the shortest to the longest, ``clip_lengths``), and inference/training.
    The sliders redraw when released. Returns the VBox to display.
    """
    for value, name, high in ((longest, "longest", 180), (shortest, "shortest", 180), (batch, "batch", 16)):
        if _int(value, name) > high:                      # fail now, not inside the widget
            raise ValueError(f"{name} must be an int in [1, {high}] (the slider's range), got {value}")
    fps = _int(fps, "fps")
    if not isinstance(training, bool):
        raise TypeError(f"training must be True or False, got {type(training).__name__} {training!r}")

    def show(longest: int, shortest: int, batch: int, training: bool) -> None:
        lo, hi = sorted((shortest, longest))
        lengths = clip_lengths(batch, lo, hi, fps)
        plot_batch(lengths, fps=fps, training=training)
        plt.show()
        print(batch_table(lengths, fps=fps, training=training))

    # continuous_update=False: redraw when a slider is released, not for every value it passes while dragged
    controls = {
        "longest": widgets.IntSlider(value=longest, min=1, max=180, description=_("longest (s)"),
                                     continuous_update=False),
        "shortest": widgets.IntSlider(value=shortest, min=1, max=180, description=_("shortest (s)"),
                                      continuous_update=False),
        "batch": widgets.IntSlider(value=batch, min=1, max=16, description=_("clips B"), continuous_update=False),
        "training": widgets.Checkbox(value=training, description=_("training (keep every layer)")),
    }
    return panel(show, controls, title=_("Batch explorer: songs of different lengths, padded to the longest"))
