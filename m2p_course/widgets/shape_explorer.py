"""The shape explorer: every stage's shape and parameter count, for any size of the encoder.

Plain functions do the work (the tests call them; notebook 00 shows their output)::

    explore_shapes(batch, frames, hidden_dim, num_layers, num_heads)  -> ShapeTrace
    parameters_by_stage(trace)                                         -> {stage group: params}
    memory_estimate(batch, frames, num_heads, num_layers, num_params)  -> {item: bytes}
    shape_table(batch, frames, hidden_dim, num_layers, num_heads)      -> str (table + memory)
    pipeline_figure(batch=None, frames=None, **config)                 -> matplotlib Figure

and ``shape_explorer_widget()`` wires sliders to them. Everything is traced on PyTorch's meta
device (shapes without storage), so the full-size model at T = 5400 is instant.
"""

from __future__ import annotations

import itertools

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyBboxPatch

from ..checks import check_positive_int
from ..i18n import N_, _
from ..model import M2PEncoder
from ..shapes import ShapeTrace, trace_shapes
from ._panel import panel

__all__ = ["explore_shapes", "parameters_by_stage", "memory_estimate", "format_bytes", "shape_table",
           "pipeline_figure", "shape_explorer_widget"]

BYTES_PER_FLOAT32 = 4
HIDDEN_CHOICES = (64, 128, 256, 512, 768, 1024)
HEAD_CHOICES = (1, 2, 4, 8, 16)
MAX_BATCH, MAX_FRAMES, MAX_LAYERS = 64, 6000, 12


# -----------------------------------------------------------------------------
# the numbers

def explore_shapes(batch: int, frames: int, hidden_dim: int = 1024, num_layers: int = 6, num_heads: int = 8,
                   music_input_dim: int = 4800) -> ShapeTrace:
    """Trace an ``M2PEncoder`` of this size on music features ``[batch, frames, music_input_dim]``.

    Returns the ``ShapeTrace`` of ``trace_shapes``: one row (stage, module, output shape,
    parameters) per stage. Raises ``ValueError`` / ``TypeError`` for sizes the model cannot have
    (e.g. a hidden size not divisible by the number of heads).
    """
    check_positive_int(batch, "batch")
    check_positive_int(frames, "frames")
    check_positive_int(num_heads, "num_heads")
    check_positive_int(hidden_dim, "hidden_dim")
    if hidden_dim % num_heads:
        raise ValueError(f"hidden_dim must be divisible by num_heads (each head gets hidden_dim / num_heads "
                         f"dims), got hidden_dim={hidden_dim} and num_heads={num_heads}")
    config = dict(music_input_dim=music_input_dim, hidden_dim=hidden_dim, num_layers=num_layers,
                  num_heads=num_heads)
    return trace_shapes(config, (batch, frames, music_input_dim))


def parameters_by_stage(trace: ShapeTrace) -> dict[str, int]:
    """Group a trace's parameters by the guide's stages.

    ``{"music projection": n, "transformer (L layers)": n, "pose head": n, "face head": n}``;
    the values add up to ``trace.total_params`` (the positional encoding has none).
    """
    if not isinstance(trace, ShapeTrace):
        raise TypeError(f"expected a ShapeTrace from trace_shapes or explore_shapes, got {type(trace).__name__}")
    layers = [row for row in trace if row.stage.startswith("transformer.layers[")]
    stage = {row.stage: row.params for row in trace}
    return {
        "music projection": stage["music_proj"],
        f"transformer ({len(layers)} layers)": sum(row.params for row in layers),
        "pose head": stage["pose_head"],
        "face head": stage["face_head"],
    }


def memory_estimate(batch: int, frames: int, num_heads: int, num_layers: int, num_params: int,
                    bytes_per_value: int = BYTES_PER_FLOAT32) -> dict[str, int]:
    """A rough memory estimate in bytes (float32 by default); not a measurement.

    * ``"weights"``: ``num_params x bytes``.
    * ``"attention, one layer"``: the attention weights ``[B, heads, T, T]`` of one layer, if
      materialised (fused attention kernels may avoid it at inference).
    * ``"attention, all layers"``: the same for every layer, as training keeps them for the
      backward pass.
    """
    for value, name in ((batch, "batch"), (frames, "frames"), (num_heads, "num_heads"),
                        (num_layers, "num_layers"), (num_params, "num_params"), (bytes_per_value, "bytes_per_value")):
        check_positive_int(value, name)
    one_layer = batch * num_heads * frames * frames * bytes_per_value
    return {"weights": num_params * bytes_per_value, "attention, one layer": one_layer,
            "attention, all layers": num_layers * one_layer}


def format_bytes(n: int) -> str:
    """``1536 -> '1.50 KiB'``: a byte count in binary units with three significant digits."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"expected a byte count (an int >= 0), got {n!r}")
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            if unit == "B":
                return f"{n} B"
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# memory_estimate's keys -> the row labels shape_table shows, padded to 22 columns (a Hangul syllable is two)
_MEMORY_ITEMS = {"weights": N_("weights               "), "attention, one layer": N_("attention, one layer  "),
                 "attention, all layers": N_("attention, all layers ")}


def shape_table(batch: int, frames: int, hidden_dim: int = 1024, num_layers: int = 6, num_heads: int = 8,
                music_input_dim: int = 4800) -> str:
    """The text the explorer shows: the trace's table, then a float32 memory estimate."""
    trace = explore_shapes(batch, frames, hidden_dim, num_layers, num_heads, music_input_dim)
    memory = memory_estimate(batch, frames, num_heads, num_layers, trace.total_params)
    how = {"weights": _("{params:,} parameters x 4 bytes").format(params=trace.total_params),
           "attention, one layer": f"B x heads x T x T x 4 = {batch} x {num_heads} x {frames} x {frames} x 4",
           "attention, all layers": _("x {layers} layers, kept for the backward pass when training").format(
               layers=num_layers)}
    lines = [trace.table(), "", _("memory estimate (float32, rough):")]
    lines += [f"  {_(_MEMORY_ITEMS[item])} {format_bytes(size):>10s}   {how[item]}" for item, size in memory.items()]
    return "\n".join(lines)


# -----------------------------------------------------------------------------
# the picture

_COLORS = {"input": "#7f7f7f", "proj": "#4c72b0", "pos": "#8172b2", "transformer": "#dd8452",
           "pose": "#55a868", "face": "#c44e52"}


def _shape_text(shape: tuple[int, ...], symbolic: bool) -> str:
    """``(2, 24, 1024) -> '[B, T, 1024]'`` when symbolic (dim 0 is B; dim 1 is T on per-frame tensors)."""
    names = [str(n) for n in shape]
    if symbolic:
        names[0] = "B"
        if len(shape) >= 3:
            names[1] = "T"
    return "[" + ", ".join(names) + "]"


def _millions(n: int) -> str:
    return "no parameters" if n == 0 else f"{n / 1e6:.1f} M params" if n >= 1e5 else f"{n:,} params"


def _box(ax, x: float, y: float, w: float, h: float, color: str, title: str, detail: str, shape: str,
         params: str) -> None:
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=color, alpha=0.16, edgecolor=color, linewidth=1.6))
    cx = x + w / 2
    ax.text(cx, y + h - 0.22, title, ha="center", va="top", fontsize=9.5, fontweight="bold", color="#222222")
    ax.text(cx, y + h - 0.58, detail, ha="center", va="top", fontsize=7.5, color="#444444", linespacing=1.25)
    ax.text(cx, y + 0.42, shape, ha="center", va="center", fontsize=9, family="monospace", color=color,
            fontweight="bold")
    ax.text(cx, y + 0.14, params, ha="center", va="center", fontsize=7, color="#777777")


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="-|>", color="#555555", lw=1.3, shrinkA=0, shrinkB=0))


def pipeline_figure(batch: int | None = None, frames: int | None = None, **config) -> plt.Figure:
    """A block diagram of the encoder: each stage with its output shape and parameter count.

    ``batch`` and ``frames`` ``None``: shapes are written with the letters B and T;
    given, with the numbers. ``config``: ``M2PEncoder`` keyword arguments (default: the guide's
    model). Returns the Figure (not shown; call ``plt.show()`` or ``display(fig)``).
    """
    if (batch is None) != (frames is None):
        raise ValueError(f"give both batch and frames, or neither (for B and T), got batch={batch!r}, "
                         f"frames={frames!r}")
    symbolic = batch is None
    with torch.device("meta"):
        model = M2PEncoder(**config)
    cfg = model.config
    size = (2, 24) if symbolic else (batch, frames)   # any size will do for the letters B and T
    trace = trace_shapes(model, (*size, cfg["music_input_dim"]))
    rows = {row.stage: row for row in trace}
    shape = lambda stage: _shape_text(rows[stage].shape, symbolic)  # noqa: E731
    hidden, layers = cfg["hidden_dim"], cfg["num_layers"]
    transformer_params = sum(row.params for row in trace if row.stage.startswith("transformer.layers["))

    fig, ax = plt.subplots(figsize=(11, 3.6))
    ax.set_xlim(0, 11.5)
    ax.set_ylim(-0.15, 4.15)
    ax.axis("off")
    w, h, y = 1.95, 1.7, 1.2
    xs = [0.05, 2.35, 4.65, 6.95]
    _box(ax, xs[0], y, w, h, _COLORS["input"], "music features",
         f"{cfg['music_input_dim']} numbers per frame\n(30 frames per second)", shape("input"), "the input")
    _box(ax, xs[1], y, w, h, _COLORS["proj"], "music projection",
         f"Linear {cfg['music_input_dim']}→{2 * hidden}→{hidden}\nLayerNorm, GELU, Dropout",
         shape("music_proj"), _millions(rows["music_proj"].params))
    _box(ax, xs[2], y, w, h, _COLORS["pos"], "+ positions", f"sinusoidal table\n[T, {hidden}], added",
         shape("pos_encoding"), _millions(0))
    _box(ax, xs[3], y, w, h, _COLORS["transformer"], f"transformer × {layers}",
         f"{cfg['num_heads']} heads, feed-forward {cfg['dim_feedforward']}\nself-attention over time",
         shape(f"transformer.layers[{layers - 1}]"), _millions(transformer_params))
    for a, b in itertools.pairwise(xs):
        _arrow(ax, (a + w + 0.02, y + h / 2), (b - 0.04, y + h / 2))

    head_x, pose_y, face_y = 9.5, 2.35, 0.0
    pose = rows["pose_head"]
    spatial = cfg["heatmap_size"] is not None
    pose_out = f"{cfg['pose_channels']}" + ("×{}×{}".format(*cfg["heatmap_size"]) if spatial else "")
    pose_detail = (f"per frame: {hidden}→{hidden // 2}→{hidden // 4}→{pose_out}\n"
                   + ("a heatmap per keypoint" if spatial else "one score per keypoint"))
    _box(ax, head_x, pose_y, w, h, _COLORS["pose"], "pose head", pose_detail, shape("pose_head"),
         _millions(pose.params))
    _box(ax, head_x, face_y, w, h, _COLORS["face"], "face head",
         f"one per clip: mean over T,\n{hidden}→{hidden // 2}→{cfg['face_embed_dim']}, L2-normalised",
         shape("face_head"), _millions(rows["face_head"].params))
    branch_x = xs[3] + w + 0.02
    _arrow(ax, (branch_x, y + h / 2 + 0.1), (head_x - 0.04, pose_y + h / 2))
    _arrow(ax, (branch_x, y + h / 2 - 0.1), (head_x - 0.04, face_y + h / 2))

    after = f"softmax → heatmap {shape('pose heatmap')}"
    if spatial:
        after += f"\nsoft-argmax → (x, y) {shape('pose coordinates')}"
    ax.text(head_x + w / 2, pose_y + h + 0.08, after, ha="center", va="bottom", fontsize=7.5, color=_COLORS["pose"])
    legend = "B = batch, T = frames" if symbolic else f"B = {batch}, T = {frames}"
    ax.text(0.05, 0.25, f"{legend}\ntotal {trace.total_params:,} parameters", ha="left", va="bottom",
            fontsize=8.5, color="#333333")
    fig.tight_layout()
    return fig


# -----------------------------------------------------------------------------
# the widget

def _check_choice(value, choices, name: str) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def _check_range(value, low: int, high: int, name: str) -> None:
    check_positive_int(value, name)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high} for the explorer's slider, got {value}")


def _show(batch: int, frames: int, hidden_dim: int, num_layers: int, num_heads: int, diagram: bool) -> None:
    print(shape_table(batch, frames, hidden_dim, num_layers, num_heads))
    if diagram:
        pipeline_figure(batch, frames, hidden_dim=hidden_dim, num_layers=num_layers, num_heads=num_heads)
        plt.show()


def shape_explorer_widget(batch: int = 2, frames: int = 24, hidden_dim: int = 1024, num_layers: int = 6,
                   num_heads: int = 8, diagram: bool = False) -> widgets.VBox:
    """Sliders for B, T, hidden size, layers and heads above the live ``shape_table``.

    With ``diagram`` checked, the ``pipeline_figure`` of that size is drawn under the table.
    Returns the widget (display it, or leave it as a cell's last expression).
    """
    _check_range(batch, 1, MAX_BATCH, "batch")
    _check_range(frames, 1, MAX_FRAMES, "frames")
    _check_range(num_layers, 1, MAX_LAYERS, "num_layers")
    _check_choice(hidden_dim, HIDDEN_CHOICES, "hidden_dim")
    _check_choice(num_heads, HEAD_CHOICES, "num_heads")
    if not isinstance(diagram, bool):
        raise TypeError(f"diagram must be True or False, got {type(diagram).__name__}")
    style = {"description_width": "initial"}
    controls = {
        "batch": widgets.IntSlider(value=batch, min=1, max=MAX_BATCH, description=_("B (batch)"), style=style),
        "frames": widgets.IntSlider(value=frames, min=1, max=MAX_FRAMES, description=_("T (frames)"),
                                    continuous_update=False, style=style),
        "hidden_dim": widgets.Dropdown(options=list(HIDDEN_CHOICES), value=hidden_dim, description=_("hidden size"),
                                       style=style),
        "num_layers": widgets.IntSlider(value=num_layers, min=1, max=MAX_LAYERS, description=_("layers"), style=style),
        "num_heads": widgets.Dropdown(options=list(HEAD_CHOICES), value=num_heads, description=_("heads"), style=style),
        "diagram": widgets.Checkbox(value=diagram, description=_("draw the pipeline")),
    }
    return panel(_show, controls, title=_("Shape explorer: the encoder traced on the meta device "
                                        "(T = 5400 is three minutes at 30 FPS)"))
