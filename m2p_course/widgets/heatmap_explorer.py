"""Heatmap explorer (notebook 07): one joint's heatmap, its temperature and its soft-argmax.

The plain functions do the work (the tests and the notebook call them directly)::

    logits = toy_logits("two peaks", size=(16, 16), x=0.6, y=-0.2)   # [H, W] logits of one joint
    r = heatmap_readout(logits, temperature=1.0)        # probabilities, marginals, soft-argmax, argmax
    print(temperature_table(logits, [0.1, 1, 4]))       # how the estimate moves with the temperature
    fig = plot_heatmap(logits, 1.0); plt.show()         # the map, its marginal over x, both estimates
    print(heatmap_price_table())                        # what a spatial pose head of H x W costs

``heatmap_explorer_widget()`` wires a temperature slider (its first control, logarithmic from
0.05 to 5), the kind of map, the true position, the grid size and an argmax checkbox to them;
the sliders redraw when released (``continuous_update=False``), not at every step of a drag.

Coordinates follow the package's convention (``m2p_course.soft_argmax2d``, as kornia): x
first, then y; x grows to the right, y grows down; the centres of the corner cells are at
-1 and +1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from .. import (
    M2PEncoder,
    PoseHead,
    check_temperature,
    coordinate_grid,
    count_parameters,
    soft_argmax2d,
    spatial_softmax2d,
)
from ..i18n import _
from ._panel import panel

__all__ = ["MAP_KINDS", "toy_logits", "HeatmapReadout", "heatmap_readout", "temperature_sweep",
           "temperature_table", "plot_heatmap", "heatmap_price", "heatmap_price_table", "heatmap_explorer_widget"]

# The kinds of one-joint maps that toy_logits draws.
MAP_KINDS = ("one peak", "two peaks", "weak peak")


# -----------------------------------------------------------------------------
# input checks


def _check_size(size) -> tuple[int, int]:
    if not (isinstance(size, (tuple, list)) and len(size) == 2):
        raise TypeError(f"size must be a pair (H, W) of ints >= 2, got {size!r}")
    for n in size:
        if isinstance(n, bool) or not isinstance(n, Integral):
            raise TypeError(f"size must be a pair (H, W) of ints >= 2, got {size!r}")
        if n < 2:
            raise ValueError(f"size must be a pair (H, W) of ints >= 2 (a 1-cell axis has no position), got {size!r}")
    return int(size[0]), int(size[1])


def _check_number(value, name: str, low: float | None = None, high: float | None = None,
                  positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {type(value).__name__} {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return float(value)


def _check_logits(logits) -> torch.Tensor:
    """One joint's map: a finite floating-point tensor [H, W] with H, W >= 2."""
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits must be a torch.Tensor [H, W] (one joint's heatmap), got {type(logits).__name__}")
    if logits.dim() != 2:
        raise ValueError(f"logits must be one joint's map [H, W], got shape {tuple(logits.shape)}; "
                         "pick one, e.g. logits[b, t, joint]")
    if not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point tensor, got dtype {logits.dtype}")
    _check_size(tuple(logits.shape))
    if not bool(torch.isfinite(logits).all()):
        raise ValueError("logits contain NaN or Inf values")
    return logits.detach().float().cpu()


def _check_temperatures(temperatures) -> list[float]:
    if isinstance(temperatures, (str, bytes)) or not hasattr(temperatures, "__iter__"):
        raise TypeError(f"temperatures must be a list of positive numbers, got {type(temperatures).__name__}")
    values = [check_temperature(t) for t in temperatures]
    if not values:
        raise ValueError("temperatures must hold at least one temperature")
    return values


# -----------------------------------------------------------------------------
# one joint's map


def toy_logits(kind: str = "one peak", *, size: tuple[int, int] = (16, 16), x: float = 0.27, y: float = -0.42,
               height: float = 10.0, spread: float = 0.2) -> torch.Tensor:
    """The logits ``[H, W]`` of one joint's heatmap, as a trained pose head might give them.

    A Gaussian bump of ``height`` (in logits) and width ``spread`` (in normalised units) at
    ``(x, y)``, over a flat floor of 0, on a grid whose corner cell centres are at -1 and +1:

    * ``"one peak"``: the joint is at (x, y), anywhere (between cell centres too);
    * ``"two peaks"``: the model hesitates between (x, y) and its mirror (-x, y), which is
      0.5 lower (a left/right confusion);
    * ``"weak peak"``: the bump is only 1.5 high: an unsure (or untrained) model.
    """
    if kind not in MAP_KINDS:
        raise ValueError(f"kind must be one of {list(MAP_KINDS)}, got {kind!r}")
    h, w = _check_size(size)
    x = _check_number(x, "x", -1.0, 1.0)
    y = _check_number(y, "y", -1.0, 1.0)
    height = _check_number(height, "height", positive=True)
    spread = _check_number(spread, "spread", positive=True)
    xs, ys = coordinate_grid(h, w)
    gx, gy = xs[None, :], ys[:, None]                              # [1, W], [H, 1]

    def bump(cx: float, cy: float, top: float) -> torch.Tensor:
        return top * torch.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * spread ** 2))

    if kind == "one peak":
        return bump(x, y, height)
    if kind == "two peaks":
        return torch.maximum(bump(x, y, height), bump(-x, y, height - 0.5))
    return bump(x, y, 1.5)


@dataclass(frozen=True)
class HeatmapReadout:
    """What one joint's map says at one temperature (coordinates normalised, x first)."""

    temperature: float
    prob: torch.Tensor          # [H, W], sums to 1
    marginal_x: torch.Tensor    # [W]: prob summed over the rows
    marginal_y: torch.Tensor    # [H]: prob summed over the columns
    xs: torch.Tensor            # [W]: the x of each column, -1 ... +1
    ys: torch.Tensor            # [H]: the y of each row, -1 ... +1
    soft_xy: tuple[float, float]    # soft-argmax: the expected (x, y)
    argmax_xy: tuple[float, float]  # the centre of the most probable cell
    peak: float                 # the largest cell probability


def heatmap_readout(logits: torch.Tensor, temperature: float = 1.0) -> HeatmapReadout:
    """Softmax over the H x W cells of ``logits [H, W] / temperature``, its marginals, soft-argmax and argmax."""
    logits = _check_logits(logits)
    temperature = check_temperature(temperature)
    prob = spatial_softmax2d(logits, temperature)
    h, w = prob.shape
    xs, ys = coordinate_grid(h, w)
    soft = soft_argmax2d(logits, temperature)
    row, col = divmod(int(prob.flatten().argmax()), w)
    return HeatmapReadout(temperature, prob, prob.sum(0), prob.sum(1), xs, ys,
                          (float(soft[0]), float(soft[1])), (float(xs[col]), float(ys[row])), float(prob.max()))


def temperature_sweep(logits: torch.Tensor, temperatures) -> torch.Tensor:
    """The soft-argmax ``(x, y)`` of one map at each temperature: ``[len(temperatures), 2]``."""
    logits = _check_logits(logits)
    return torch.stack([soft_argmax2d(logits, t) for t in _check_temperatures(temperatures)])


def temperature_table(logits: torch.Tensor, temperatures, *, true_xy: tuple[float, float] | None = None) -> str:
    """A text table, one row per temperature: the peak probability, the soft-argmax and the argmax
    (and, with ``true_xy``, how far each lands from the true position, in cells of the x axis)."""
    logits = _check_logits(logits)
    temperatures = _check_temperatures(temperatures)
    if true_xy is not None:
        if not (isinstance(true_xy, (tuple, list)) and len(true_xy) == 2):
            raise TypeError(f"true_xy must be None or a pair (x, y), got {true_xy!r}")
        true_xy = (_check_number(true_xy[0], "true x"), _check_number(true_xy[1], "true y"))
    cell = 2.0 / (logits.shape[1] - 1)                              # the width of one cell, normalised
    header = f"{'temperature':>11}  {'peak prob':>9}  {'soft-argmax (x, y)':>18}  {'argmax (x, y)':>14}"
    if true_xy is not None:
        header += f"  {'soft error':>10}  {'argmax error':>12}"
    lines = [header, "-" * len(header)]
    for t in temperatures:
        r = heatmap_readout(logits, t)
        line = (f"{t:>11.3g}  {r.peak:>9.3f}  {_pair(r.soft_xy):>18}  {_pair(r.argmax_xy):>14}")
        if true_xy is not None:
            soft_err = math.dist(r.soft_xy, true_xy) / cell
            arg_err = math.dist(r.argmax_xy, true_xy) / cell
            line += f"  {soft_err:>5.2f} cell  {arg_err:>7.2f} cell"
        lines.append(line)
    return "\n".join(lines)


def _pair(xy: tuple[float, float]) -> str:
    return f"({xy[0]:+.2f}, {xy[1]:+.2f})".replace("-0.00", "+0.00")


def plot_heatmap(logits: torch.Tensor, temperature: float = 1.0, *, true_xy: tuple[float, float] | None = None,
                 show_argmax: bool = True) -> plt.Figure:
    """Two panels: the heatmap (softmax over the H x W cells) with its soft-argmax (and argmax,
    and the true position if given), and its marginal over x with E[x]. Returns the Figure
    (made with ``plt.subplots``: show or close it)."""
    r = heatmap_readout(logits, temperature)
    if true_xy is not None and not (isinstance(true_xy, (tuple, list)) and len(true_xy) == 2):
        raise TypeError(f"true_xy must be None or a pair (x, y), got {true_xy!r}")
    h, w = r.prob.shape
    dx, dy = 2.0 / (w - 1), 2.0 / (h - 1)
    fig, (ax_map, ax_x) = plt.subplots(1, 2, figsize=(7, 3), gridspec_kw={"width_ratios": [1, 1.3]})

    ax_map.imshow(r.prob.numpy(), cmap="magma", origin="upper",
                  extent=(-1 - dx / 2, 1 + dx / 2, 1 + dy / 2, -1 - dy / 2))   # y grows down
    # small, thin, hollow markers: the cell under them (often the brightest) stays visible
    ax_map.plot(*r.soft_xy, "x", color="cyan", ms=7, mew=1.5, label="soft-argmax")
    if show_argmax:
        ax_map.plot(*r.argmax_xy, "o", fillstyle="none", mec="lime", ms=7, mew=1, label="argmax")
    if true_xy is not None:
        ax_map.plot(*true_xy, "+", color="white", ms=7, mew=1, label="true")
    ax_map.set_title(f"{h} x {w} heatmap, temperature {temperature:.3g}", fontsize=9)
    ax_map.set_xlabel("x")
    ax_map.set_ylabel("y (down)")
    ax_map.legend(fontsize=7, loc="lower left", framealpha=0.6)

    ax_x.bar(r.xs.numpy(), r.marginal_x.numpy(), width=0.9 * dx, color="0.6", label="p(x): sum over rows")
    ax_x.axvline(r.soft_xy[0], color="C0", lw=2, label=f"E[x] = {r.soft_xy[0]:+.2f} (soft-argmax)")
    if show_argmax:
        ax_x.axvline(r.argmax_xy[0], color="C2", lw=1.5, ls="--", label=f"argmax x = {r.argmax_xy[0]:+.2f}")
    if true_xy is not None:
        ax_x.axvline(true_xy[0], color="k", lw=1, ls=":", label=f"true x = {true_xy[0]:+.2f}")
    ax_x.set_xlim(-1 - dx, 1 + dx)
    ax_x.set_title(f"marginal over x (peak cell probability {r.peak:.2f})", fontsize=9)
    ax_x.set_xlabel("x")
    ax_x.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


# -----------------------------------------------------------------------------
# the price of a spatial pose head


def heatmap_price(heatmap_size: tuple[int, int] | None, *, hidden_dim: int = 1024, pose_channels: int = 134,
                  frames: int = 5400) -> dict[str, int]:
    """What a pose head with ``heatmap_size`` costs (None = the guide's ``[B, T, 134]`` head).

    Returns ``{"last_layer": ..., "pose_head": ..., "model": ...}`` parameter counts (counted on
    the meta device from the package's ``PoseHead`` and ``M2PEncoder``) and ``"logits_bytes"``:
    the float32 pose logits of one clip of ``frames`` frames (5400 = 3 minutes at 30 FPS).
    """
    if isinstance(frames, bool) or not isinstance(frames, Integral) or frames < 1:
        raise ValueError(f"frames must be an int >= 1, got {frames!r}")
    with torch.device("meta"):
        head = PoseHead(hidden_dim, pose_channels, heatmap_size=heatmap_size)
        model = M2PEncoder(hidden_dim=hidden_dim, pose_channels=pose_channels, heatmap_size=heatmap_size)
    cells = 1 if heatmap_size is None else head.heatmap_size[0] * head.heatmap_size[1]
    return {"last_layer": count_parameters(head[-1]), "pose_head": count_parameters(head),
            "model": count_parameters(model), "logits_bytes": int(frames) * pose_channels * cells * 4}


def heatmap_price_table(sizes=(None, (8, 8), (16, 16), (32, 32), (64, 64)), *, hidden_dim: int = 1024,
                        pose_channels: int = 134, frames: int = 5400) -> str:
    """A text table of ``heatmap_price`` for several heatmap sizes (None = the guide's head)."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a list of None or (H, W) pairs, got {type(sizes).__name__}")
    sizes = list(sizes)
    if not sizes:
        raise ValueError("sizes must hold at least one heatmap size")
    header = f"{'heatmap_size':<14}{'last layer':>14}{'pose head':>14}{'whole model':>14}{'logits/clip':>13}"
    lines = [header, "-" * len(header)]
    for size in sizes:
        p = heatmap_price(size, hidden_dim=hidden_dim, pose_channels=pose_channels, frames=frames)
        name = "None (guide)" if size is None else f"{size[0]} x {size[1]}"
        lines.append(f"{name:<14}{p['last_layer']:>14,}{p['pose_head']:>14,}{p['model']:>14,}"
                     f"{_megabytes(p['logits_bytes']):>13}")
    return "\n".join(lines)


def _megabytes(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


# -----------------------------------------------------------------------------
# the widget


def heatmap_explorer_widget(*, size: int = 16, x: float = 0.27, y: float = -0.42) -> widgets.VBox:
    """A widget over ``plot_heatmap`` and ``temperature_table``: move the temperature (first
    control), pick the kind of map, move the true x, change the grid, show or hide the argmax."""
    if isinstance(size, bool) or not isinstance(size, Integral) or not 4 <= size <= 32:
        raise ValueError(f"size must be an int in 4..32, got {size!r}")
    x = _check_number(x, "x", -1.0, 1.0)
    y = _check_number(y, "y", -1.0, 1.0)

    def show(temperature: float, kind: str, true_x: float, cells: int, argmax: bool) -> None:
        logits = toy_logits(kind, size=(cells, cells), x=true_x, y=y)
        plot_heatmap(logits, temperature, true_xy=(true_x, y), show_argmax=argmax)
        plt.show()
        print(temperature_table(logits, [temperature], true_xy=(true_x, y)))

    controls = {
        # logarithmic: 10 ** -1.3 = 0.05 ... 10 ** 0.7 = 5, as much room for 0.05 ... 0.5 as for 0.5 ... 5
        "temperature": widgets.FloatLogSlider(value=1.0, base=10, min=-1.3, max=0.7, step=0.02,
                                              description=_("temperature"), continuous_update=False),
        "kind": widgets.Dropdown(options=list(MAP_KINDS), value="one peak", description=_("map")),
        "true_x": widgets.FloatSlider(value=x, min=-1.0, max=1.0, step=0.01, description=_("true x"),
                                      continuous_update=False),
        "cells": widgets.IntSlider(value=size, min=4, max=32, step=1, description="H = W", continuous_update=False),
        "argmax": widgets.Checkbox(value=True, description=_("show the argmax")),
    }
    return panel(show, controls, title=_("Heatmap explorer: temperature, soft-argmax and argmax"))
