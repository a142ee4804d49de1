"""Notebook 05's counts and widget: parameters and FLOPs of the transformer encoder stack.

Per layer, with width E, feed-forward F and T frames (one multiply-add = 2 FLOPs; only the
matrix products, which are nearly all of the work)::

    q, k, v projections   2 * T * E * 3E        linear in T
    scores  q k^T         2 * T * T * E         quadratic in T (the heads split E, not the work)
    weights x v           2 * T * T * E         quadratic in T
    output projection     2 * T * E * E         linear in T
    feed-forward          2 * T * E * F * 2     linear in T

The quadratic part catches up with the linear part at ``T = 2E + F`` (6144 frames for the
guide: 3.4 minutes at 30 FPS). ``encoder_cost_widget`` shows it for any size, length and depth.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import EngFormatter, NullFormatter

from ..checks import check_positive_int
from ..i18n import _
from ._panel import panel

__all__ = [
    "encoder_layer_parameters",
    "encoder_flops",
    "crossover_length",
    "flops_table",
    "encoder_summary",
    "plot_encoder_flops",
    "encoder_cost_widget",
]

LINEAR_PARTS = ("q, k, v projections", "output projection", "feed-forward")
ATTENTION_PARTS = ("scores q k^T", "weights x v")


def _check_sizes(d_model: int, nhead: int, dim_feedforward: int) -> None:
    for value, name in ((d_model, "d_model"), (nhead, "nhead"), (dim_feedforward, "dim_feedforward")):
        check_positive_int(value, name)
    if d_model % nhead:
        raise ValueError(f"d_model={d_model} must be divisible by nhead={nhead}")


def encoder_layer_parameters(d_model: int = 1024, nhead: int = 8, dim_feedforward: int = 4096) -> dict[str, int]:
    """Parameters of one ``nn.TransformerEncoderLayer``, by module: name -> count (weights + biases).

    For the guide's layer (1024, 8, 4096) they add up to 12,596,224. The heads split the
    width, so ``nhead`` changes nothing (it is only checked to divide d_model).
    """
    _check_sizes(d_model, nhead, dim_feedforward)
    e, f = d_model, dim_feedforward
    return {
        "self_attn.in_proj (q, k, v)": 3 * e * e + 3 * e,
        "self_attn.out_proj": e * e + e,
        "linear1": e * f + f,
        "linear2": f * e + e,
        "norm1": 2 * e,
        "norm2": 2 * e,
    }


def encoder_flops(length: int, d_model: int = 1024, nhead: int = 8, dim_feedforward: int = 4096,
                  num_layers: int = 6, batch: int = 1) -> dict[str, int]:
    """Matrix-product FLOPs of a forward pass through ``num_layers`` layers, by part: name -> FLOPs.

    ``length`` = T frames, ``batch`` = B clips; 2 FLOPs per multiply-add (the convention of
    ``torch.utils.flop_counter``). Elementwise work (softmax, GELU, LayerNorm, residuals) is left
    out: about 1% of the work or less at these sizes.
    """
    _check_sizes(d_model, nhead, dim_feedforward)
    for value, name in ((length, "length"), (num_layers, "num_layers"), (batch, "batch")):
        check_positive_int(value, name)
    tokens = batch * length
    per_layer = {
        "q, k, v projections": 2 * tokens * d_model * 3 * d_model,
        "scores q k^T": 2 * tokens * length * d_model,
        "weights x v": 2 * tokens * length * d_model,
        "output projection": 2 * tokens * d_model * d_model,
        "feed-forward": 2 * tokens * d_model * dim_feedforward * 2,
    }
    return {name: num_layers * flops for name, flops in per_layer.items()}


def crossover_length(d_model: int = 1024, dim_feedforward: int = 4096) -> int:
    """The T at which the attention products (4 T^2 E) cost as much as the linear layers (T (8 E^2 + 4 E F)): 2E + F."""
    check_positive_int(d_model, "d_model")
    check_positive_int(dim_feedforward, "dim_feedforward")
    return 2 * d_model + dim_feedforward


def _split(flops: dict[str, int]) -> tuple[int, int]:
    return sum(flops[p] for p in LINEAR_PARTS), sum(flops[p] for p in ATTENTION_PARTS)


def flops_table(lengths: list[int], d_model: int = 1024, nhead: int = 8, dim_feedforward: int = 4096,
                num_layers: int = 6, fps: int = 30) -> str:
    """A text table: for each T, the clip's seconds, GFLOPs of the linear parts, of attention, and attention's share."""
    check_positive_int(fps, "fps")
    if not lengths:
        raise ValueError("lengths must hold at least one T, got an empty list")
    header = f"{'T':>6} {'seconds':>8} {'linear GFLOP':>13} {'attention GFLOP':>16} {'attention share':>16}"
    rows = [header, "-" * len(header)]
    for length in lengths:
        linear, attention = _split(encoder_flops(length, d_model, nhead, dim_feedforward, num_layers))
        rows.append(f"{length:>6} {length / fps:>8.1f} {linear / 1e9:>13,.1f} {attention / 1e9:>16,.1f} "
                    f"{attention / (linear + attention):>16.1%}")
    return "\n".join(rows)


def plot_encoder_flops(length: int = 24, d_model: int = 1024, nhead: int = 8, dim_feedforward: int = 4096,
                       num_layers: int = 6, max_length: int = 16384):
    """Log-log plot of the stack's linear vs attention FLOPs for T = 1 .. max_length.

    Marks the chosen ``length`` and the crossover T = 2E + F. Returns the Figure.
    """
    check_positive_int(max_length, "max_length")
    lengths = np.unique(np.geomspace(1, max_length, 200).astype(int))
    parts = np.array([_split(encoder_flops(int(t), d_model, nhead, dim_feedforward, num_layers)) for t in lengths])
    cross = crossover_length(d_model, dim_feedforward)

    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.loglog(lengths, parts[:, 0], label="linear parts (q,k,v, out, feed-forward) ~ T")
    ax.loglog(lengths, parts[:, 1], label="attention (q k^T, weights x v) ~ T^2")
    ax.loglog(lengths, parts.sum(1), color="black", lw=0.8, ls=":", label="total")
    ax.axvline(cross, color="gray", ls="--", lw=0.8)
    ax.text(cross, parts[:, 1].min(), f" equal at T = 2E + F = {cross}", fontsize=8, color="gray", rotation=90,
            va="bottom")
    total = sum(encoder_flops(length, d_model, nhead, dim_feedforward, num_layers).values())
    ax.plot([length], [total], "o", color="tab:red", label=f"T = {length}: {total / 1e9:,.1f} GFLOP")
    # Plain-text tick labels (1 k, 10 G): a log axis otherwise writes them in mathtext, whose shared
    # parser failed now and then inside the widget's redraws (ParseException) in the browser check.
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(EngFormatter(sep=" "))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("T (frames)")
    ax.set_ylabel("FLOPs (forward)")
    ax.set_title(f"{num_layers} layers, E = {d_model}, F = {dim_feedforward}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def encoder_summary(length: int, d_model: int = 1024, nhead: int = 8, dim_feedforward: int = 4096,
                    num_layers: int = 6, fps: int = 30) -> str:
    """A few lines of text: the stack's parameter count and the forward FLOPs at T = ``length``, by part."""
    check_positive_int(fps, "fps")
    params = sum(encoder_layer_parameters(d_model, nhead, dim_feedforward).values())
    flops = encoder_flops(length, d_model, nhead, dim_feedforward, num_layers)
    linear, attention = _split(flops)
    total = linear + attention
    lines = [_("T = {length} frames ({seconds:.1f} s at {fps} FPS), {layers} layers of E = {d_model}, {nhead} heads "
               "of {head_dim}, F = {dim_feedforward}").format(
                 length=length, seconds=length / fps, fps=fps, layers=num_layers, d_model=d_model, nhead=nhead,
                 head_dim=d_model // nhead, dim_feedforward=dim_feedforward),
             _("parameters: {params:,} per layer, {stack:,} in the stack").format(
                 params=params, stack=num_layers * params),
             _("forward FLOPs: {gflop:,.1f} GFLOP (attention {share:.1%}; per frame {mflop:,.1f} MFLOP)").format(
                 gflop=total / 1e9, share=attention / total, mflop=total / length / 1e6)]
    lines += [f"  {name:<22}{value / 1e9:>12,.2f} GFLOP" for name, value in flops.items()]
    return "\n".join(lines)


def encoder_cost_widget(fps: int = 30) -> widgets.VBox:
    """A widget: choose T, the width and the depth; see the parameter and FLOP counts and where T^2 takes over."""
    check_positive_int(fps, "fps")

    def show(length, d_model, num_layers):
        print(encoder_summary(length, d_model, 8, 4 * d_model, num_layers, fps))
        plot_encoder_flops(length, d_model, 8, 4 * d_model, num_layers)
        plt.show()

    controls = {
        "length": widgets.IntSlider(value=24, min=1, max=5400, step=1, description=_("T (frames)"),
                                    continuous_update=False),
        "d_model": widgets.Dropdown(options=[256, 512, 1024, 2048], value=1024, description=_("E (width)")),
        "num_layers": widgets.IntSlider(value=6, min=1, max=24, description=_("layers")),
    }
    return panel(show, controls, title=_("The encoder stack: parameters and FLOPs (8 heads, F = 4E)"))
