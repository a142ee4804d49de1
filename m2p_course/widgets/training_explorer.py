"""Training explorer: a training run's history, and a trained model's dance beside the truth.

The plain functions do the work (the tests and notebook 10 call them directly)::

    fig = plot_history(result.history); plt.show()          # losses per step, held-out figures
    print(history_table(result.history))
    dances = dance_songs(model, val_set, clips=[0, 1, 2, 3])  # SongDance: predicted and true [T, 134, 2]
    print(score_table(dances))                               # keypoint error, BAS of model and truth
    fig = plot_dance_frame(dances[0], frame=60); plt.show()  # both poses at one frame, the error over time
    html = comparison_html(dances[0], audio=song.audio, sr=song.sr)   # both dancing (a GIF), with the music
    embed, dancer = face_embeddings(model, val_set)          # [N, E], [N]: one per window of each clip
    points, explained = pca_2d(embed)                        # [N, 2], the share of variance each axis keeps
    fig = plot_face_embeddings(points, dancer, val_set.dancer_names); plt.show()

``training_explorer_widget(dances)`` wires a song picker and a frame slider to
``plot_dance_frame`` and ``frame_summary``. Poses are in the course's frame ([-1, 1], y down).
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from ..checks import check_frame_indices, check_int, check_positive_int
from ..i18n import N_, _
from ..keypoints import check_pose
from ._panel import panel

__all__ = ["SongDance", "frame_errors", "dance_songs", "score_table", "frame_summary", "plot_dance_frame",
           "plot_history", "history_table", "face_embeddings", "pca_2d", "plot_face_embeddings",
           "comparison_gif", "comparison_html", "training_explorer_widget"]

MODEL_COLOR, TRUTH_COLOR = "#d62728", "#1f77b4"
DANCER_COLORS = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628")


# -----------------------------------------------------------------------------
# one song danced


def _dance_pair(predicted, truth) -> tuple[np.ndarray, np.ndarray]:
    """Check two dances [T, 134, 2] of the same length; return them as numpy float32."""
    predicted, truth = check_pose(predicted, name="predicted"), check_pose(truth, name="truth")
    for name, pose in (("predicted", predicted), ("truth", truth)):
        if pose.ndim != 3:
            raise ValueError(f"{name} must be a dance of shape [T, 134, 2], got shape {pose.shape}")
    if predicted.shape != truth.shape:
        raise ValueError(f"predicted and truth must have the same shape [T, 134, 2], got {predicted.shape} "
                         f"and {truth.shape}")
    return predicted, truth


def frame_errors(predicted, truth) -> np.ndarray:
    """The keypoint error of every frame: predicted, truth [T, 134, 2] -> [T] float64.

    Frame t's error is the mean over the 134 keypoints of the distance between the predicted and
    the true (x, y), in the [-1, 1] frame; its mean over t is ``evaluate``'s ``keypoint_error``.
    """
    predicted, truth = _dance_pair(predicted, truth)
    return np.linalg.norm(predicted.astype(np.float64) - truth, axis=-1).mean(axis=-1)


@dataclass(frozen=True)
class SongDance:
    """One song danced by a model, beside its ground truth.

    name:        a label for menus ("song 3 · robot, 121.5 BPM")
    predicted:   [T, 134, 2] float32, the model's dance
    truth:       [T, 134, 2] float32, the synthetic ground truth
    beat_frames: [M] int64, the music's beats (frame indices)
    dancer:      the dancer's name
    fps:         frames per second
    reference:   what `truth` is, for the pictures' titles ("the ground truth"; for a real recording,
                 "the course's choreography": no dance was ever recorded to it)
    """

    name: str
    predicted: np.ndarray
    truth: np.ndarray
    beat_frames: np.ndarray
    dancer: str = ""
    fps: int = 30
    reference: str = N_("the ground truth")

    def __post_init__(self):
        predicted, truth = _dance_pair(self.predicted, self.truth)
        object.__setattr__(self, "predicted", predicted)
        object.__setattr__(self, "truth", truth)
        object.__setattr__(self, "beat_frames", check_frame_indices(self.beat_frames, "beat_frames", len(truth)))
        object.__setattr__(self, "fps", check_positive_int(self.fps, "fps"))

    @property
    def num_frames(self) -> int:
        return len(self.truth)

    @property
    def errors(self) -> np.ndarray:
        """[T] keypoint error per frame (``frame_errors``)."""
        return frame_errors(self.predicted, self.truth)

    def scores(self) -> dict:
        """{"error": mean keypoint error, "bas": the model's BAS, "bas_truth": the ground truth's}."""
        from ..synthetic.metrics import beat_alignment_score

        return {"error": float(self.errors.mean()),
                "bas": beat_alignment_score(self.predicted, self.beat_frames),
                "bas_truth": beat_alignment_score(self.truth, self.beat_frames)}


def dance_songs(model, dataset, clips=None, window: int = 120, overlap: int = 30) -> list[SongDance]:
    """Let a spatial M2PEncoder dance clips of a SyntheticDanceDataset: a list of SongDance.

    clips:   indices into the dataset (default: all of them)
    window, overlap: as ``predict_dance`` (the model's training window, cross-faded seams)
    Each clip's music [T, D] becomes predicted poses [T, 134, 2] beside the clip's "pose".
    """
    from ..inference import predict_dance

    if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
        raise TypeError(f"dataset must be a SyntheticDanceDataset (items with 'music', 'pose', 'beat_frames'), "
                        f"got {type(dataset).__name__}")
    if clips is None:
        clips = range(len(dataset))
    if isinstance(clips, (str, bytes)) or not hasattr(clips, "__iter__"):
        raise TypeError(f"clips must be a list of clip indices, got {type(clips).__name__} {clips!r}")
    clips = [check_int(i, f"clips[{k}]", 0, len(dataset) - 1) for k, i in enumerate(clips)]
    if not clips:
        raise ValueError("clips must name at least one clip, got an empty list")
    dances = []
    for i in clips:
        item = dataset[i]
        predicted = predict_dance(model, item["music"], window=window, overlap=overlap)
        style, bpm = item.get("style", ""), item.get("bpm")
        name = f"song {i}" + (f" · {style}" if style else "") + (f", {bpm:g} BPM" if bpm is not None else "")
        dances.append(SongDance(name, predicted, item["pose"].numpy(), item["beat_frames"].numpy(), style))
    return dances


def score_table(dances) -> str:
    """A text table: each song's keypoint error, the model's BAS and the ground truth's, and their means."""
    dances = _dances(dances)
    rows = [(d.name, d.scores()) for d in dances]
    width = max(len("song"), *(len(name) for name, _ in rows))
    lines = [f"{'song':{width}s}  keypoint error  BAS model  BAS truth", "-" * (width + 41)]
    for name, s in rows:
        lines.append(f"{name:{width}s}  {s['error']:14.3f}  {s['bas']:9.3f}  {s['bas_truth']:9.3f}")
    means = {k: float(np.mean([s[k] for _, s in rows])) for k in ("error", "bas", "bas_truth")}
    lines.append(f"{'mean':{width}s}  {means['error']:14.3f}  {means['bas']:9.3f}  {means['bas_truth']:9.3f}")
    return "\n".join(lines)


def _dances(dances) -> list[SongDance]:
    if isinstance(dances, SongDance):
        return [dances]
    if not isinstance(dances, (list, tuple)) or not dances or not all(isinstance(d, SongDance) for d in dances):
        raise TypeError(f"dances must be a non-empty list of SongDance (from dance_songs), got {dances!r:.80}")
    return list(dances)


def _frame(dance: SongDance, frame) -> int:
    if not isinstance(dance, SongDance):
        raise TypeError(f"dance must be a SongDance (from dance_songs), got {type(dance).__name__}")
    return check_int(frame, "frame", 0, dance.num_frames - 1)


def frame_summary(dance: SongDance, frame: int) -> str:
    """One line about a frame: its time, its keypoint error against the song's mean, the nearest beat."""
    frame = _frame(dance, frame)
    errors = dance.errors
    text = _("{name}: frame {frame} of {frames} ({seconds:.2f} s), keypoint error {error:.3f} (the song's mean "
             "{mean:.3f})").format(name=dance.name, frame=frame, frames=dance.num_frames, seconds=frame / dance.fps,
                                   error=errors[frame], mean=errors.mean())
    if dance.beat_frames.size:
        nearest = int(dance.beat_frames[np.abs(dance.beat_frames - frame).argmin()])
        offset = nearest - frame
        if offset == 0:
            where = _("on a beat (frame {nearest})")
        elif offset > 0:
            where = _("{n} frames before a beat (frame {nearest})")
        else:
            where = _("{n} frames after a beat (frame {nearest})")
        text += "; " + where.format(n=abs(offset), nearest=nearest)
    return text


def plot_dance_frame(dance: SongDance, frame: int, *, overlay: bool = False):
    """The model's pose and the truth's at one frame, and the keypoint error over the song: a Figure.

    Left: both poses (side by side, or drawn over each other with ``overlay=True``, the model red,
    the truth blue). Right: the error of every frame, the music's beats as grey lines, the frame marked.
    """
    from ..viz import draw_pose

    frame = _frame(dance, frame)
    if not isinstance(overlay, bool):
        raise TypeError(f"overlay must be True or False, got {type(overlay).__name__} {overlay!r}")
    fig = plt.figure(figsize=(9, 3))
    grid = fig.add_gridspec(1, 3 if not overlay else 2, width_ratios=[1, 1, 1.6] if not overlay else [1, 1.6])
    if overlay:
        ax = fig.add_subplot(grid[0])
        draw_pose(dance.truth[frame], ax, color_by_group=False, color=TRUTH_COLOR, show_points=False)
        draw_pose(dance.predicted[frame], ax, color_by_group=False, color=MODEL_COLOR, show_points=False,
                  title="model (red) over truth (blue)")
    else:
        draw_pose(dance.predicted[frame], fig.add_subplot(grid[0]), title="the model")
        draw_pose(dance.truth[frame], fig.add_subplot(grid[1]), title="the ground truth")
    ax = fig.add_subplot(grid[-1])
    seconds = np.arange(dance.num_frames) / dance.fps
    for beat in dance.beat_frames:
        ax.axvline(beat / dance.fps, color="0.85", lw=0.8, zorder=0)
    errors = dance.errors
    ax.plot(seconds, errors, color="0.2", lw=1)
    ax.plot(seconds[frame], errors[frame], "o", color=MODEL_COLOR)
    ax.set_xlabel("time (s); grey lines: the beats")
    ax.set_ylabel("keypoint error")
    ax.set_ylim(0, max(float(errors.max()) * 1.15, 1e-3))
    ax.set_title(f"{dance.name}, t = {frame / dance.fps:.2f} s", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


# -----------------------------------------------------------------------------
# a training run's history (train(...).history)

_LOSS_PARTS = ("loss", "position", "velocity", "speed", "heatmap", "arcface")
_VAL_CURVES = (("error_ratio", "keypoint error / mean pose's", "o-"), ("bas_ratio", "BAS / ground truth's", "s-"),
               ("dancer_accuracy", "dancer identified", "^-"))


def _history(history) -> dict:
    if not isinstance(history, dict) or "step" not in history or "loss" not in history:
        raise TypeError(f"history must be the dict of a training run (train(...).history, or metrics.json's "
                        f"'history'), with 'step' and 'loss' lists, got {type(history).__name__}")
    if len(history["step"]) != len(history["loss"]) or not history["step"]:
        raise ValueError(f"history must hold one loss per step, got {len(history['step'])} steps and "
                         f"{len(history['loss'])} losses")
    return history


def _smooth(values, width: int) -> np.ndarray:
    """A running mean over ``width`` steps (shorter at the start), same length."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    starts = np.maximum(np.arange(1, len(values) + 1) - width, 0)
    return (sums[1:] - sums[starts]) / (np.arange(1, len(values) + 1) - starts)


def plot_history(history, *, smooth: int = 10):
    """The training loss and its parts per step (log scale, each a running mean of ``smooth`` steps) and the
    held-out figures at each validation: a Figure of two panels."""
    history = _history(history)
    smooth = check_positive_int(smooth, "smooth")
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.2))
    steps = history["step"]
    for name in _LOSS_PARTS:
        values = history.get(name) or []
        if len(values) == len(steps):
            ax.plot(steps, _smooth(values, smooth), lw=1.2, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title(f"training loss and its parts (mean of {smooth} steps)", fontsize=9)
    ax.legend(frameon=False, fontsize=7)
    val = history.get("val") or []
    if val:
        at = [v["step"] for v in val]
        for key, label, style in _VAL_CURVES:
            bx.plot(at, [v[key] for v in val], style, label=label)
        bx.axhline(1.0, color="0.6", lw=0.8, ls=":")
        bx.set_ylim(0, 1.15)
        bx.legend(frameon=False, fontsize=7)
    else:
        bx.text(0.5, 0.5, "no validation yet", ha="center", va="center", transform=bx.transAxes)
    bx.set_xlabel("step")
    bx.set_title("held-out songs", fontsize=9)
    for a in (ax, bx):
        a.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def history_table(history) -> str:
    """The held-out figures of every validation of a run, one line each (or a note that there are none)."""
    history = _history(history)
    val = history.get("val") or []
    if not val:
        return _("{steps} steps, no validation (eval_every is larger than the run)").format(steps=len(history["step"]))
    lines = ["  step  keypoint error (x mean pose's)  BAS (x ground truth's)  dancers identified"]
    for v in val:
        lines.append(f"{v['step']:6d}  {v['keypoint_error']:14.4f} ({v['error_ratio']:.2f} x)      "
                     f"{v['bas']:9.3f} ({v['bas_ratio']:.2f} x)  {v['dancer_accuracy']:17.0%}")
    return "\n".join(lines)


# -----------------------------------------------------------------------------
# face embeddings in two dimensions


@torch.no_grad()
def face_embeddings(model, dataset, window: int = 120) -> tuple[torch.Tensor, torch.Tensor]:
    """The face embedding of every whole window of every clip: ([N, E] float32, [N] int64 dancer labels).

    Each clip [T, D] gives T // window windows of ``window`` frames (as ``evaluate`` embeds its
    clips), so an 8 s clip (240 frames) gives two of 120. The model runs in eval mode.
    """
    from ..model import M2PEncoder

    if not isinstance(model, M2PEncoder):
        raise TypeError(f"model must be an M2PEncoder, got {type(model).__name__}")
    window = check_positive_int(window, "window")
    param = next(model.parameters())
    crops, labels = [], []
    for i in range(len(dataset)):
        item = dataset[i]
        music = item["music"]
        for k in range(len(music) // window):
            crops.append(music[k * window:(k + 1) * window])
            labels.append(int(item["dancer"]))
    if not crops:
        raise ValueError(f"window ({window} frames) must fit in the clips, got clips of "
                         f"{len(dataset[0]['music'])} frames")
    was_training = model.training
    model.eval()
    try:
        batch = torch.stack(crops).to(device=param.device, dtype=param.dtype)
        embed = torch.cat([model(batch[i:i + 16])[1].float().cpu() for i in range(0, len(batch), 16)])
    finally:
        model.train(was_training)
    return embed, torch.tensor(labels, dtype=torch.int64)


def pca_2d(embeddings) -> tuple[np.ndarray, np.ndarray]:
    """Project points [N, E] on their two main axes: ([N, 2] float64, [2] share of the variance of each).

    The points are centred; the axes are the first two right singular vectors, each signed so
    that its largest component is positive (the same points always give the same picture).
    """
    x = embeddings.detach().cpu().double().numpy() if isinstance(embeddings, torch.Tensor) else \
        np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError(f"embeddings must have shape [N, E] with N >= 2 points and E >= 2 dimensions, got "
                         f"shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("embeddings must be finite, got NaN/Inf")
    x = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    axes = vt[:2] * np.sign(vt[:2][np.arange(2), np.abs(vt[:2]).argmax(axis=1)])[:, None]
    total = float((s ** 2).sum())
    explained = (s[:2] ** 2) / total if total > 0 else np.zeros(2)
    return x @ axes.T, explained


def plot_face_embeddings(points, labels, names=None, *, explained=None, title: str | None = None):
    """Points [N, 2] (e.g. ``pca_2d``) coloured by their labels [N]: a Figure with a legend of ``names``."""
    points = np.asarray(points.detach().cpu() if isinstance(points, torch.Tensor) else points, dtype=np.float64)
    labels = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape [N, 2], got shape {points.shape}")
    if labels.shape != (len(points),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be [N] = ({len(points)},) integers, got shape {labels.shape} "
                         f"dtype {labels.dtype}")
    classes = np.unique(labels)
    if names is not None and (len(names) <= classes.max() or classes.min() < 0):
        raise ValueError(f"names must name every label from 0 to {classes.max()}, got {list(names)}")
    fig, ax = plt.subplots(figsize=(4.6, 3.6))
    for c in classes:
        mine = labels == c
        ax.scatter(points[mine, 0], points[mine, 1], s=28, color=DANCER_COLORS[int(c) % len(DANCER_COLORS)],
                   label=names[c] if names is not None else str(c), edgecolors="white", linewidths=0.5)
    if explained is not None:
        ax.set_xlabel(f"first axis ({explained[0]:.0%} of the variance)")
        ax.set_ylabel(f"second axis ({explained[1]:.0%})")
    ax.set_title(title or "face embeddings, first two principal axes", fontsize=9)
    ax.legend(frameon=False, fontsize=8, loc="best")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


# -----------------------------------------------------------------------------
# the model's dance beside the truth, moving, with the music

_PLAYER_JS = """<script>
(function() {{
  var img = document.getElementById("m2p_dance_{id}"), audio = document.getElementById("m2p_music_{id}");
  var gif = img.src, plays = 0;
  audio.addEventListener("play", function() {{
    if (audio.currentTime > 0.05) {{ audio.currentTime = 0; }}
    plays += 1;   /* a new address restarts the GIF at its first frame, together with the music */
    img.src = gif.replace("data:image/gif;", "data:image/gif;play=" + plays + ";");
  }});
}})();
</script>"""


def comparison_gif(dance: SongDance, *, size: int = 240, every: int = 2) -> bytes:
    """The model's dance (left) beside the truth (right) as an animated GIF, at real speed: its bytes.

    ``viz.save_dance_gif`` draws it (``size`` pixels per panel, every ``every``-th frame; a red dot
    flashes on each of the music's beats); about 170 KB for 8 s at the defaults.
    """
    import tempfile
    from pathlib import Path

    from ..viz import save_dance_gif

    if not isinstance(dance, SongDance):
        raise TypeError(f"dance must be a SongDance (from dance_songs), got {type(dance).__name__}")
    with tempfile.TemporaryDirectory() as folder:
        path = save_dance_gif(dance.predicted, Path(folder) / "dance.gif", fps=dance.fps, reference=dance.truth,
                              titles=("the model", dance.reference), size=size, every=every,
                              beats=dance.beat_frames)
        return path.read_bytes()


def _audio_at_most(audio, sr, max_sr: int) -> tuple[np.ndarray, int]:
    """Audio [N] at sr, brought to at most max_sr by an integer factor (anti-aliased); float32."""
    from scipy.signal import decimate

    audio = np.asarray(audio)
    if audio.ndim != 1 or audio.size == 0 or not np.issubdtype(audio.dtype, np.floating):
        raise ValueError(f"audio must be a non-empty 1-D float array of samples, got shape {audio.shape} "
                         f"dtype {audio.dtype}")
    sr = check_positive_int(sr, "sr")
    factor = -(-sr // max_sr)                      # ceil: the smallest factor that gets to max_sr or below
    if factor > 1 and sr % factor == 0 and audio.size > 27 * factor:
        return decimate(audio.astype(np.float64), factor).astype(np.float32), sr // factor
    return audio.astype(np.float32), sr


def comparison_html(dance: SongDance, audio=None, sr: int | None = None, *, size: int = 240, every: int = 2,
                    max_sr: int = 8000) -> str:
    """HTML of the model's dance beside the truth (``comparison_gif``), and the music under it.

    With audio (1-D float samples of the song) and its sample rate sr, an audio player follows the
    GIF: pressing play starts the music and the dance together from the beginning (the page's
    script gives the GIF a new address, which restarts it). A GIF cannot pause, so it keeps
    looping on its own meanwhile. The audio is cut to the dance's length and brought to at most
    ``max_sr`` samples per second (by an integer factor, anti-aliased) to keep the page small:
    8 s at 7680 Hz is 160 KB in the page, the GIF about 230 KB. Without audio: the GIF alone.
    The same dance gives the same HTML (the element ids are a hash of the content).
    """
    import base64
    import hashlib

    from ..viz import _wav_data_uri

    if (audio is None) != (sr is None):
        raise ValueError("audio and sr must come together (samples and their sample rate), "
                         f"got audio={'None' if audio is None else 'given'}, sr={sr!r}")
    max_sr = check_int(max_sr, "max_sr", 1000)
    gif = "data:image/gif;base64," + base64.b64encode(comparison_gif(dance, size=size, every=every)).decode("ascii")
    text = _("{name}: the model (left) and {reference} (right); the red dot flashes on the music's beats").format(
        name=html_lib.escape(dance.name), reference=html_lib.escape(_(dance.reference)))
    caption = f'<div style="font-size:small">{text}</div>'
    if audio is None:
        return f'{caption}<img src="{gif}" alt="{html_lib.escape(dance.name)}">'
    audio, sr = _audio_at_most(audio, sr, max_sr)
    wav = _wav_data_uri(audio, sr, dance.num_frames / dance.fps)
    uid = hashlib.sha1((gif + wav).encode()).hexdigest()[:16]
    return (f'{caption}<img id="m2p_dance_{uid}" src="{gif}" alt="{html_lib.escape(dance.name)}">'
            f'<div style="font-size:small">the music (press play: the dance starts again with it)</div>'
            f'<audio id="m2p_music_{uid}" controls src="{wav}"></audio>' + _PLAYER_JS.format(id=uid))


# -----------------------------------------------------------------------------
# the widget


def training_explorer_widget(dances, frame: int = 0) -> widgets.VBox:
    """A widget over ``plot_dance_frame`` and ``frame_summary``: pick a song, move through its frames.

    Controls: the song (a Dropdown of the dances' names), the frame (a slider; kept when the song
    changes, within the new song's length), and whether to draw the two poses over each other.
    """
    dances = _dances(dances)
    longest = max(d.num_frames for d in dances)
    frame = check_int(frame, "frame", 0, dances[0].num_frames - 1)
    by_name = {d.name: d for d in dances}
    if len(by_name) != len(dances):
        raise ValueError(f"dances must have distinct names, got {[d.name for d in dances]}")

    def show(song: str, frame: int, overlay: bool) -> None:
        dance = by_name[song]
        frame = min(frame, dance.num_frames - 1)
        plot_dance_frame(dance, frame, overlay=overlay)
        plt.show()
        print(frame_summary(dance, frame))

    controls = {
        "song": widgets.Dropdown(options=list(by_name), value=dances[0].name, description=_("song")),
        "frame": widgets.IntSlider(value=frame, min=0, max=longest - 1, description=_("frame"),
                                   continuous_update=False),
        "overlay": widgets.Checkbox(value=False, description=_("draw over each other")),
    }
    return panel(show, controls, title=_("Training explorer: the model's dance against the ground truth"))
