"""Performance explorer (notebook 11): where the full-size encoder's arithmetic goes, and the time it
needs at a given matrix-multiply rate.

The plain functions do the work (the tests and notebook 11 call them directly)::

    costs = stage_costs(5400, batch=1, training=False)   # rows: stage, GFLOP, share, seconds at the rate
    print(cost_table(5400, rate=2.8e11))                    # the same as text, with the total
    fig = plot_flops_per_frame([300, 1350, 2700, 5400]); plt.show()   # FLOPs per frame by stage, against T

``performance_explorer_widget(rates)`` wires T, B, inference or a training step, and the precision
to ``cost_table``: the time each stage would take at the rate measured for that precision (a bound:
real passes reach 70-90 % of it here, see ``benchmarks/bench_long_song.txt``).
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..checks import check_bool, check_positive_int, check_real
from ..i18n import _
from ..performance import STAGES, stage_flops
from ._panel import panel

__all__ = ["stage_costs", "cost_table", "plot_flops_per_frame", "performance_explorer_widget", "TRAINING_FACTOR"]

# a training step = forward + backward; backward computes two products per forward product (the
# gradient of the input and of the weight), so about 3 x the forward's FLOPs (4 x with checkpointing,
# which runs each layer's forward twice)
TRAINING_FACTOR = 3
CHECKPOINTED_FACTOR = 4
MAX_FRAMES = 10800
MAX_BATCH = 64


def _check_mode(training, checkpointing) -> None:
    check_bool(training, "training")
    check_bool(checkpointing, "checkpointing")
    if checkpointing and not training:
        raise ValueError("checkpointing only changes a training step; got checkpointing=True with training=False")


def stage_costs(length: int, batch: int = 1, training: bool = False, checkpointing: bool = False,
                rate: float | None = None, **config) -> list[dict]:
    """One row per stage of a pass of ``[batch, length]`` frames through ``M2PEncoder(**config)``.

    Each row: ``stage``, ``flops`` (of the pass: the forward's, x3 for a training step, x4 with
    checkpointing, which recomputes the transformer's forward; the projection and the heads are
    not recomputed), ``share`` of the total, and ``seconds`` at ``rate`` FLOP/s (None without a rate).
    """
    check_positive_int(length, "length")
    check_positive_int(batch, "batch")
    _check_mode(training, checkpointing)
    if rate is not None:
        check_real(rate, "rate", 0, float("inf"), low_open=True)
    forward = stage_flops(length, batch, **config)
    transformer = {"attention projections", "attention scores", "feed-forward"}
    rows = []
    for stage in STAGES:
        factor = 1
        if training:
            factor = CHECKPOINTED_FACTOR if checkpointing and stage in transformer else TRAINING_FACTOR
        rows.append({"stage": stage, "flops": factor * forward[stage]})
    total = sum(row["flops"] for row in rows)
    for row in rows:
        row["share"] = row["flops"] / total
        row["seconds"] = None if rate is None else row["flops"] / rate
    return rows


def cost_table(length: int, batch: int = 1, training: bool = False, checkpointing: bool = False,
               rate: float | None = None, **config) -> str:
    """``stage_costs`` as a text table with a total line; seconds only when ``rate`` is given."""
    rows = stage_costs(length, batch, training, checkpointing, rate, **config)
    what = (_("training step (checkpointed)") if checkpointing else _("training step")) if training \
        else _("inference")
    lines = [f"{what}, B = {batch}, T = {length}" + (_(", at {rate:.0f} GFLOP/s").format(rate=rate / 1e9) if rate
                                                     else ""),
             f"{'stage':<24}{'GFLOP':>10}{'share':>8}" + (f"{'seconds':>10}" if rate else "")]
    for row in rows:
        line = f"{row['stage']:<24}{row['flops'] / 1e9:>10.1f}{row['share']:>8.1%}"
        lines.append(line + (f"{row['seconds']:>10.3f}" if rate else ""))
    total = sum(row["flops"] for row in rows)
    lines.append(f"{'total':<24}{total / 1e9:>10.1f}{1:>8.0%}" + (f"{total / rate:>10.3f}" if rate else ""))
    return "\n".join(lines)


def plot_flops_per_frame(lengths, batch: int = 1, **config):
    """A stacked area of each stage's forward FLOPs per frame against T: only the attention scores grow."""
    lengths = [check_positive_int(t, "length") for t in lengths]
    if len(lengths) < 2:
        raise ValueError(f"lengths needs at least two values of T to draw a curve, got {lengths}")
    per_frame = {stage: [stage_flops(t, batch, **config)[stage] / (batch * t) / 1e9 for t in lengths]
                 for stage in STAGES}
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.stackplot(lengths, *per_frame.values(), labels=STAGES, alpha=0.85)
    ax.set(xlabel="T (frames, 30 per second)", ylabel="GFLOP per frame", xlim=(lengths[0], lengths[-1]),
           title="forward FLOPs per frame, by stage")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def performance_explorer_widget(rates: dict[str, float], length: int = 5400, batch: int = 1) -> widgets.VBox:
    """Sliders for T and B, a pass (inference, training step, checkpointed step) and a precision.

    ``rates`` maps a precision's name to this machine's matrix-multiply rate in FLOP/s, e.g.
    ``{"float32": gemm_rate(torch.float32), "bfloat16": gemm_rate(torch.bfloat16)}``; the table
    shows each stage's FLOPs and the seconds it needs at that rate.
    """
    if not isinstance(rates, dict) or not rates:
        raise TypeError(f"rates must be a non-empty dict of precision name -> FLOP/s, got {rates!r}")
    for name, rate in rates.items():
        check_real(rate, f"rates[{name!r}]", 0, float("inf"), low_open=True)
    check_positive_int(length, "length")
    check_positive_int(batch, "batch")
    style = {"description_width": "initial"}
    controls = {
        "length": widgets.IntSlider(value=min(length, MAX_FRAMES), min=30, max=MAX_FRAMES, step=30,
                                    description=_("T (frames)"), continuous_update=False, style=style),
        "batch": widgets.IntSlider(value=min(batch, MAX_BATCH), min=1, max=MAX_BATCH, description=_("B (batch)"),
                                   continuous_update=False, style=style),
        "mode": widgets.ToggleButtons(options=["inference", "training step", "checkpointed step"],
                                      value="inference", description=_("pass"), style=style),
        "precision": widgets.Dropdown(options=list(rates), value=next(iter(rates)), description=_("precision"),
                                      style=style),
    }

    def show(length, batch, mode, precision):
        print(cost_table(length, batch, training=mode != "inference", checkpointing=mode == "checkpointed step",
                         rate=rates[precision]))
        print("\n" + _("(seconds = FLOPs / the measured matrix-multiply rate: a bound a real pass reaches {share} "
                       "of)").format(share="70-90 %"))   # the percent outside the msgid: not a %-format

    return panel(show, controls,
                 title=_("Performance explorer: the guide's full-size encoder, FLOPs and time by stage"))
