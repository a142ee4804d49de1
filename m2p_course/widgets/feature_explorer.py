"""The feature explorer: pick one feature group and a time window, see its values.

Plain functions do the work (the tests call them; notebook 01 shows their output)::

    row_labels(group)                                        -> names of the group's rows
    feature_window(features, group, start, length, recipe)   -> FeatureWindow (values [size, n])
    plot_feature_window(window, beat_times=None)             -> matplotlib Figure

and ``feature_explorer_widget(features, ...)`` wires a Dropdown (the group) and two sliders (start
and length in seconds) to them. ``features`` is either the per-frame descriptors
``[T, recipe.frame_dim]`` (``frame_descriptors``) or the stacked matrix ``[T, recipe.dim]``
(``extract_music_features``); from the stacked matrix the centre frame's block is read, which
holds exactly the same values.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from ..checks import check_real
from ..features import DEFAULT_RECIPE, FeatureGroup, FeatureRecipe
from ..i18n import _
from ._panel import panel

__all__ = ["FeatureWindow", "row_labels", "feature_window", "plot_feature_window", "feature_explorer_widget"]

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
TONNETZ_AXES = ("fifths x", "fifths y", "minor 3rds x", "minor 3rds y", "major 3rds x", "major 3rds y")
SINGLE_ROW_LABELS = {"onset_envelope": "onset strength", "local_tempo": "log2(bpm / 120)",
                     "beat": "beat", "onset_peak": "onset peak"}
ZSCORE_LIMIT = 3.0  # colour scale of z-scored groups: -3 .. +3 standard deviations
MAX_WINDOW_SECONDS = 10.0


@dataclass(frozen=True)
class FeatureWindow:
    """One group's values over a time window.

    values: [size, n] float32, row i = the group's value i, column = one pose frame.
    frames: (n,) the pose-frame indices t; times: (n,) their instants t / fps in seconds.
    """

    group: str
    values: np.ndarray
    frames: np.ndarray
    times: np.ndarray
    row_labels: tuple[str, ...]
    normalisation: str
    description: str


def row_labels(group: FeatureGroup) -> tuple[str, ...]:
    """The names of a group's rows: ("MFCC 0", ...), ("C", "C#", ...), ("band 0", ...), ...

    group: a FeatureGroup. Returns a tuple of group.size strings.
    """
    if not isinstance(group, FeatureGroup):
        raise TypeError(f"expected a FeatureGroup, got {type(group).__name__}")
    if group.name == "mfcc":
        return tuple(f"MFCC {i}" for i in range(group.size))
    if group.name == "chroma":
        return PITCH_CLASSES
    if group.name == "spectral_contrast":  # octave bands from low to high; the last one reaches Nyquist
        return tuple(f"band {i}" for i in range(group.size))
    if group.name == "tonnetz":
        return TONNETZ_AXES
    return (SINGLE_ROW_LABELS[group.name],)


def _group_block(features, recipe: FeatureRecipe) -> np.ndarray:
    """[T, frame_dim] or [T, dim] -> the [T, frame_dim] descriptors (the centre block of a stacked row)."""
    if not isinstance(recipe, FeatureRecipe):
        raise TypeError(f"recipe must be a FeatureRecipe, got {type(recipe).__name__}")
    if not isinstance(features, np.ndarray) or not np.issubdtype(features.dtype, np.floating):
        hint = " (use tensor.numpy())" if type(features).__module__.startswith("torch") else ""
        kind = f"{type(features).__name__}" + (f" of dtype {features.dtype}" if hasattr(features, "dtype") else "")
        raise TypeError(f"features must be a float numpy array, got {kind}{hint}")
    widths = {recipe.frame_dim, recipe.dim}
    if features.ndim != 2 or features.shape[0] == 0 or features.shape[1] not in widths:
        raise ValueError(
            f"expected features [T, {recipe.frame_dim}] (per-frame descriptors) or [T, {recipe.dim}] (stacked) "
            f"for recipe {recipe.name!r}, with T >= 1, got shape {features.shape}"
        )
    if features.shape[1] == recipe.frame_dim:
        return features
    start = (recipe.context // 2) * recipe.frame_dim  # offset 0: the frame itself
    return features[:, start:start + recipe.frame_dim]


def feature_window(features: np.ndarray, group: str, start: float = 0.0, length: float = 4.0, *,
                   recipe: FeatureRecipe = DEFAULT_RECIPE, fps: int = 30) -> FeatureWindow:
    """One group's values from `start` seconds for `length` seconds.

    features: [T, recipe.frame_dim] descriptors or [T, recipe.dim] stacked features (float).
    group: a group name of the recipe ("mfcc", "chroma", ...).
    start, length: seconds; frames round(start * fps) .. round(start * fps) + round(length * fps) - 1,
    cut at the clip's end (at least one frame). fps: pose frames per second.
    Returns a FeatureWindow with values [group size, n frames].
    """
    descriptors = _group_block(features, recipe)
    names = [g.name for g in recipe.groups]
    if not isinstance(group, str):
        raise TypeError(f"group must be a group name (str), one of {names}, got {type(group).__name__}")
    if group not in names:
        raise ValueError(f"recipe {recipe.name!r} has no group {group!r}; its groups are {names}")
    if isinstance(fps, bool) or not isinstance(fps, numbers.Integral) or fps <= 0:
        raise ValueError(f"fps must be a positive int, got {fps!r}")
    start = check_real(start, "start (seconds)", 0)
    length = check_real(length, "length (seconds)", 0, low_open=True)
    n_frames = descriptors.shape[0]
    first = round(start * fps)
    if first >= n_frames:
        raise ValueError(f"start={start:g} s is past the end of the clip ({n_frames} frames = "
                         f"{n_frames / fps:g} s at {fps} fps)")
    stop = min(n_frames, first + max(1, round(length * fps)))
    spec = recipe.groups[names.index(group)]
    frames = np.arange(first, stop)
    return FeatureWindow(
        group=group,
        values=np.ascontiguousarray(descriptors[first:stop, recipe.group_columns(group)].T, dtype=np.float32),
        frames=frames,
        times=frames / fps,
        row_labels=row_labels(spec),
        normalisation=spec.normalisation,
        description=spec.description,
    )


def _single_row_limits(row: np.ndarray, normalisation: str) -> tuple[float, float]:
    """y-limits of a one-row plot: 0/1 flags in full view, else at least -1..1, so that a nearly
    constant row (a steady tempo: log2(120 / 120) = 0) is drawn flat rather than magnified."""
    if normalisation == "0/1":
        return -0.1, 1.1
    low, high = min(float(row.min()), -1.0), max(float(row.max()), 1.0)
    margin = 0.05 * (high - low)
    return low - margin, high + margin


def plot_feature_window(window: FeatureWindow, beat_times=None, figsize=(7, 2.6)):
    """Draw a FeatureWindow: a heatmap (rows x time) for a multi-row group, a curve for one row.

    beat_times: optional (k,) seconds; those inside the window are drawn as dotted lines.
    Returns the matplotlib Figure (not shown; call plt.show() in a notebook).
    """
    if not isinstance(window, FeatureWindow):
        raise TypeError(f"expected a FeatureWindow from feature_window(...), got {type(window).__name__}")
    values, times = window.values, window.times
    step = times[1] - times[0] if len(times) > 1 else 1.0
    fig, ax = plt.subplots(figsize=figsize)
    if values.shape[0] > 1:
        limit = ZSCORE_LIMIT if window.normalisation.startswith("z-score") else float(np.abs(values).max()) or 1.0
        image = ax.imshow(values, aspect="auto", origin="lower", cmap="coolwarm", vmin=-limit, vmax=limit,
                          interpolation="nearest",
                          extent=(times[0] - step / 2, times[-1] + step / 2, -0.5, values.shape[0] - 0.5))
        every = max(1, math.ceil(values.shape[0] / 12))
        ticks = np.arange(0, values.shape[0], every)
        ax.set_yticks(ticks, [window.row_labels[i] for i in ticks], fontsize=7)
        fig.colorbar(image, ax=ax, pad=0.01, label=window.normalisation)
    else:
        draw = ax.step if window.normalisation == "0/1" else ax.plot
        kwargs = {"where": "mid"} if window.normalisation == "0/1" else {}
        draw(times, values[0], color="C0", lw=1.2, **kwargs)
        ax.set_ylim(*_single_row_limits(values[0], window.normalisation))
        ax.set_ylabel(window.row_labels[0], fontsize=8)
        ax.set_xlim(times[0] - step / 2, times[-1] + step / 2)
    if beat_times is not None:
        beats = np.asarray(beat_times, dtype=float)
        if beats.ndim != 1:
            raise ValueError(f"beat_times must be 1-D seconds, got shape {beats.shape}")
        for beat in beats[(beats >= times[0] - step / 2) & (beats <= times[-1] + step / 2)]:
            ax.axvline(beat, color="k", ls=":", lw=0.8)
    ax.set_xlabel("time (s)")
    ax.set_title(f"{window.group} [{values.shape[0]} x {values.shape[1]} frames]: {window.description}",
                 fontsize=9)
    fig.tight_layout()
    return fig


def feature_explorer_widget(features: np.ndarray, *, recipe: FeatureRecipe = DEFAULT_RECIPE, fps: int = 30,
                     beat_times=None) -> widgets.VBox:
    """A Dropdown for the group, sliders for start and length (seconds), and the group's figure.

    features: [T, recipe.frame_dim] or [T, recipe.dim] float numpy array. beat_times: optional
    (k,) seconds drawn as dotted lines (a "show beats" checkbox turns them on and off).
    Returns an ipywidgets VBox.
    """
    first = feature_window(features, recipe.groups[0].name, 0.0, 1.0 / fps, recipe=recipe, fps=fps)  # checks
    duration = _group_block(features, recipe).shape[0] / fps
    step = 0.1
    longest = min(MAX_WINDOW_SECONDS, duration)
    controls = {
        "group": widgets.Dropdown(options=[g.name for g in recipe.groups], value=first.group, description=_("group")),
        "start": widgets.FloatSlider(value=0.0, min=0.0, max=max(0.0, math.floor((duration - 1 / fps) / step) * step),
                                     step=step, description=_("start (s)"), continuous_update=False),
        "length": widgets.FloatSlider(value=min(4.0, longest), min=min(0.5, longest), max=longest, step=step,
                                      description=_("length (s)"), continuous_update=False),
    }
    if beat_times is not None:
        controls["show_beats"] = widgets.Checkbox(value=True, description=_("show beats"))

    def show(group, start, length, show_beats=False):
        window = feature_window(features, group, start, length, recipe=recipe, fps=fps)
        print(_("{group}: values [{rows}, {columns}] = frames {first}..{last} ({normalisation})").format(
            group=group, rows=window.values.shape[0], columns=window.values.shape[1], first=window.frames[0],
            last=window.frames[-1], normalisation=window.normalisation))
        plot_feature_window(window, beat_times if show_beats else None)
        plt.show()

    return panel(show, controls, title=_("Feature explorer: one group of the per-frame descriptor"))
