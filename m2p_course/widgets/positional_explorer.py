"""Positional explorer: the sinusoidal table, its wavelengths and the similarity between positions.

The plain functions do the work (the tests and the notebook call them directly)::

    wavelengths(1024)                        # [512] frames per cycle of each sin/cos pair
    similarity_matrix(200, 1024)             # [200, 200] cosine similarity of PE[s] and PE[t]
    describe_dims(1024, 0, 64)               # a few lines of text: which dims, which wavelengths
    fig = plot_positional(200, 1024, 0, 64, view="table"); plt.show()

``positional_explorer_widget()`` wires sliders for d_model, T and the dims shown, and a view switch.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from ..checks import check_positive_int, check_real
from ..i18n import _
from ..positional import positional_encoding
from ._panel import panel

__all__ = ["VIEWS", "wavelengths", "similarity_matrix", "describe_dims", "plot_positional",
           "positional_explorer_widget"]

VIEWS = ("table", "curves", "similarity")
MAX_CURVES = 6          # more lines than this on one axis is a tangle


def wavelengths(d_model: int, base: float = 10000.0) -> torch.Tensor:
    """Frames per cycle of every sin/cos pair: ``[ceil(d_model / 2)]`` float64,
    ``2 * pi * base ** (2i / d_model)``, from 2*pi (pair 0) up to almost ``2 * pi * base``."""
    check_positive_int(d_model, "d_model")
    check_real(base, "base", 1, low_open=True)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)
    return 2 * math.pi * base ** (two_i / d_model)


def similarity_matrix(length: int, d_model: int, first_dim: int = 0, num_dims: int | None = None) -> torch.Tensor:
    """Cosine similarity between the encodings of every two positions: ``[length, length]`` float64,
    ``S[s, t] = PE[s] . PE[t] / (|PE[s]| |PE[t]|)`` over dims ``first_dim .. first_dim + num_dims - 1``
    (None: all of them). With whole sin/cos pairs every row has norm sqrt(pairs), the diagonal is 1
    and S depends only on t - s; a window of sin dims alone is 0 at t = 0, and so is that row of S."""
    check_positive_int(length, "length")
    num_dims = _check_dims(d_model, first_dim, num_dims)
    pe = positional_encoding(length, d_model)[:, first_dim:first_dim + num_dims].double()
    pe = pe / pe.norm(dim=-1, keepdim=True).clamp_min(1e-12)     # a lone sin dim is 0 at t = 0
    return pe @ pe.T


def _check_dims(d_model: int, first_dim: int, num_dims: int | None) -> int:
    """Check a window of dims inside the table; return num_dims (None: up to the last dim)."""
    check_positive_int(d_model, "d_model")
    if isinstance(first_dim, bool) or not isinstance(first_dim, int) or not 0 <= first_dim < d_model:
        raise ValueError(f"first_dim must be an int in [0, {d_model - 1}] for d_model={d_model}, got {first_dim!r}")
    if num_dims is None:
        return d_model - first_dim
    check_positive_int(num_dims, "num_dims")
    if first_dim + num_dims > d_model:
        raise ValueError(f"dims {first_dim}..{first_dim + num_dims - 1} do not fit in d_model={d_model} "
                         f"(the last dim is {d_model - 1})")
    return num_dims


def describe_dims(d_model: int, first_dim: int = 0, num_dims: int | None = None, fps: float = 30.0) -> str:
    """Text: the dims ``first_dim .. first_dim + num_dims - 1`` (None: to the last) and their
    wavelengths in frames and in seconds at ``fps``."""
    num_dims = _check_dims(d_model, first_dim, num_dims)
    fps = check_real(fps, "fps", 0, low_open=True)
    waves = wavelengths(d_model)
    last = first_dim + num_dims - 1
    short, long = waves[first_dim // 2].item(), waves[last // 2].item()
    return "\n".join([
        _("d_model={d_model}: dims {first}..{last} (sin on even dims, cos on odd dims)").format(
            d_model=d_model, first=first_dim, last=last),
        _("wavelengths {short:,.1f} .. {long:,.1f} frames = {short_s:,.2f} .. {long_s:,.1f} s at {fps:g} fps").format(
            short=short, long=long, short_s=short / fps, long_s=long / fps, fps=fps),
        _("whole table: {shortest:.2f} .. {longest:,.0f} frames").format(
            shortest=waves[0].item(), longest=waves[-1].item())])


def _spread_dims(first_dim: int, num_dims: int) -> list[int]:
    """At most MAX_CURVES dims evenly spread over the window, first and last included."""
    count = min(num_dims, MAX_CURVES)
    if count == 1:
        return [first_dim]
    return sorted({first_dim + round(k * (num_dims - 1) / (count - 1)) for k in range(count)})


def plot_positional(length: int, d_model: int, first_dim: int = 0, num_dims: int | None = None,
                    view: str = "table") -> plt.Figure:
    """One picture of the ``[length, d_model]`` table, restricted to dims ``first_dim ..
    first_dim + num_dims - 1`` (``num_dims`` None: up to the last dim):

    - ``"table"``: the slice as heatmaps (positions down, dims across), its sin dims and its cos
      dims side by side (interleaved in one picture, neighbouring sin and cos columns alias);
    - ``"curves"``: at most 6 dims spread evenly over the slice, as curves over position;
    - ``"similarity"``: the cosine similarity of every two positions over the slice, and one row of it.
    Returns the Figure (made with ``plt.subplots``: show or close it).
    """
    check_positive_int(length, "length")
    num_dims = _check_dims(d_model, first_dim, num_dims)
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    if view == "table":
        pe = positional_encoding(length, d_model)
        parts = [(name, [d for d in range(first_dim, first_dim + num_dims) if d % 2 == parity])
                 for name, parity in (("sin dims (even)", 0), ("cos dims (odd)", 1))]
        parts = [(name, kept) for name, kept in parts if kept]
        fig, axes = plt.subplots(1, len(parts), figsize=(7, 2.6), sharey=True, squeeze=False, layout="constrained")
        for ax, (name, kept) in zip(axes[0], parts, strict=True):
            image = ax.imshow(pe[:, kept].numpy(), aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1,
                              extent=(kept[0] - 1, kept[-1] + 1, length - 0.5, -0.5))
            ax.set_xlabel("dimension")
            ax.set_title(f"{name} {kept[0]}..{kept[-1]}", fontsize=9)
        axes[0][0].set_ylabel("position t (frame)")
        fig.colorbar(image, ax=list(axes[0]), fraction=0.04)
        fig.suptitle(f"the [{length}, {d_model}] table, dims {first_dim}..{first_dim + num_dims - 1}", fontsize=9)
    elif view == "curves":
        shown = _spread_dims(first_dim, num_dims)
        pe = positional_encoding(length, d_model)
        waves = wavelengths(d_model)
        fig, ax = plt.subplots(figsize=(7, 2.6), layout="constrained")
        for k, dim in enumerate(shown):
            kind = "sin" if dim % 2 == 0 else "cos"
            ax.plot(pe[:, dim].numpy(), color=f"C{k}", lw=1.2,
                    label=f"dim {dim} ({kind}), wavelength {waves[dim // 2].item():,.1f}")
        ax.set_xlabel("position t (frame)")
        ax.set_ylabel("PE[t, dim]")
        ax.set_ylim(-1.1, 1.1)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
        ax.set_title(f"{len(shown)} dims spread over {first_dim}..{first_dim + num_dims - 1} (d_model={d_model})",
                     fontsize=9)
    else:
        sim = similarity_matrix(length, d_model, first_dim, num_dims)
        fig, (ax_map, ax_row) = plt.subplots(1, 2, figsize=(8, 3), gridspec_kw={"width_ratios": [1, 1.4]},
                                             layout="constrained")
        image = ax_map.imshow(sim.numpy(), cmap="viridis", interpolation="nearest")
        fig.colorbar(image, ax=ax_map, fraction=0.046)
        ax_map.set_xlabel("position t")
        ax_map.set_ylabel("position s")
        ax_map.set_title(f"cos similarity of PE[s], PE[t] (dims {first_dim}..{first_dim + num_dims - 1})", fontsize=9)
        middle = length // 2
        ax_row.plot(sim[middle].numpy())
        ax_row.axvline(middle, color="0.6", lw=0.5)
        ax_row.set_xlabel("position t")
        ax_row.set_title(f"row s = {middle}: highest at t = s, falls off with |t - s|", fontsize=9)
    return fig


def positional_explorer_widget(d_model: int = 1024, length: int = 200) -> widgets.VBox:
    """A widget over ``plot_positional`` and ``describe_dims``: sliders for d_model, T, the first dim
    and the number of dims, and a view switch (table / curves / similarity). Returns the VBox."""
    check_positive_int(d_model, "d_model")
    check_positive_int(length, "length")
    first = widgets.IntSlider(value=0, min=0, max=d_model - 1, step=1, description=_("first dim"))

    def show(d_model: int, length: int, first_dim: int, num_dims: int, view: str) -> None:
        first_dim = min(first_dim, d_model - 1)                 # keep the window inside the table
        num_dims = min(num_dims, d_model - first_dim)
        plot_positional(length, d_model, first_dim, num_dims, view)
        plt.show()
        print(describe_dims(d_model, first_dim, num_dims))

    d_slider = widgets.IntSlider(value=d_model, min=8, max=max(1024, d_model), step=8, description="d_model")
    controls = {
        "d_model": d_slider,
        "length": widgets.IntSlider(value=length, min=2, max=max(1000, length), step=1, description="T"),
        "first_dim": first,
        "num_dims": widgets.IntSlider(value=d_model, min=1, max=max(1024, d_model), step=1,
                                      description=_("dims shown")),
        "view": widgets.ToggleButtons(options=list(VIEWS), value="table", description=_("view")),
    }
    d_slider.observe(lambda change: setattr(first, "max", change["new"] - 1), names="value")
    return panel(show, controls, title=_("Sinusoidal positional encoding explorer"))
