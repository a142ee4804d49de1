"""Notebook 04's pictures and widgets: why sqrt(d_k), attention maps over the music, the cost in T^2.

Plain functions do the work (and return data or a matplotlib Figure); the two widgets only
wire sliders to them:

* ``softmax_saturation`` / ``plot_softmax_saturation`` / ``scaling_widget``: the softmax of
  q.k scores with and without the 1/sqrt(d_k) scale, for a growing d_k.
* ``plot_attention_map`` / ``mean_attention_distance`` / ``attention_map_widget``: the
  ``[layers, B, heads, T, T]`` maps of ``m2p_course.attention.attention_maps`` as heatmaps
  over the music's time axis, with the beats drawn in.
* ``plot_attention_memory``: the bytes of the attention matrices for T up to a whole song.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from ..attention import attention_memory_bytes
from ..checks import check_positive_int, check_real, check_tensor
from ..i18n import _
from ._panel import panel

__all__ = [
    "softmax_saturation",
    "saturation_curve",
    "plot_softmax_saturation",
    "scaling_widget",
    "mean_attention_distance",
    "attention_by_offset",
    "plot_attention_map",
    "attention_map_widget",
    "plot_attention_memory",
]

GIB = 1024 ** 3


# -----------------------------------------------------------------------------
# why divide by sqrt(d_k)


def softmax_saturation(d_k: int, num_keys: int = 16, scaled: bool = True, seed: int = 0) -> torch.Tensor:
    """The attention weights ``[num_keys]`` of one query over ``num_keys`` keys.

    q and the keys have independent N(0, 1) entries of dimension ``d_k``, so each score q.k
    has variance d_k; ``scaled`` divides the scores by sqrt(d_k) (variance 1) before the softmax.
    """
    check_positive_int(d_k, "d_k")
    check_positive_int(num_keys, "num_keys")
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(d_k, generator=generator)
    k = torch.randn(num_keys, d_k, generator=generator)
    scores = k @ q                                                      # [num_keys]
    if scaled:
        scores = scores / math.sqrt(d_k)
    return torch.softmax(scores, dim=-1)


def saturation_curve(d_ks: list[int], num_keys: int = 16, trials: int = 200, seed: int = 0):
    """Mean largest weight over ``trials`` random queries, for each of the n d_k: ``(unscaled [n], scaled [n])``.

    1 / num_keys means the weights are spread out; 1 means the softmax picked one key
    (saturated, with gradients near zero).
    """
    d_ks = [check_positive_int(d, "d_k") for d in d_ks]
    if not d_ks:
        raise ValueError("d_ks must hold at least one d_k, got an empty list")
    check_positive_int(trials, "trials")
    check_positive_int(num_keys, "num_keys")
    generator = torch.Generator().manual_seed(seed)
    unscaled, scaled = [], []
    for d_k in d_ks:
        q = torch.randn(trials, 1, d_k, generator=generator)
        k = torch.randn(trials, num_keys, d_k, generator=generator)
        scores = (q * k).sum(-1)                                        # [trials, num_keys]
        unscaled.append(torch.softmax(scores, -1).amax(-1).mean().item())
        scaled.append(torch.softmax(scores / math.sqrt(d_k), -1).amax(-1).mean().item())
    return np.array(unscaled), np.array(scaled)


def _softmax_gradient_size(weights: torch.Tensor) -> float:
    """Frobenius norm of the softmax's Jacobian diag(p) - p p^T: near 0 when saturated."""
    return torch.linalg.matrix_norm(torch.diag(weights) - torch.outer(weights, weights)).item()


def plot_softmax_saturation(d_k: int = 128, num_keys: int = 16, seed: int = 0):
    """Two bar charts of one query's weights over ``num_keys`` keys: raw scores vs scores / sqrt(d_k).

    Returns the Figure (the caller shows or closes it).
    """
    fig, axes = plt.subplots(1, 2, figsize=(8, 2.8), sharey=True)
    for ax, scaled in zip(axes, (False, True), strict=True):
        weights = softmax_saturation(d_k, num_keys, scaled, seed)
        ax.bar(range(num_keys), weights.numpy(), color="tab:orange" if not scaled else "tab:blue")
        title = "softmax(q.k / sqrt(d_k))" if scaled else "softmax(q.k)"
        ax.set_title(f"{title}\nlargest weight {weights.max():.2f}, "
                     f"softmax gradient size {_softmax_gradient_size(weights):.3f}", fontsize=9)
        ax.set_xlabel("key")
    axes[0].set_ylabel("attention weight")
    axes[0].set_ylim(0, 1.05)
    fig.suptitle(f"one query, {num_keys} keys, d_k = {d_k}", fontsize=10)
    fig.tight_layout()
    return fig


def scaling_widget(num_keys: int = 16) -> widgets.VBox:
    """A widget: choose d_k (and a random query) and see the softmax with and without the scale."""
    check_positive_int(num_keys, "num_keys")

    def show(d_k, seed):
        plot_softmax_saturation(d_k, num_keys, seed)
        plt.show()

    controls = {
        "d_k": widgets.Dropdown(options=[1, 4, 16, 64, 128, 512, 1024], value=128, description="d_k"),
        "seed": widgets.IntSlider(value=0, min=0, max=20, description=_("query #")),
    }
    return panel(show, controls, title=_("Why divide by sqrt(d_k)?"))


# -----------------------------------------------------------------------------
# attention maps over the music


def _check_maps(maps) -> torch.Tensor:
    check_tensor(maps, "maps", ndim=5)
    if maps.size(-1) != maps.size(-2):
        raise ValueError(f"maps must be [layers, B, heads, T, T] (square in the last two dims), "
                         f"got shape {tuple(maps.shape)}")
    return maps.detach().float().cpu()


def _check_index(value, size: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not 0 <= value < size:
        raise ValueError(f"{name} must be in 0..{size - 1}, got {value}")
    return int(value)


def mean_attention_distance(weights: torch.Tensor) -> torch.Tensor:
    """How far, in frames, each head looks on average: ``[..., T, T] -> [...]``.

    ``sum_j w[i, j] * |i - j|``, averaged over the query frames i.
    """
    check_tensor(weights, "weights", min_ndim=2)
    length = weights.size(-1)
    if weights.size(-2) != length:
        raise ValueError(f"weights must be square in the last two dims [..., T, T], got shape {tuple(weights.shape)}")
    positions = torch.arange(length, dtype=weights.dtype, device=weights.device)
    distance = (positions[:, None] - positions[None, :]).abs()          # [T, T]
    return (weights * distance).sum(-1).mean(-1)


def attention_by_offset(weights: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The mean weight a query gives to the frame ``offset`` frames away: ``[T, T] -> (offsets, mean)``.

    offsets run from -(T-1) to T-1 (key minus query); mean[o] averages w[i, i + o] over the
    queries i that have such a key.
    """
    check_tensor(weights, "weights", ndim=2)
    length = weights.size(-1)
    if weights.size(0) != length:
        raise ValueError(f"weights must be [T, T], got shape {tuple(weights.shape)}")
    w = weights.detach().float().cpu().numpy()
    offsets = np.arange(-(length - 1), length)
    return offsets, np.array([np.diagonal(w, offset=o).mean() for o in offsets])


def plot_attention_map(maps: torch.Tensor, layer: int = 0, head: int | None = 0, batch: int = 0,
                       fps: float = 30.0, beat_times=None, title: str | None = None):
    """Heatmap of one head's ``[T, T]`` weights (``head=None``: the mean over heads), time in seconds.

    maps ``[layers, B, heads, T, T]`` (from ``attention_maps``); beat_times (seconds) are drawn
    as thin lines; ``title`` replaces "layer l, head h". Right panel: the mean weight against
    the offset key - query, in frames. Returns the Figure.
    """
    maps = _check_maps(maps)
    layers, batch_size, heads, length, _ = maps.shape
    layer = _check_index(layer, layers, "layer")
    batch = _check_index(batch, batch_size, "batch")
    if head is None:
        weights, name = maps[layer, batch].mean(0), "mean of all heads"
    else:
        weights, name = maps[layer, batch, _check_index(head, heads, "head")], f"head {head}"
    check_real(fps, "fps", 0, low_open=True)

    fig, (ax, ax_off) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1.1, 1]})
    seconds = length / fps
    image = ax.imshow(weights.numpy(), origin="upper", cmap="magma", aspect="auto", interpolation="nearest",
                      extent=(0, seconds, seconds, 0))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
    if beat_times is not None:
        for beat in np.asarray(beat_times, dtype=float):
            if 0 <= beat <= seconds:
                ax.axvline(beat, color="white", lw=0.4, alpha=0.5)
                ax.axhline(beat, color="white", lw=0.4, alpha=0.5)
    ax.set_xlabel("key: frame attended to (s)")
    ax.set_ylabel("query: frame attending (s)")
    distance = mean_attention_distance(weights).item()
    title = title or f"layer {layer}, {name}"
    ax.set_title(f"{title}\nmean distance {distance:.1f} frames", fontsize=9)

    offsets, mean = attention_by_offset(weights)
    ax_off.plot(offsets, mean, lw=1)
    ax_off.axhline(1 / length, color="gray", ls="--", lw=0.8, label="uniform 1/T")
    ax_off.set_xlabel("offset: key frame - query frame")
    ax_off.set_ylabel("mean weight")
    ax_off.set_title("weight by distance", fontsize=9)
    ax_off.legend(fontsize=8)
    fig.tight_layout()
    return fig


def attention_map_widget(maps: torch.Tensor, fps: float = 30.0, beat_times=None) -> widgets.VBox:
    """A widget over ``maps [layers, B, heads, T, T]``: pick the layer, the head (or their mean), the clip."""
    maps = _check_maps(maps)
    layers, batch_size, heads = maps.shape[:3]

    def show(layer, head, batch):
        plot_attention_map(maps, layer, None if head == "mean" else head, batch, fps, beat_times)
        plt.show()

    controls = {
        "layer": widgets.IntSlider(value=0, min=0, max=layers - 1, description=_("layer")),
        "head": widgets.Dropdown(options=["mean", *range(heads)], value=0, description=_("head")),
        "batch": widgets.IntSlider(value=0, min=0, max=batch_size - 1, description=_("clip"),
                                   disabled=batch_size == 1),
    }
    return panel(show, controls, title=_("Attention maps: who looks at whom"))


# -----------------------------------------------------------------------------
# the cost in T^2


def plot_attention_memory(max_seconds: float = 180.0, fps: int = 30, heads: int = 8, layers: int = 6,
                          batches: tuple[int, ...] = (1, 8),
                          gpu_gib: tuple[tuple[str, float], ...] = (("Colab T4", 15.0), ("H100", 80.0))):
    """Attention-weight memory (float32) against the clip length, up to ``max_seconds`` of music.

    Lines: one layer for one clip, then all ``layers`` for each batch size in ``batches``
    (what training keeps for the backward pass), and dashed lines at the GPU sizes in
    ``gpu_gib``. Computed with ``attention_memory_bytes``, nothing allocated. Returns the Figure.
    """
    check_real(max_seconds, "max_seconds", 0, low_open=True)
    check_positive_int(fps, "fps")
    if not batches:
        raise ValueError("batches must hold at least one batch size, got an empty tuple")
    max_length = max(2, int(max_seconds * fps))
    lengths = np.unique(np.linspace(1, max_length, 200).astype(int))

    def gib(batch, n_layers):
        return np.array([attention_memory_bytes(int(t), batch, heads, n_layers) for t in lengths]) / GIB

    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(lengths / fps, gib(1, 1), label="one layer, B = 1")
    for batch in batches:
        ax.plot(lengths / fps, gib(batch, layers), label=f"all {layers} layers, B = {batch}")
    for name, size in gpu_gib:
        ax.axhline(size, color="gray", ls="--", lw=0.8)
        ax.text(0, size, f" {name}: {size:g} GiB", va="bottom", fontsize=8, color="gray")
    ax.set_xlabel(f"clip length (s at {fps} FPS)")
    ax.set_ylabel("GiB")
    ax.set_title(f"attention weights [B, {heads} heads, T, T] in float32: they grow as T^2", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, 0.9))
    fig.tight_layout()
    return fig
