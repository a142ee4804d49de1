"""ArcFace explorer: train a tiny face head on the course's dancers, with plain softmax or ArcFace.

The plain functions do the work (the tests and notebook 08 call them directly)::

    train, test = dancer_clips(clips_per_dancer=32, seed=0), dancer_clips(clips_per_dancer=32, seed=1)
    soft = train_embeddings(*train, loss="softmax")                 # an EmbeddingRun
    arc = train_embeddings(*train, loss="arcface", margin=0.5, scale=8.0)
    print(angle_table({"softmax": angle_stats(soft.embed(test[0]), test[1]),
                       "ArcFace": angle_stats(arc.embed(test[0]), test[1])}))
    fig = plot_embeddings({"softmax": soft.embed(test[0]), "ArcFace": arc.embed(test[0])}, test[1]); plt.show()
    fig = plot_target_logit(margin=0.5); plt.show()                  # cos(theta + m) against cos(theta)

The face head here is the guide's in miniature: mean over the (valid) frames, Linear, GELU,
Linear to ``dim`` = 2 or 3 numbers, so that the embeddings can be drawn on a circle or a sphere.
``arcface_explorer_widget(train, test)`` wires a margin slider (degrees) and a scale slider to them.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from numbers import Integral, Real

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import DANCER_NAMES, ArcFaceLoss, check_padding_mask, generate_dance, masked_mean
from ..i18n import _

__all__ = ["dancer_clips", "EmbeddingRun", "train_embeddings", "angle_stats", "angle_table", "target_logit",
           "plot_target_logit", "plot_embeddings", "arcface_explorer_widget"]

LOSSES = ("softmax", "arcface")


# -----------------------------------------------------------------------------
# input checks (the module's own, in the package's style: "<name> must be <what>, got <what came>")


def _int(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int >= {low}, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value}")
    return int(value)


def _real(value, name: str, low: float, high: float | None = None, *, low_open: bool = True,
          high_open: bool = True) -> float:
    bounds = f"> {low:g}" if low_open else f">= {low:g}"
    if high is not None:
        bounds = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number {bounds}, got {type(value).__name__} {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {bounds}, got {value:g}")
    return value


def _clips_and_labels(clips, labels, padding_mask=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    if not isinstance(clips, torch.Tensor) or clips.dim() != 3 or not clips.is_floating_point():
        got = f"{clips.dtype} shape {tuple(clips.shape)}" if isinstance(clips, torch.Tensor) else type(clips).__name__
        raise TypeError(f"clips must be a floating-point tensor [N, T, D], got {got}")
    if not bool(torch.isfinite(clips).all()):
        raise ValueError("clips contains NaN or Inf values")
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        got = f"dtype {labels.dtype}" if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise TypeError(f"labels must be an int64 tensor [N] of class indices, got {got}")
    if tuple(labels.shape) != (clips.size(0),):
        raise ValueError(f"labels must have shape [N] = ({clips.size(0)},), got {tuple(labels.shape)}")
    if labels.numel() and int(labels.min()) < 0:
        raise ValueError(f"labels must be >= 0, got {int(labels.min())}")
    if padding_mask is not None:
        check_padding_mask(padding_mask, clips.size(0), clips.size(1))
    return clips, labels, padding_mask


# -----------------------------------------------------------------------------
# the data: clips of the course's dancers


def dancer_clips(clips_per_dancer: int = 32, frames: int = 60, *, fps: int = 30, seed: int = 0,
                 bpm_range: tuple[float, float] = (90.0, 140.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips of every dancer in ``DANCER_NAMES`` (labels 0, 1, ...), each dancing to its own beat.

    Each clip is ``frames`` pose frames of ``generate_dance`` at a random tempo in ``bpm_range``
    and a random phase, with its own dance seed; a different ``seed`` gives other clips.
    Returns ``clips [N, frames, 268]`` float32 (the 134 (x, y) keypoints of a frame, flattened,
    N = clips_per_dancer * number of dancers) and ``labels [N]`` int64, dancer by dancer.
    """
    clips_per_dancer = _int(clips_per_dancer, "clips_per_dancer", 1)
    frames = _int(frames, "frames", 2)
    fps = _int(fps, "fps", 1)
    seed = _int(seed, "seed", 0)
    if not (isinstance(bpm_range, (tuple, list)) and len(bpm_range) == 2):
        raise TypeError(f"bpm_range must be a pair (low, high), got {bpm_range!r}")
    low = _real(bpm_range[0], "bpm_range[0]", 0.0)
    high = _real(bpm_range[1], "bpm_range[1]", 0.0)
    if high < low:
        raise ValueError(f"bpm_range must be (low, high) with low <= high, got {tuple(bpm_range)}")
    rng = np.random.default_rng((seed, 8))
    seconds = frames / fps
    clips, labels = [], []
    for label, name in enumerate(DANCER_NAMES):
        for k in range(clips_per_dancer):
            period = 60.0 / rng.uniform(low, high)
            beats = np.arange(rng.uniform(0.0, period), seconds + 2 * period, period)
            pose = generate_dance(beats, [], frames, fps=fps, style=name, seed=seed * 100_000 + k)
            clips.append(pose.reshape(frames, -1))
            labels.append(label)
    return torch.from_numpy(np.stack(clips)).float(), torch.tensor(labels, dtype=torch.int64)


# -----------------------------------------------------------------------------
# training a tiny face head with one of the two losses


@dataclass
class EmbeddingRun:
    """A trained miniature face head and what its loss learned.

    ``embed(clips [N, T, D], padding_mask=None) -> [N, dim]`` unit vectors; ``centres [C, dim]``:
    the class directions the loss learned, unit length (ArcFace's centres; for softmax, the
    classifier's weight rows, normalised); ``losses``: the training loss after each step.
    """

    loss: str
    margin: float
    scale: float
    head: nn.Module
    centres: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor
    losses: list[float] = field(default_factory=list)

    @torch.no_grad()
    def embed(self, clips: torch.Tensor, padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        if not isinstance(clips, torch.Tensor) or clips.dim() != 3 or clips.size(-1) != self.mean.numel():
            got = tuple(clips.shape) if isinstance(clips, torch.Tensor) else type(clips).__name__
            raise ValueError(f"clips must be a tensor [N, T, {self.mean.numel()}], got {got}")
        if padding_mask is not None:
            check_padding_mask(padding_mask, clips.size(0), clips.size(1))
        pooled = (masked_mean(clips.float(), padding_mask) - self.mean) / self.std
        return F.normalize(self.head(pooled), dim=-1)


def train_embeddings(clips: torch.Tensor, labels: torch.Tensor, *, loss: str = "arcface", margin: float = 0.5,
                     scale: float = 8.0, dim: int = 3, hidden: int = 32, steps: int = 300, lr: float = 1e-2,
                     seed: int = 0, padding_mask: torch.Tensor | None = None) -> EmbeddingRun:
    """Train a miniature face head, ``mean over time -> Linear(D, hidden) -> GELU -> Linear(hidden, dim)``.

    loss "softmax": a Linear(dim, C) classifier on the head's raw output and cross-entropy (what
    one trains without ArcFace); "arcface": the output is L2-normalised and ``ArcFaceLoss(C, dim,
    scale, margin)`` (margin in radians) scores it against C learnable unit centres.
    Full-batch Adam for ``steps`` steps; the pooled inputs are standardised per column with the
    training clips' statistics. Seeded with ``seed``; the global random state is left untouched.
    """
    clips, labels, padding_mask = _clips_and_labels(clips, labels, padding_mask)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")
    margin = _real(margin, "margin (radians)", 0.0, math.pi / 2, low_open=False)
    scale = _real(scale, "scale", 0.0)
    dim = _int(dim, "dim", 2)
    hidden = _int(hidden, "hidden", 1)
    steps = _int(steps, "steps", 1)
    lr = _real(lr, "lr", 0.0)
    seed = _int(seed, "seed", 0)
    num_classes = int(labels.max()) + 1

    pooled = masked_mean(clips, padding_mask)                                # [N, D]
    mean, std = pooled.mean(dim=0), pooled.std(dim=0, correction=0) + 1e-3
    x = (pooled - mean) / std
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = nn.Sequential(nn.Linear(x.size(1), hidden), nn.GELU(), nn.Linear(hidden, dim))
        scorer = ArcFaceLoss(num_classes, dim, scale=scale, margin=margin) if loss == "arcface" \
            else nn.Linear(dim, num_classes)
    optimiser = torch.optim.Adam([*head.parameters(), *scorer.parameters()], lr=lr)
    losses = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)       # matrices this small run fastest on one thread (and 20x slower on a busy CPU)
    try:
        for _ in range(steps):
            z = head(x)
            value = scorer(z, labels) if loss == "arcface" else F.cross_entropy(scorer(z), labels)
            optimiser.zero_grad()
            value.backward()
            optimiser.step()
            losses.append(value.item())
    finally:
        torch.set_num_threads(threads)
    head.eval()
    centres = F.normalize(scorer.weight.detach(), dim=1)
    return EmbeddingRun(loss, margin if loss == "arcface" else 0.0, scale if loss == "arcface" else 1.0,
                        head, centres, mean, std, losses)


# -----------------------------------------------------------------------------
# measuring: angles within and between the classes


def angle_stats(embeddings: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """How tight and how far apart the classes are, in degrees, for unit ``embeddings [N, dim]``.

    within:   mean angle between an embedding and its class's mean direction
    between:  the smallest angle between two classes' mean directions
    accuracy: the fraction of embeddings nearest (by angle) to their own class's mean direction
    """
    if not isinstance(embeddings, torch.Tensor) or embeddings.dim() != 2 or not embeddings.is_floating_point():
        got = tuple(embeddings.shape) if isinstance(embeddings, torch.Tensor) else type(embeddings).__name__
        raise TypeError(f"embeddings must be a floating-point tensor [N, dim], got {got}")
    if not torch.allclose(embeddings.norm(dim=1), torch.ones(len(embeddings)), atol=1e-4):
        raise ValueError("embeddings must have unit length (L2-normalise them first: F.normalize(x, dim=1))")
    _clips_and_labels(embeddings[:, None, :], labels)
    classes = labels.unique()
    if len(classes) < 2:
        raise ValueError(f"labels must hold at least two classes, got {classes.tolist()}")
    directions = torch.stack([F.normalize(embeddings[labels == c].mean(dim=0), dim=0) for c in classes])
    own = directions[torch.searchsorted(classes, labels)]
    within = torch.rad2deg(torch.acos((embeddings * own).sum(dim=1).clamp(-1.0, 1.0))).mean()
    cos = directions @ directions.T
    cos.fill_diagonal_(-1.0)
    between = torch.rad2deg(torch.acos(cos.max().clamp(-1.0, 1.0)))
    nearest = classes[(embeddings @ directions.T).argmax(dim=1)]
    return {"within": float(within), "between": float(between), "accuracy": float((nearest == labels).float().mean())}


def angle_table(rows: dict[str, dict[str, float]]) -> str:
    """A text table of ``angle_stats`` results, one row per name (e.g. "softmax", "ArcFace")."""
    if not isinstance(rows, dict) or not rows:
        raise TypeError(f"rows must be a non-empty dict {{name: angle_stats(...)}}, got {type(rows).__name__}")
    width = max(12, *(len(str(name)) for name in rows))
    header = f"{'loss':<{width}} {'within (deg)':>12} {'between (deg)':>13} {'between / within':>16} {'nearest':>8}"
    lines = [header, "-" * len(header)]
    for name, stats in rows.items():
        if not isinstance(stats, dict) or not {"within", "between", "accuracy"} <= set(stats):
            raise ValueError(f"row {name!r} must be a dict from angle_stats (within, between, accuracy), got {stats!r}")
        ratio = stats["between"] / max(stats["within"], 1e-9)
        lines.append(f"{name:<{width}} {stats['within']:12.1f} {stats['between']:13.1f} {ratio:16.1f} "
                     f"{stats['accuracy']:8.0%}")
    return "\n".join(lines)


# -----------------------------------------------------------------------------
# the margin, as a curve


def target_logit(theta: torch.Tensor, margin: float) -> torch.Tensor:
    """ArcFace's logit of the true class (before the scale) at angle ``theta`` (radians, in [0, pi]).

    ``cos(theta + m)`` while ``theta + m <= pi``; beyond, where that cosine would rise again and
    reward a worse angle, ``cos(theta) - m sin(m)`` (what ``ArcFaceLoss`` does).
    """
    if not isinstance(theta, torch.Tensor) or not theta.is_floating_point():
        raise TypeError(f"theta must be a floating-point tensor of angles in radians, got {type(theta).__name__}")
    if theta.numel() and (float(theta.min()) < 0 or float(theta.max()) > math.pi + 1e-6):
        raise ValueError(f"theta must be angles in [0, pi] radians, got values from {float(theta.min()):.3g} "
                         f"to {float(theta.max()):.3g}")
    margin = _real(margin, "margin (radians)", 0.0, math.pi / 2, low_open=False)
    return torch.where(theta + margin <= math.pi, torch.cos(theta + margin),
                       torch.cos(theta) - margin * math.sin(margin))


def plot_target_logit(margin: float = 0.5, scale: float = 64.0) -> plt.Figure:
    """The true class's logit against its angle: softmax's ``s cos(theta)`` and ArcFace's
    ``s cos(theta + m)``, with the fallback beyond ``pi - m``. Returns the Figure."""
    margin = _real(margin, "margin (radians)", 0.0, math.pi / 2, low_open=False)
    scale = _real(scale, "scale", 0.0)
    theta = torch.linspace(0.0, math.pi, 361)
    degrees = torch.rad2deg(theta).numpy()
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(degrees, scale * torch.cos(theta).numpy(), color="0.5", label="no margin: s cos(θ)")
    ax.plot(degrees, scale * target_logit(theta, margin).numpy(), color="C3",
            label=f"ArcFace: s cos(θ + m), m = {math.degrees(margin):.1f}°")
    if margin > 0:
        beyond = theta + margin > math.pi
        ax.plot(degrees[beyond.numpy()], scale * torch.cos(theta[beyond] + margin).numpy(), color="C3", lw=1,
                ls="--", alpha=0.6, label="s cos(θ + m) as written: rises again")
        ax.axvline(180 - math.degrees(margin), color="C3", lw=0.8, ls=":")
        ax.annotate("θ + m = 180°: fallback\ns (cos θ − m sin m)", (180 - math.degrees(margin), 0.55 * scale),
                    fontsize=8, ha="right")
    ax.axhline(0, color="0.8", lw=0.5)
    ax.set_xlabel("θ: angle between the clip and its own dancer's centre (degrees)")
    ax.set_ylabel("logit of the true class")
    ax.set_xticks(range(0, 181, 30))
    ax.set_title(f"the margin costs the true class {math.degrees(margin):.1f}° (s = {scale:g})", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


# -----------------------------------------------------------------------------
# drawing the embeddings on the circle or the sphere


def _draw_one(ax, e: np.ndarray, labels: np.ndarray, names, title: str) -> None:
    colors = [f"C{i}" for i in range(10)]
    if e.shape[1] == 2:
        circle = np.linspace(0, 2 * np.pi, 200)
        ax.plot(np.cos(circle), np.sin(circle), color="0.85", lw=1)
        for c in np.unique(labels):
            ax.scatter(*e[labels == c].T, s=12, color=colors[c % 10], label=names[c])
        ax.set_aspect("equal")
        ax.set_xlim(-1.15, 1.15)
        ax.set_ylim(-1.15, 1.15)
        ax.axis("off")
    else:
        u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 25), np.linspace(0, np.pi, 13))
        ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="0.88", lw=0.5)
        for c in np.unique(labels):
            ax.scatter(*e[labels == c, :3].T, s=10, color=colors[c % 10], label=names[c], depthshade=False)
        ax.set_box_aspect((1, 1, 1), zoom=1.3)
        ax.set_xlim(-1, 1)
        ax.set_ylim(-1, 1)
        ax.set_zlim(-1, 1)
        ax.set_axis_off()
        ax.view_init(elev=20, azim=35)
    ax.set_title(title, fontsize=9)


def plot_embeddings(runs: dict[str, torch.Tensor], labels: torch.Tensor, names=None) -> plt.Figure:
    """One panel per entry of ``runs`` ``{title: unit embeddings [N, 2 or 3]}``: the clips on the
    unit circle (2 dims) or sphere (3 dims), coloured by ``labels``; ``names``: the class names
    (default ``DANCER_NAMES``). Each panel's title gets the within / between angles. Returns the Figure."""
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be a non-empty dict {{title: embeddings [N, 2 or 3]}}, got {type(runs).__name__}")
    dims = {e.size(1) if isinstance(e, torch.Tensor) and e.dim() == 2 else None for e in runs.values()}
    if len(dims) != 1 or dims.pop() not in (2, 3):
        raise ValueError("every entry of runs must be unit embeddings [N, 2] or [N, 3], all with the same width")
    names = list(DANCER_NAMES) if names is None else list(names)
    if int(labels.max()) >= len(names):
        raise ValueError(f"names must name every class: {len(names)} names for labels up to {int(labels.max())}")
    dim = next(iter(runs.values())).size(1)
    fig = plt.figure(figsize=(3.5 * len(runs), 3.4))
    for k, (title, e) in enumerate(runs.items()):
        stats = angle_stats(e, labels)
        ax = fig.add_subplot(1, len(runs), k + 1, **({"projection": "3d"} if dim == 3 else {}))
        _draw_one(ax, e.detach().cpu().numpy(), labels.cpu().numpy(), names,
                  f"{title}\nwithin {stats['within']:.0f}°, between {stats['between']:.0f}°")
    fig.axes[-1].legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.1, -0.05), markerscale=1.5)
    fig.subplots_adjust(left=0.0, right=0.95, bottom=0.02, top=0.86, wspace=0.05)
    return fig


# -----------------------------------------------------------------------------
# the widget


def arcface_explorer_widget(train: tuple[torch.Tensor, torch.Tensor],
                            test: tuple[torch.Tensor, torch.Tensor] | None = None, *,
                            dim: int = 3, steps: int = 300, seed: int = 0) -> widgets.VBox:
    """Move the margin m (degrees) and the scale s; the miniature face head is retrained with
    ArcFace (about a second) and drawn next to plain softmax's, on the ``test`` clips.

    train, test: ``(clips [N, T, D], labels [N])`` as from ``dancer_clips`` (test defaults to train).
    Returns the VBox to display: the sliders, a table (an HTML widget) and the figure (an Output).
    """
    test = train if test is None else test
    _clips_and_labels(*train)
    _clips_and_labels(*test)
    softmax = train_embeddings(*train, loss="softmax", dim=dim, steps=steps, seed=seed)
    soft_stats = angle_stats(softmax.embed(test[0]), test[1])
    table = widgets.HTML()

    def show(margin_degrees: float, scale: float) -> None:
        arc = train_embeddings(*train, loss="arcface", margin=math.radians(margin_degrees), scale=scale,
                               dim=dim, steps=steps, seed=seed)
        label = f"ArcFace m={margin_degrees:g}° s={scale:g}"
        embeddings = {"plain softmax": softmax.embed(test[0]), label: arc.embed(test[0])}
        text = angle_table({"plain softmax": soft_stats, label: angle_stats(embeddings[label], test[1])})
        table.value = f"<pre>{html.escape(text)}</pre>"
        plot_embeddings(embeddings, test[1])
        plt.show()

    controls = {
        "margin_degrees": widgets.FloatSlider(value=28.6, min=0.0, max=60.0, step=0.1, description=_("m (degrees)"),
                                              continuous_update=False),
        "scale": widgets.FloatSlider(value=8.0, min=1.0, max=64.0, step=1.0, description=_("s (scale)"),
                                     continuous_update=False),
    }
    out = widgets.interactive_output(show, controls)
    header = widgets.HTML("<b>" + html.escape(_("ArcFace explorer: the dancers' clips on the sphere, plain softmax vs "
                                                "ArcFace(m, s)"), quote=False) + "</b>")
    return widgets.VBox([header, widgets.HBox(list(controls.values())), table, out])
