"""The memory explorer: will a pass of the encoder fit in a CPU's memory? Known before it runs.

Plain functions do the work (the tests call them; notebook 12 shows their output)::

    predicted_memory(frames, batch, training=True, checkpointing=False, precision="fp32", dropout=0.1)
        -> MemoryPrediction          ``m2p_course.performance.predict_memory``, cached
    memory_plan(frames, batch, ..., budget="Colab CPU runtime (12.7 GB)")   -> dict: the numbers and a verdict
    plan_table(frames, batch, ..., budget=...)                    -> str: the same, as text
    plot_memory(frames, batch, ..., budget=...)                   -> Figure: predicted GB against T

and ``memory_explorer_widget()`` wires controls to them. The model is the guide's (88,992,134
parameters; ``dropout`` is its only size-free setting that changes the memory, see below), or any
``M2PEncoder`` keyword arguments through ``config``.

``predicted_memory(frames, batch, ...)`` is notebook 11's ``predict_memory(config, batch, length, ...)``
for the guide's model, its arguments in another order (T first) and its answers remembered.

What is predicted: ``predict_memory`` runs the pass on fake tensors (shapes, no data) through the
CPU's kernels, so the numbers are those of the real pass on a CPU: the weights plus the peak of the
tensors alive at once (activations, gradients, AdamW's two moments). The budgets are therefore CPU
memory (RAM), of which the process and the operating system need some too. A GPU picks its own
kernels: its fused attention keeps no ``[B, heads, T, T]`` matrix even with dropout, where the CPU's
keeps three per layer for backward, so on a GPU (a T4 included) a training step with dropout needs
about what the "no attention dropout" setting predicts here, plus the caching allocator and CUDA's
context (about 0.3-0.5 GB). On a machine with a GPU, ``predict_memory(..., device="cuda")``
predicts with the GPU's own kernels.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from ..checks import check_bool, check_positive_int, check_real
from ..i18n import N_, _
from ._panel import panel

__all__ = ["MEMORY_BUDGETS", "predicted_memory", "memory_plan", "plan_table", "plot_memory",
           "memory_explorer_widget"]

GB = 1e9
# CPU memory budgets in GB (10^9 bytes): the RAM of a machine, of which the process and the OS need some
MEMORY_BUDGETS = {
    "Colab CPU runtime (12.7 GB)": 12.7,
    "a 16 GB laptop": 16.0,
    "the course's test machine (24 GB)": 24.0,
    "a 64 GB workstation": 64.0,
}
DEFAULT_BUDGET = "Colab CPU runtime (12.7 GB)"
_PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
_CURVE_FRAMES = (600, 1350, 2700, 5400)        # the T of plot_memory's curve (a whole 3-minute song at the end)
MAX_FRAMES, MAX_BATCH = 9000, 64


def _check_settings(frames, batch, training, checkpointing, precision, dropout, config):
    frames = check_positive_int(frames, "frames")
    batch = check_positive_int(batch, "batch")
    if frames > MAX_FRAMES:
        raise ValueError(f"frames must be at most {MAX_FRAMES} (5 minutes at 30 fps), got {frames}")
    if batch > MAX_BATCH:
        raise ValueError(f"batch must be at most {MAX_BATCH}, got {batch}")
    check_bool(training, "training")
    check_bool(checkpointing, "checkpointing")
    if precision not in _PRECISIONS:
        raise ValueError(f"precision must be one of {list(_PRECISIONS)}, got {precision!r}")
    dropout = check_real(dropout, "dropout", 0, 1, high_open=True)
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict of M2PEncoder arguments (or None: the guide's model), "
                        f"got {type(config).__name__}")
    if "dropout" in config or "gradient_checkpointing" in config:
        raise ValueError("give dropout and checkpointing as their own arguments, not inside config")
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in config.items()))
    return frames, batch, training, checkpointing, precision, dropout, items


@lru_cache(maxsize=512)
def _predict(frames, batch, training, checkpointing, precision, dropout, items):
    from ..performance import predict_memory

    config = dict(items, dropout=dropout)
    return predict_memory(config, batch, frames, training=training, checkpointing=checkpointing,
                          dtype=_PRECISIONS[precision])


def predicted_memory(frames: int, batch: int = 1, *, training: bool = True, checkpointing: bool = False,
                     precision: str = "fp32", dropout: float = 0.1, config: dict | None = None):
    """``predict_memory`` for the guide's model (or ``M2PEncoder(**config)``), remembered.

    frames, batch: the input ``[batch, frames, 4800]``. training: a training step (forward, backward,
    AdamW's first step) or an inference pass. checkpointing: gradient checkpointing of the transformer
    layers. precision: "fp32", or "bf16" / "fp16" autocast. dropout: the model's dropout (the guide: 0.1).
    Returns the ``MemoryPrediction`` (bytes: ``weights``, ``peak``, ``total``, ``kept_for_backward``,
    ``largest``). The same settings twice cost nothing the second time (an ``lru_cache``).
    """
    return _predict(*_check_settings(frames, batch, training, checkpointing, precision, dropout, config))


def _budget(budget) -> tuple[str, float]:
    if isinstance(budget, str):
        if budget not in MEMORY_BUDGETS:
            raise ValueError(f"budget must be one of {list(MEMORY_BUDGETS)} or a number of GB, got {budget!r}")
        return budget, MEMORY_BUDGETS[budget]
    value = check_real(budget, "budget", 0, low_open=True)
    return f"{value:g} GB", value


def memory_plan(frames: int, batch: int = 1, *, training: bool = True, checkpointing: bool = False,
                precision: str = "fp32", dropout: float = 0.1, budget=DEFAULT_BUDGET,
                config: dict | None = None) -> dict:
    """Will it fit? The predicted memory of one pass on a CPU (the CPU's kernels) against a budget of RAM.

    Arguments as ``predicted_memory``; budget: a name of ``MEMORY_BUDGETS`` or a number of GB (10^9 bytes).
    Returns a dict: ``frames``, ``batch``, ``mode`` ("training step" / "inference"), ``weights_gb``,
    ``peak_gb`` (the tensors alive at the worst moment, weights excluded), ``total_gb`` (the two
    together), ``kept_gb`` (activations kept for backward), ``largest`` ([(op, GB)], the biggest
    single tensors), ``budget`` (its name), ``budget_gb``, ``fits`` (bool), ``margin_gb`` (budget -
    total: negative when it does not fit) and ``verdict`` ("fits, 3.2 GB to spare" or "out of memory
    by 6.2 GB").
    """
    prediction = predicted_memory(frames, batch, training=training, checkpointing=checkpointing,
                                  precision=precision, dropout=dropout, config=config)
    name, budget_gb = _budget(budget)
    total = prediction.total / GB
    margin = budget_gb - total
    fits = margin >= 0
    return {
        "frames": frames, "batch": batch, "mode": "training step" if training else "inference",
        "weights_gb": prediction.weights / GB, "peak_gb": prediction.peak / GB, "total_gb": total,
        "kept_gb": prediction.kept_for_backward / GB,
        "largest": [(op, size / GB) for op, size in prediction.largest],
        "budget": name, "budget_gb": budget_gb, "fits": fits, "margin_gb": margin,
        "verdict": f"fits, {margin:.1f} GB to spare" if fits else f"out of memory by {-margin:.1f} GB",
    }


# memory_plan's "mode" (English data, as its "verdict") -> the msgid plan_table shows
_MODES = {"training step": N_("training step"), "inference": N_("inference")}


def plan_table(frames: int, batch: int = 1, *, training: bool = True, checkpointing: bool = False,
               precision: str = "fp32", dropout: float = 0.1, budget=DEFAULT_BUDGET,
               config: dict | None = None) -> str:
    """``memory_plan`` as the text the explorer prints: the settings, the bytes, the verdict."""
    plan = memory_plan(frames, batch, training=training, checkpointing=checkpointing, precision=precision,
                       dropout=dropout, budget=budget, config=config)
    settings = [_(_MODES[plan["mode"]]), precision]
    if training and checkpointing:
        settings.append(_("checkpointing"))
    settings.append(_("dropout {p:g}").format(p=dropout))
    biggest = ", ".join(f"{op} {size:.2f}" for op, size in plan["largest"][:3])
    verdict = (_("fits, {margin:.1f} GB to spare").format(margin=plan["margin_gb"]) if plan["fits"]
               else _("out of memory by {margin:.1f} GB").format(margin=-plan["margin_gb"]))
    # each label padded so that the numbers line up (a Hangul syllable is two columns wide)
    lines = [
        _("[B, T] = [{batch}, {frames}] ({seconds:.0f} s at 30 fps), {settings}").format(
            batch=batch, frames=frames, seconds=frames / 30, settings=", ".join(settings)),
        _("  weights              {gb:7.2f} GB").format(gb=plan["weights_gb"]),
        _("  peak of the pass     {gb:7.2f} GB   (kept for backward {kept:.2f} GB)").format(
            gb=plan["peak_gb"], kept=plan["kept_gb"]),
        _("  total                {gb:7.2f} GB   largest tensors (GB): {biggest}").format(
            gb=plan["total_gb"], biggest=biggest),
        _("  budget               {gb:7.2f} GB   {budget}").format(gb=plan["budget_gb"], budget=plan["budget"]),
        f"  -> {verdict}",
    ]
    return "\n".join(lines)


def plot_memory(frames: int, batch: int = 1, *, training: bool = True, checkpointing: bool = False,
                precision: str = "fp32", dropout: float = 0.1, budget=DEFAULT_BUDGET,
                config: dict | None = None, curve_frames=_CURVE_FRAMES):
    """A Figure: the predicted total (GB) against T for these settings, the budget line, and T = ``frames``.

    The curve is predicted at ``curve_frames`` (and at ``frames``); the point at ``frames`` is red
    when it does not fit.
    """
    plan = memory_plan(frames, batch, training=training, checkpointing=checkpointing, precision=precision,
                       dropout=dropout, budget=budget, config=config)
    if not isinstance(curve_frames, (tuple, list)) or not curve_frames:
        raise TypeError(f"curve_frames must be a non-empty tuple of frame counts, got {curve_frames!r}")
    lengths = sorted({*(check_positive_int(t, "curve_frames") for t in curve_frames), frames})
    totals = [memory_plan(t, batch, training=training, checkpointing=checkpointing, precision=precision,
                          dropout=dropout, budget=budget, config=config)["total_gb"] for t in lengths]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(lengths, totals, "o-", color="#4c72b0", label=f"{plan['mode']}, {precision}"
            + (", checkpointing" if training and checkpointing else "") + f", B = {batch}")
    ax.axhline(plan["budget_gb"], color="#c44e52", linestyle="--", label=f"budget: {plan['budget']}")
    ax.plot([frames], [plan["total_gb"]], "o", ms=11, mfc="none", mew=2,
            color="#2ca02c" if plan["fits"] else "#d62728")
    ax.set_xlabel("T (frames at 30 fps)")
    ax.set_ylabel("predicted GB")
    ax.set_ylim(0, max(max(totals), plan["budget_gb"]) * 1.15)
    ax.set_title(f"T = {frames} ({frames / 30:.0f} s): {plan['total_gb']:.2f} GB predicted, {plan['verdict']}",
                 fontsize=10, color="#2ca02c" if plan["fits"] else "#d62728")
    ax.legend(fontsize=8, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def memory_explorer_widget(frames: int = 5400, batch: int = 1, training: bool = True,
                           budget: str = DEFAULT_BUDGET) -> widgets.VBox:
    """Controls for T, the batch, training or inference, checkpointing, precision, dropout and the budget,
    over ``plot_memory`` and ``plan_table``: the CPU's kernels against a CPU's memory. Each new setting
    is predicted once (a second or two for a training step of the full-size model), then remembered."""
    frames = check_positive_int(frames, "frames")
    batch = check_positive_int(batch, "batch")
    _budget(budget)

    def show(frames, batch, mode, checkpointing, precision, dropout, budget):
        training = mode == "training step"
        settings = dict(training=training, checkpointing=checkpointing, precision=precision,
                        dropout=0.1 if dropout else 0.0, budget=budget)
        plot_memory(frames, batch, **settings)
        plt.show()
        print(plan_table(frames, batch, **settings))

    controls = {
        "frames": widgets.IntSlider(value=frames, min=300, max=MAX_FRAMES, step=300, description=_("T frames"),
                                    continuous_update=False),
        "batch": widgets.IntSlider(value=batch, min=1, max=16, description=_("batch"), continuous_update=False),
        "mode": widgets.ToggleButtons(options=["training step", "inference"],
                                      value="training step" if training else "inference"),
        "checkpointing": widgets.Checkbox(value=False, description=_("gradient checkpointing")),
        "precision": widgets.Dropdown(options=list(_PRECISIONS), value="fp32", description=_("precision")),
        "dropout": widgets.Checkbox(value=True, description=_("dropout 0.1 (the guide's)")),
        "budget": widgets.Dropdown(options=list(MEMORY_BUDGETS), value=budget, description=_("budget")),
    }
    return panel(show, controls, title=_("Will it fit in a CPU's memory? The guide's model, predicted on fake tensors "
                 "with the CPU's kernels (a GPU's fused attention keeps less)"))
