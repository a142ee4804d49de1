"""Projection explorer: follow a batch of music features through the MusicProjection, layer by layer.

The plain functions do the work (the tests and the notebook call them directly)::

    stages = projection_stages(projection, features)       # {"input": x, "Linear 1": ..., ...}
    print(stage_table(stages))                               # statistics of every stage
    fig = plot_stage(stages, "LayerNorm 1"); plt.show()      # histogram + per-frame mean/std

``projection_explorer_widget(features)`` wires a stage menu, a train/eval switch, the dropout
probability and an overlay checkbox to them.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from torch import nn

from ..checks import check_real, check_tensor
from ..i18n import _
from ..projection import MusicProjection
from ._panel import panel

__all__ = ["STAGE_NAMES", "projection_stages", "stage_table", "plot_stage", "projection_explorer_widget"]

# The output of each layer of MusicProjection, in order ("input" = the music features).
STAGE_NAMES = ("input", "Linear 1", "LayerNorm 1", "GELU 1", "Dropout 1",
               "Linear 2", "LayerNorm 2", "GELU 2", "Dropout 2")


def _dropout(h: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Training-mode dropout with its own generator: keep each value with probability 1 - p, scale by 1/(1-p)."""
    keep = torch.rand(h.shape, generator=generator) >= p
    return h * (keep.to(h.device) / (1.0 - p))


@torch.no_grad()
def projection_stages(projection: MusicProjection, features: torch.Tensor, *, train: bool = False,
                      dropout: float | None = None, seed: int = 0) -> dict[str, torch.Tensor]:
    """The activation after every layer of ``projection``, in order (keys: ``STAGE_NAMES``).

    features: ``[B, T, input_dim]`` or ``[T, input_dim]`` (treated as B = 1).
    Returns ``{stage: tensor [B, T, width]}``: widths input_dim, then 2*hidden four times, then
    hidden four times. ``train``: dropout is active, with masks drawn from a private generator
    seeded with ``seed`` (so the same call gives the same numbers and the global random state
    is untouched); ``dropout`` overrides the modules' probability (None keeps theirs). In eval
    mode the Dropout stages equal the GELU stages before them.
    """
    if not isinstance(projection, MusicProjection):
        raise TypeError(f"projection must be an m2p_course.MusicProjection, got {type(projection).__name__}")
    check_tensor(features, "features", floating=True)
    if features.dim() == 2:
        features = features.unsqueeze(0)
    if features.dim() != 3:
        raise ValueError(f"features must be [B, T, {projection.input_dim}] or [T, {projection.input_dim}], "
                         f"got shape {tuple(features.shape)}")
    if features.size(-1) != projection.input_dim:
        raise ValueError(f"Expected music features dimension {projection.input_dim}, got {features.size(-1)}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if dropout is not None:
        dropout = check_real(dropout, "dropout", 0, 1, high_open=True)

    generator = torch.Generator().manual_seed(seed)
    stages = {"input": features}
    h = features
    for name, layer in zip(STAGE_NAMES[1:], projection, strict=True):
        if isinstance(layer, nn.Dropout):
            p = layer.p if dropout is None else dropout
            h = _dropout(h, p, generator) if train and p > 0 else h
        else:
            h = layer(h)
        stages[name] = h
    return stages


def _check_stages(stages) -> None:
    if not isinstance(stages, dict) or not stages:
        raise TypeError(f"stages must be the dict returned by projection_stages, got {type(stages).__name__}")
    for name, value in stages.items():
        if not isinstance(value, torch.Tensor) or value.dim() != 3:
            raise ValueError(f"stage {name!r} must be a [B, T, width] tensor, got "
                             f"{tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__}")


def stage_table(stages: dict[str, torch.Tensor]) -> str:
    """A text table with one row per stage: shape, mean, std, min, max, % exact zeros, % negative,
    and the range of the per-frame standard deviation (each frame = the vector of one time step)."""
    _check_stages(stages)
    header = f"{'stage':<12} {'shape':<17} {'mean':>7} {'std':>6} {'min':>7} {'max':>7} " \
             f"{'zeros':>6} {'neg':>6}  {'per-frame std':>13}"
    lines = [header, "-" * len(header)]
    for name, h in stages.items():
        h = h.detach().float().cpu()
        frame_std = h.std(dim=-1, correction=0).flatten()
        shape = "[" + ", ".join(map(str, h.shape)) + "]"
        lines.append(f"{name:<12} {shape:<17} {h.mean():7.3f} {h.std():6.3f} {h.min():7.2f} {h.max():7.2f} "
                     f"{(h == 0).float().mean():6.1%} {(h < 0).float().mean():6.1%}  "
                     f"{frame_std.min():5.2f}..{frame_std.max():<5.2f}")
    return "\n".join(lines)


def plot_stage(stages: dict[str, torch.Tensor], stage: str, *, overlay_previous: bool = True,
               bins: int = 80) -> plt.Figure:
    """Two panels for one stage: the histogram of all its values (with the stage before it in
    grey when ``overlay_previous``) and its per-frame mean and standard deviation over time
    (batch row 0). Returns the Figure (made with ``plt.subplots``: show or close it)."""
    _check_stages(stages)
    if stage not in stages:
        raise ValueError(f"stage must be one of {list(stages)}, got {stage!r}")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an int >= 2, got {bins!r}")
    names = list(stages)
    h = stages[stage].detach().float().cpu()
    fig, (ax_hist, ax_time) = plt.subplots(1, 2, figsize=(9, 3), gridspec_kw={"width_ratios": [3, 2]})

    previous = names[names.index(stage) - 1] if names.index(stage) > 0 else None
    if overlay_previous and previous is not None:
        ax_hist.hist(stages[previous].detach().float().cpu().flatten().numpy(), bins=bins, density=True,
                     color="0.75", label=f"before: {previous}")
    ax_hist.hist(h.flatten().numpy(), bins=bins, density=True, histtype="step", lw=1.5, color="C0", label=stage)
    ax_hist.set_title(f"{stage}: values  (mean {h.mean():.2f}, std {h.std():.2f}, zeros {(h == 0).float().mean():.0%})",
                      fontsize=9)
    ax_hist.set_xlabel("activation value")
    ax_hist.set_ylabel("density")
    ax_hist.legend(fontsize=8)

    frames = h[0]                                             # [T, width]
    t = torch.arange(frames.size(0)).numpy()
    ax_time.plot(t, frames.mean(dim=-1).numpy(), label="mean of the frame")
    ax_time.plot(t, frames.std(dim=-1, correction=0).numpy(), label="std of the frame")
    ax_time.axhline(0, color="0.6", lw=0.5)
    ax_time.set_title(f"each frame's {frames.size(-1)} values", fontsize=9)
    ax_time.set_xlabel("frame t")
    ax_time.legend(fontsize=8)
    fig.tight_layout()
    return fig


def projection_explorer_widget(features: torch.Tensor, projection: MusicProjection | None = None, *,
                        seed: int = 0) -> widgets.VBox:
    """A widget over ``projection_stages``: pick a stage, train or eval, the dropout p, the overlay.

    features: ``[B, T, D]`` or ``[T, D]``. projection: a ``MusicProjection`` with input_dim D
    (None builds the guide's one, D -> 2048 -> 1024, from ``seed``). Returns the VBox to display.
    """
    if projection is None:
        check_tensor(features, "features")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            projection = MusicProjection(input_dim=features.size(-1))
    projection_stages(projection, features[..., :1, :], seed=seed)   # fail now, not inside the widget

    def show(stage: str, mode: str, p: float, overlay: bool) -> None:
        stages = projection_stages(projection, features, train=(mode == "train"), dropout=p, seed=seed)
        plot_stage(stages, stage, overlay_previous=overlay)
        plt.show()
        print(stage_table({name: stages[name] for name in ("input", stage)}))

    controls = {
        "stage": widgets.Dropdown(options=list(STAGE_NAMES), value="LayerNorm 1", description=_("stage")),
        "mode": widgets.ToggleButtons(options=["eval", "train"], value="eval", description=_("mode")),
        "p": widgets.FloatSlider(value=0.1, min=0.0, max=0.9, step=0.05, description=_("dropout p")),
        "overlay": widgets.Checkbox(value=True, description=_("show the stage before")),
    }
    return panel(show, controls, title=_("Music projection explorer: the activations after each layer"))
