"""Music features: any clip -> a [T, D] float32 matrix, one row per pose frame.

Timing. The audio is resampled to the feature rate fps x hop (30 x 512 = 15360 Hz), so one
STFT hop is exactly one pose frame. Pose frame t is the instant t / fps and stands for the
interval [t / fps, (t + 1) / fps); its STFT window (n_fft = 2048) is centred on t / fps
(librosa's `center=True`). A clip of n samples at sr Hz gives

    T = floor(n * fps / sr)          (integer arithmetic; see `num_pose_frames`)

frames: the pose frames whose whole interval lies inside the clip. Every group is cut to
exactly T rows.

One shared analysis. Every group comes from one STFT of the clip:
    |STFT|          -> spectral contrast
    |STFT|^2        -> 128-band mel spectrogram -> dB -> MFCC, onset envelope (spectral flux)
    |STFT|^2        -> chroma (tuning estimated from the same spectrum; unit L2 norm per frame)
    chroma          -> tonnetz (librosa.feature.tonnetz(chroma=...), not a fresh CQT)
    onset envelope  -> tempogram (8 s window) -> local tempo, and the global tempo that the
                       beat tracker starts from -> beat frames (`track_beats`: librosa's
                       dynamic-programming beat tracker ported to numpy, same beats, but
                       without the 5-30 s of numba compilation librosa.beat costs per process);
                       onset peaks (librosa.onset.onset_detect) for EDGE's baseline.
As in librosa (and so in EDGE and AIST++), the onset envelope and the beats land about one
frame after the sound's attack (librosa shifts the flux by n_fft // (2 * hop) frames).

Normalisation, per group (see `FeatureGroup.normalisation`):
    continuous groups (mfcc, chroma, spectral_contrast, tonnetz, onset_envelope):
        z-score per clip and per column: (x - mean_t x) / max(std_t x, 1e-6), so each column
        has mean 0 and standard deviation 1 over the clip (like cepstral mean/variance
        normalisation; loudness and recording level drop out).
    local_tempo: log2(bpm / 120) on a fixed scale (60 BPM -> -1, 120 -> 0, 240 -> +1), so the
        absolute tempo survives and songs can be compared. The bpm is the tempogram's peak
        (weighted by librosa's log-normal tempo prior, as librosa.feature.tempo does),
        refined to a fractional lag by parabolic interpolation; it follows tempo changes.
    beat, onset_peak: kept as 0/1 indicators.

Context stacking. The per-frame descriptor [T, frame_dim] is stacked over a centred window
of `context` frames, offsets -context//2 .. context - context//2 - 1 (-50..+49 for 100):

    features[t, j * frame_dim + k] = descriptors[reflect(t + j - context // 2), k]

(offset-major columns). Beyond the clip's edges the rows are mirrored (numpy's "reflect"
padding: row -1 is row 1, row T is row T - 2), so the padding looks like music and repeats
no single row: no column is constant when the music is not. (A clip with no beat found,
e.g. a drone or a clip of a second or two, has an all-zero beat column: the truth.)
DEFAULT_RECIPE: 48 values per frame x 100 frames (3.3 s at 30 fps) = 4800, with no
padding columns; a stacked frame is 19 KB of float32, so a dataset can store the
[T, 48] descriptors (`frame_descriptors`) and stack windows on the fly (`stack_context`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import librosa
import numpy as np
from tqdm.auto import tqdm

from .audio import load_audio, validate_audio
from .checks import check_positive_int, check_real

N_MELS = 128
ZSCORE_EPS = 1e-6
MIN_FEATURE_RATE = 8000  # Hz; below this the top octaves of music (and of the contrast bands) vanish
TEMPO_WINDOW_SECONDS = 8.0  # tempogram window, as librosa.feature.tempo's ac_size
TEMPO_REFERENCE_BPM = 120.0
MAX_BPM = 320.0  # as librosa.feature.tempo's max_tempo
CONTRAST_BANDS = 6


# -----------------------------------------------------------------------------
# The shared analysis of one clip


class _Analysis:
    """Lazily computed spectra of one clip at the feature rate, shared by all groups.

    y: (n,) float32 at sr = fps * hop. Each property is [bins, F] or [F] with
    F = 1 + n // hop STFT frames (frame f centred on sample f * hop).
    """

    def __init__(self, y: np.ndarray, sr: int, hop: int, n_fft: int):
        self.y, self.sr, self.hop, self.n_fft = y, sr, hop, n_fft

    @cached_property
    def magnitude(self) -> np.ndarray:  # [1 + n_fft // 2, F]
        return np.abs(librosa.stft(self.y, n_fft=self.n_fft, hop_length=self.hop, center=True))

    @cached_property
    def power(self) -> np.ndarray:  # [1 + n_fft // 2, F]
        return self.magnitude**2

    @cached_property
    def mel_db(self) -> np.ndarray:  # [N_MELS, F], dB below the clip's loudest bin
        mel = librosa.feature.melspectrogram(S=self.power, sr=self.sr, n_mels=N_MELS)
        return librosa.power_to_db(mel, ref=np.max)

    @cached_property
    def chroma(self) -> np.ndarray:  # [12, F], each frame scaled to unit L2 norm
        # Unit L2 norm, not librosa's default max norm: the max norm pins the loudest pitch
        # class at exactly 1.0, which over one held chord makes whole columns constant.
        with warnings.catch_warnings():  # a clip of a frame or two may hold no clear pitch: tuning 0
            warnings.filterwarnings("ignore", message="Trying to estimate tuning from empty")
            tuning = librosa.estimate_tuning(S=self.power, sr=self.sr, n_fft=self.n_fft, bins_per_octave=12)
        return librosa.feature.chroma_stft(S=self.power, sr=self.sr, n_fft=self.n_fft, tuning=tuning, norm=2)

    @cached_property
    def onset_envelope(self) -> np.ndarray:  # [F]
        return librosa.onset.onset_strength(
            S=self.mel_db, sr=self.sr, hop_length=self.hop, n_fft=self.n_fft
        )

    @cached_property
    def tempogram(self) -> np.ndarray:  # [win, F]: autocorrelation of the onset envelope by lag
        win = int(librosa.time_to_frames(TEMPO_WINDOW_SECONDS, sr=self.sr, hop_length=self.hop))
        return librosa.feature.tempogram(
            onset_envelope=self.onset_envelope, sr=self.sr, hop_length=self.hop, win_length=win
        )

    @cached_property
    def beat_frames(self) -> np.ndarray:  # (beats,) frame indices
        global_bpm = librosa.feature.tempo(tg=self.tempogram, sr=self.sr, hop_length=self.hop)
        return track_beats(self.onset_envelope, float(global_bpm[0]), self.sr / self.hop)

    def indicator(self, frames: np.ndarray) -> np.ndarray:
        """(k,) frame indices -> [1, F] with 1.0 at those frames, 0.0 elsewhere."""
        out = np.zeros((1, self.magnitude.shape[1]), dtype=np.float32)
        out[0, frames] = 1.0
        return out


def _local_bpm(tempogram: np.ndarray, sr: int, hop: int) -> np.ndarray:
    """[win, F] tempogram -> (F,) tempo in BPM at each frame.

    The peak of log(1 + 1e6 * tempogram) + log-normal prior (centre 120 BPM, one octave),
    as in librosa.feature.tempo(aggregate=None), then refined to a fractional lag by a
    parabola through the peak and its two neighbours (the integer lags alone would step
    from 120 to 128.6 BPM at 30 fps).
    """
    win = tempogram.shape[0]
    bpms = librosa.tempo_frequencies(win, sr=sr, hop_length=hop)  # bpms[0] = inf (lag 0)
    with np.errstate(divide="ignore"):
        prior = -0.5 * (np.log2(bpms) - np.log2(TEMPO_REFERENCE_BPM)) ** 2
    prior[bpms >= MAX_BPM] = -np.inf
    score = np.log1p(1e6 * tempogram) + prior[:, None]
    peak = np.argmax(score, axis=0)  # (F,)
    inner = np.clip(peak, 1, win - 2)
    cols = np.arange(score.shape[1])
    a, b, c = score[inner - 1, cols], score[inner, cols], score[inner + 1, cols]
    curvature = a - 2 * b + c
    usable = (peak == inner) & np.isfinite(a) & np.isfinite(c) & (curvature < 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(usable, 0.5 * (a - c) / curvature, 0.0)
    lag = peak + np.clip(shift, -0.5, 0.5)
    return 60.0 * sr / (hop * lag)


def track_beats(onset_envelope: np.ndarray, bpm: float, frame_rate: float, tightness: float = 100.0) -> np.ndarray:
    """Beat frames by dynamic programming (Ellis 2007), as librosa.beat.beat_track, in numpy.

    onset_envelope: (F,) onset strength at frame_rate frames per second (fps for the
    features). bpm: the tempo to follow. tightness: how strictly beats keep that tempo.
    Returns (beats,) increasing frame indices; empty if the envelope is all zero.
    The same steps and thresholds as librosa 0.11's beat_track(onset_envelope=..., bpm=...)
    (the same beats; see the tests), without librosa.beat's numba kernels, whose
    compilation costs 5-30 s in every new process.
    """
    if not (isinstance(onset_envelope, np.ndarray) and onset_envelope.ndim == 1 and onset_envelope.size >= 2
            and np.issubdtype(onset_envelope.dtype, np.floating)):
        raise ValueError(f"onset_envelope must be a 1-D float array of at least 2 frames, got {onset_envelope!r:.80}")
    for name, value in (("bpm", bpm), ("frame_rate", frame_rate), ("tightness", tightness)):
        check_real(value, name, 0, low_open=True)
    if np.ptp(onset_envelope) == 0:  # silence, or no change at all: no beats to follow
        return np.zeros(0, dtype=int)
    period = float(np.round(frame_rate * 60.0 / bpm))  # frames per beat
    if period < 2:
        raise ValueError(f"bpm={bpm} at {frame_rate} frames per second leaves under 2 frames per beat")
    # local score: the onset envelope over its standard deviation, smoothed by a Gaussian
    # window of +-1 beat (sigma = period / 32)
    onsets = onset_envelope / onset_envelope.std(ddof=1)
    window = np.exp(-0.5 * (np.arange(-period, period + 1) * 32.0 / period) ** 2)
    local = np.convolve(onsets, window)[int(period): int(period) + len(onsets)]  # "same", even if short
    # forward pass: the best previous beat 0.5 to 2 periods back, penalised for tempo deviation
    n = len(local)
    lags = np.arange(int(np.round(period / 2)), int(2 * period) + 1)
    penalty = tightness * (np.log(lags) - np.log(period)) ** 2
    start_threshold = 0.01 * local.max()
    cumulative, backlink = np.empty(n), np.full(n, -1)
    started = False
    for i in range(n):
        usable = min(max(i - lags[0] + 1, 0), len(lags))  # lags that reach back to frame >= 0
        cumulative[i] = local[i]
        best = -1
        if usable:
            scores = cumulative[i - lags[:usable]] - penalty[:usable]
            k = int(np.argmax(scores))  # the nearest of equal scores, as librosa
            cumulative[i] += scores[k]
            best = i - int(lags[k])
        started = started or local[i] >= start_threshold
        backlink[i] = best if started else -1
    # the last beat: the last local maximum of the cumulative score above half their median
    peaks = np.zeros(n, dtype=bool)
    peaks[1:-1] = (cumulative[1:-1] > cumulative[:-2]) & (cumulative[1:-1] >= cumulative[2:])
    peaks[-1] = cumulative[-1] > cumulative[-2]
    high = peaks & (cumulative >= 0.5 * np.median(cumulative[peaks])) if peaks.any() else peaks
    beat = np.flatnonzero(high)[-1] if high.any() else n - 1
    beats = []
    while beat >= 0:
        beats.append(beat)
        beat = backlink[beat]
    beats = np.array(beats[::-1])
    # trim weak leading and trailing beats: below half the RMS of the smoothed beat scores
    smooth = np.convolve(local[beats], np.hanning(5))[2:n + 2]  # librosa's slice: 2 tail values too
    threshold = 0.5 * np.sqrt(np.mean(smooth**2))
    strong = np.flatnonzero(local > threshold)
    return beats[(beats >= strong[0]) & (beats <= strong[-1])] if len(strong) else beats[:0]


def _contrast_fmin(sr: int) -> float:
    """Lowest band edge for spectral contrast: 200 Hz, lowered so the top octave band
    starts below Nyquist at low feature rates (e.g. 24 fps x 512 = 12288 Hz)."""
    return min(200.0, 0.99 * (sr / 2) / 2 ** (CONTRAST_BANDS - 1))


# -----------------------------------------------------------------------------
# Feature groups and recipes


class _Kind(NamedTuple):
    size: int | None  # None: any size (MFCC: the number of coefficients)
    normalisation: str
    description: str
    compute: Callable[[_Analysis, int], np.ndarray]  # (analysis, size) -> [size, F]


_ZSCORE = "z-score per clip"
_KINDS: dict[str, _Kind] = {
    "mfcc": _Kind(
        None, _ZSCORE, "MFCCs of the 128-band log-mel spectrogram (timbre)",
        lambda a, size: librosa.feature.mfcc(S=a.mel_db, n_mfcc=size),
    ),
    "chroma": _Kind(
        12, _ZSCORE, "energy of the 12 pitch classes C, C#, ..., B from the STFT (harmony)",
        lambda a, size: a.chroma,
    ),
    "spectral_contrast": _Kind(
        CONTRAST_BANDS + 1, _ZSCORE,
        "peak-to-valley contrast in 6 octave bands + the rest (texture)",
        lambda a, size: librosa.feature.spectral_contrast(
            S=a.magnitude, sr=a.sr, n_fft=a.n_fft, hop_length=a.hop,
            fmin=_contrast_fmin(a.sr), n_bands=CONTRAST_BANDS,
        ),
    ),
    "tonnetz": _Kind(
        6, _ZSCORE, "tonal centroid: fifths, minor thirds, major thirds (x, y) from the chroma",
        lambda a, size: librosa.feature.tonnetz(chroma=a.chroma, sr=a.sr),
    ),
    "onset_envelope": _Kind(
        1, _ZSCORE, "onset strength: spectral flux of the log-mel spectrogram",
        lambda a, size: a.onset_envelope[None, :],
    ),
    "local_tempo": _Kind(
        1, "log2(bpm / 120)", "tempo around the frame, from the tempogram's peak",
        lambda a, size: np.log2(_local_bpm(a.tempogram, a.sr, a.hop) / TEMPO_REFERENCE_BPM)[None],
    ),
    "beat": _Kind(
        1, "0/1", "1 on the beats found by librosa's beat tracker, else 0",
        lambda a, size: a.indicator(a.beat_frames),
    ),
    "onset_peak": _Kind(
        1, "0/1", "1 on onset peaks (librosa.onset.onset_detect), else 0",
        lambda a, size: a.indicator(
            librosa.onset.onset_detect(onset_envelope=a.onset_envelope, sr=a.sr, hop_length=a.hop)
        ),
    ),
}


@dataclass(frozen=True)
class FeatureGroup:
    """One per-frame descriptor group: `size` values per frame, named after what it computes.

    name: one of "mfcc", "chroma", "spectral_contrast", "tonnetz", "onset_envelope",
    "local_tempo", "beat", "onset_peak". size: values per frame (fixed for every group but
    mfcc, whose size is the number of coefficients, 1..128).
    """

    name: str
    size: int

    def __post_init__(self):
        if self.name not in _KINDS:
            raise ValueError(f"unknown feature group {self.name!r}; known: {', '.join(_KINDS)}")
        check_positive_int(self.size, f"size of group {self.name!r}")
        fixed = _KINDS[self.name].size
        if fixed is not None and self.size != fixed:
            raise ValueError(f"group {self.name!r} has {fixed} values per frame, got size {self.size}")
        if fixed is None and self.size > N_MELS:
            raise ValueError(f"group {self.name!r} allows 1..{N_MELS} values, got size {self.size}")

    @property
    def normalisation(self) -> str:
        """How the group's values are scaled ("z-score per clip", "0/1", "log2(bpm / 120)")."""
        return _KINDS[self.name].normalisation

    @property
    def description(self) -> str:
        """One line on what the group measures."""
        return _KINDS[self.name].description


@dataclass(frozen=True)
class FeatureRecipe:
    """What the music features are: descriptor groups per frame, stacked over a context window.

    groups: the per-frame groups in column order. context: frames in the centred window.
    hop: STFT hop in samples (feature rate = fps * hop). n_fft: STFT window in samples.
    frame_dim = sum of group sizes; dim = frame_dim * context (the model's music_input_dim).
    """

    groups: tuple[FeatureGroup, ...]
    context: int = 100
    hop: int = 512
    n_fft: int = 2048
    name: str = "custom"

    def __post_init__(self):
        groups = tuple(self.groups) if isinstance(self.groups, (list, tuple)) else None
        if not groups or not all(isinstance(g, FeatureGroup) for g in groups):
            raise TypeError(f"groups must be a non-empty sequence of FeatureGroup, got {self.groups!r}")
        names = [g.name for g in groups]
        if len(set(names)) != len(names):
            raise ValueError(f"each group may appear once, got {names}")
        object.__setattr__(self, "groups", groups)
        for field in ("context", "hop", "n_fft"):
            check_positive_int(getattr(self, field), field)
        if self.n_fft < self.hop:
            raise ValueError(f"n_fft ({self.n_fft}) must be at least hop ({self.hop})")

    @property
    def frame_dim(self) -> int:
        """Values per frame: the sum of the group sizes."""
        return sum(g.size for g in self.groups)

    @property
    def dim(self) -> int:
        """Width of one stacked feature row: frame_dim * context."""
        return self.frame_dim * self.context

    def sample_rate(self, fps: int) -> int:
        """The feature rate fps * hop (Hz), checked to be at least MIN_FEATURE_RATE."""
        rate = check_positive_int(fps, "fps") * self.hop
        if rate < MIN_FEATURE_RATE:
            raise ValueError(
                f"fps x hop = {fps} x {self.hop} = {rate} Hz is below {MIN_FEATURE_RATE} Hz, too "
                f"low for music features; raise fps or the recipe's hop"
            )
        return rate

    def group_columns(self, name: str) -> slice:
        """The columns of group `name` inside one frame descriptor [frame_dim]."""
        start = 0
        for g in self.groups:
            if g.name == name:
                return slice(start, start + g.size)
            start += g.size
        raise KeyError(f"recipe {self.name!r} has no group {name!r}; it has {[g.name for g in self.groups]}")

    def breakdown(self) -> list[dict]:
        """One row per group: {"group", "size", "columns" (range in the frame descriptor),
        "normalisation", "description"}."""
        rows = []
        for g in self.groups:
            cols = self.group_columns(g.name)
            rows.append({
                "group": g.name, "size": g.size, "columns": range(cols.start, cols.stop),
                "normalisation": g.normalisation, "description": g.description,
            })
        return rows

    def describe(self, fps: int = 30) -> str:
        """A readable table of the recipe and its arithmetic, for a notebook to print."""
        half = self.context // 2
        lines = [f"FeatureRecipe {self.name!r}", f"{'group':<18}{'size':>5}  {'columns':<9}normalisation"]
        for row in self.breakdown():
            cols = f"{row['columns'].start}-{row['columns'].stop - 1}"
            lines.append(f"{row['group']:<18}{row['size']:>5}  {cols:<9}{row['normalisation']}")
        if self.context == 1:
            window = ["no context window: each row is one frame", f"= dim {self.dim}"]
        else:
            window = [f"x context {self.context} frames (offsets {-half:+d}..{self.context - half - 1:+d}, "
                      f"{self.context / fps:.2f} s at {fps} fps, reflected at the clip's edges)",
                      f"= dim {self.dim}   column = offset_index * {self.frame_dim} + k"]
        lines += [
            f"{'per frame':<18}{self.frame_dim:>5}",
            *window,
            f"feature rate fps x hop = {fps} x {self.hop} = {fps * self.hop} Hz, n_fft {self.n_fft}",
        ]
        return "\n".join(lines)


DEFAULT_RECIPE = FeatureRecipe(
    groups=(
        FeatureGroup("mfcc", 20),
        FeatureGroup("chroma", 12),
        FeatureGroup("spectral_contrast", 7),
        FeatureGroup("tonnetz", 6),
        FeatureGroup("onset_envelope", 1),
        FeatureGroup("local_tempo", 1),
        FeatureGroup("beat", 1),
    ),
    context=100,
    name="m2p-4800",
)

EDGE_BASELINE_RECIPE = FeatureRecipe(
    groups=(  # EDGE's order; EDGE uses CENS chroma (a CQT), here the shared STFT chroma
        FeatureGroup("onset_envelope", 1),
        FeatureGroup("mfcc", 20),
        FeatureGroup("chroma", 12),
        FeatureGroup("onset_peak", 1),
        FeatureGroup("beat", 1),
    ),
    context=1,
    name="edge-35",
)


# -----------------------------------------------------------------------------
# Extraction


def num_pose_frames(n_samples: int, sr: int, fps: int) -> int:
    """T for a clip of n_samples at sr Hz: floor(n_samples * fps / sr), in exact integers."""
    return int(n_samples) * int(fps) // int(sr)


def _check_recipe(recipe) -> FeatureRecipe:
    if not isinstance(recipe, FeatureRecipe):
        raise TypeError(f"recipe must be a FeatureRecipe, got {type(recipe).__name__}")
    return recipe


def _zscore(values: np.ndarray) -> np.ndarray:
    """[size, T] -> [size, T] with each row at mean 0, standard deviation 1 over time."""
    std = np.maximum(values.std(axis=1, keepdims=True), ZSCORE_EPS)
    return (values - values.mean(axis=1, keepdims=True)) / std


def _descriptors(y, sr, fps, recipe, source: str) -> np.ndarray:
    fps = check_positive_int(fps, "fps")
    recipe = _check_recipe(recipe)
    rate = recipe.sample_rate(fps)
    y = validate_audio(y, sr, source=source, fps=fps)
    n_frames = num_pose_frames(len(y), sr, fps)
    if sr != rate:
        y = librosa.resample(y, orig_sr=sr, target_sr=rate)
    if len(y) < recipe.n_fft:  # zeros past the end, as the STFT's own centre padding
        y = np.pad(y, (0, recipe.n_fft - len(y)))
    analysis = _Analysis(y, rate, recipe.hop, recipe.n_fft)  # 1 + len(y) // hop >= n_frames frames
    blocks = []
    for group in recipe.groups:
        kind = _KINDS[group.name]
        values = kind.compute(analysis, group.size)[:, :n_frames].astype(np.float64)
        blocks.append(_zscore(values) if kind.normalisation == _ZSCORE else values)
    return np.concatenate(blocks).T.astype(np.float32)


def frame_descriptors(y: np.ndarray, sr: int, fps: int = 30, recipe: FeatureRecipe = DEFAULT_RECIPE) -> np.ndarray:
    """Per-frame music descriptors, before context stacking.

    y: (n,) or (channels, n) float audio at sr Hz (checked by validate_audio).
    Returns [T, recipe.frame_dim] float32 with T = floor(n * fps / sr); columns follow
    recipe.groups (see recipe.breakdown()).
    """
    return _descriptors(y, sr, fps, recipe, source="audio array")


def _reflect(index: np.ndarray, length: int) -> np.ndarray:
    """Map any integer index into 0..length-1 by mirroring at the ends (numpy's 'reflect')."""
    if length == 1:
        return np.zeros_like(index)
    period = 2 * (length - 1)
    index = np.abs(index) % period
    return np.where(index < length, index, period - index)


def stack_context(descriptors: np.ndarray, context: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Stack each frame with its neighbours: [T, F] -> [stop - start, F * context].

    Row t holds frames t - context//2 .. t + context - context//2 - 1, mirrored at the clip's
    edges; column j * F + k is value k of the frame at offset j - context//2 (offset-major).
    start, stop select rows of the full [T, F * context] result without building the rest
    (a dataset can keep the small descriptors and stack a training window on the fly).
    Same dtype as descriptors.
    """
    if not isinstance(descriptors, np.ndarray) or not np.issubdtype(descriptors.dtype, np.floating):
        raise TypeError(f"descriptors must be a float numpy array [T, F], got {type(descriptors).__name__}"
                        + (f" of dtype {descriptors.dtype}" if isinstance(descriptors, np.ndarray) else ""))
    if descriptors.ndim != 2 or descriptors.shape[0] == 0:
        raise ValueError(f"descriptors must be 2-D [T, F] with T >= 1, got shape {descriptors.shape}")
    context = check_positive_int(context, "context")
    n, width = descriptors.shape
    stop = n if stop is None else stop
    if not (0 <= start < stop <= n):
        raise ValueError(f"need 0 <= start < stop <= T = {n}, got start={start}, stop={stop}")
    rows = np.arange(start, stop)[:, None] + (np.arange(context) - context // 2)[None, :]
    return descriptors[_reflect(rows, n)].reshape(stop - start, context * width)


def _is_path(x) -> bool:
    return isinstance(x, (str, os.PathLike))


def _extract(audio_or_path, sr, fps, recipe, source: str | None = None) -> np.ndarray:
    fps = check_positive_int(fps, "fps")
    recipe = _check_recipe(recipe)
    if _is_path(audio_or_path):
        if sr is not None:
            raise ValueError(
                f"sr={sr} was given with the file {audio_or_path}; a file's sample rate is read "
                f"from the file, pass sr only with an audio array"
            )
        y, sr = load_audio(audio_or_path, fps=fps)
        source = str(audio_or_path)
    elif isinstance(audio_or_path, np.ndarray):
        if sr is None:
            raise ValueError("sr (the sample rate in Hz) is required when passing an audio array")
        y, source = audio_or_path, source or "audio array"
    else:
        raise TypeError(
            f"expected an audio file path or a numpy array of samples, got {type(audio_or_path).__name__}"
        )
    return stack_context(_descriptors(y, sr, fps, recipe, source), recipe.context)


def extract_music_features(
    audio_or_path, sr: int | None = None, fps: int = 30, recipe: FeatureRecipe = DEFAULT_RECIPE
) -> np.ndarray:
    """Music features for one clip: [T, recipe.dim] float32 (4800 wide by default).

    audio_or_path: a path to an audio file (read with load_audio; sr must be None) or an
    array (n,) / (channels, n) of float samples (sr, in Hz, required).
    fps: pose frames per second. T = floor(duration_seconds * fps) (module docstring).
    Row t describes the music around t / fps: recipe.context frames of frame_dim values.
    """
    return _extract(audio_or_path, sr, fps, recipe)


def extract_features_batch(
    paths_or_arrays: Iterable,
    sr: int | None = None,
    fps: int = 30,
    recipe: FeatureRecipe = DEFAULT_RECIPE,
    progress: bool = True,
) -> list[np.ndarray]:
    """extract_music_features for many clips, with a tqdm progress bar.

    paths_or_arrays: paths and/or float arrays. sr: the sample rate of the array items
    (paths use their file's rate). Returns a list of [T_i, recipe.dim] float32, in order.
    An error names the failing item (its path, or its index for an array).
    """
    if _is_path(paths_or_arrays) or isinstance(paths_or_arrays, np.ndarray):
        raise TypeError(
            f"expected a list of paths or arrays, got a single {type(paths_or_arrays).__name__}; "
            f"wrap it in a list or call extract_music_features"
        )
    items = list(paths_or_arrays)
    return [
        _extract(item, None if _is_path(item) else sr, fps, recipe, source=f"item {i} (audio array)")
        for i, item in enumerate(tqdm(items, desc="music features", unit="clip", disable=not progress))
    ]


def load_precomputed_features(path, expected_dim: int | None = 4800) -> np.ndarray:
    """Load precomputed music features (e.g. Jukebox, 4800 per frame) from a .npy file.

    path: a .npy file holding one float array [T, D]. expected_dim: the D it must have
    (None: any). Returns [T, D] float32. Raises FileNotFoundError, or ValueError/TypeError
    for a file that is not a float [T, D] array with finite values.
    """
    if not _is_path(path):
        raise TypeError(f"expected a path to a .npy file, got {type(path).__name__}")
    if expected_dim is not None:
        expected_dim = check_positive_int(expected_dim, "expected_dim")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"features file not found: {path}")
    try:
        features = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"could not read {path} as a .npy array: {err}") from err
    if not isinstance(features, np.ndarray):
        features.close()
        raise ValueError(f"{path}: expected a .npy file with one array, got an .npz archive")
    if not np.issubdtype(features.dtype, np.floating):
        raise TypeError(f"{path}: expected float features, got dtype {features.dtype}")
    if features.ndim != 2 or features.shape[0] == 0:
        raise ValueError(f"{path}: expected features of shape [T, D] with T >= 1, got shape {features.shape}")
    if expected_dim is not None and features.shape[1] != expected_dim:
        hint = "; the array looks transposed (use .T)" if features.shape[0] == expected_dim else ""
        raise ValueError(
            f"{path}: Expected music features dimension {expected_dim}, got {features.shape[1]}{hint}"
        )
    bad = ~np.isfinite(features)
    if bad.any():
        raise ValueError(f"{path}: {int(bad.sum())} of the feature values are NaN or Inf")
    return features.astype(np.float32, copy=False)


# -----------------------------------------------------------------------------
# a picture of the descriptors (the command line's features.png)


def save_features_figure(descriptors, path, *, recipe=None, fps: float = 30, beat_frames=None,
                         title: str | None = None, dpi: int = 100) -> Path:
    """Write a PNG of per-frame music descriptors [T, frame_dim]; returns the path.

    One image row per descriptor value, grouped and labelled by the recipe's groups
    (default: ``DEFAULT_RECIPE``), time in seconds on x, beat frames as ticks on top.
    Uses no pyplot state; matplotlib loads only when this is called.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    recipe = DEFAULT_RECIPE if recipe is None else recipe
    values = np.asarray(descriptors, dtype=np.float32)
    if values.ndim != 2 or values.shape[1] != recipe.frame_dim or values.shape[0] == 0:
        raise ValueError(f"descriptors must be [T, {recipe.frame_dim}] with T > 0 for recipe {recipe.name!r}, "
                         f"got shape {values.shape}")
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"folder {str(path.parent)!r} does not exist")
    seconds = values.shape[0] / fps
    fig = Figure(figsize=(8, 3.6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.imshow(np.clip(values.T, -3, 3), aspect="auto", origin="upper", cmap="magma", interpolation="nearest",
              extent=(0, seconds, recipe.frame_dim - 0.5, -0.5))
    start = 0
    ticks, labels = [], []
    for group in recipe.groups:
        ticks.append(start + (group.size - 1) / 2)
        labels.append(group.name)
        if start:
            ax.axhline(start - 0.5, color="white", linewidth=0.6)
        start += group.size
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_xlabel("time (s)")
    if beat_frames is not None and len(beat_frames):
        ax.vlines(np.asarray(beat_frames) / fps, -0.5, -2.0, color="tab:cyan", linewidth=1.0, clip_on=False)
    ax.set_title(title or f"music descriptors [T={values.shape[0]}, {recipe.frame_dim}] (z-scored; ticks: beats)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    return path
