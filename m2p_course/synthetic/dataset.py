"""SyntheticDanceDataset: synthesised songs paired with procedural dances, as a torch Dataset.

Clip i of a dataset is made from (seed, i) alone:

* its dancer: ``dancer_names[i % num_dancers]`` (labels are balanced over the clips);
* its song: ``synth_music`` in the dancer's music style (``DancerStyle.music``: the bouncer
  dances to pop, the robot to house, ...), at a tempo drawn from ``bpm_range``, rendered
  directly at the feature rate fps x hop so no resampling is needed;
* its music features: the per-frame descriptors [T, frame_dim] of the recipe, stored; the
  context window is stacked when an item is read (``stack_context``), so 16 clips of 8 s
  keep 16 x 240 x 48 floats instead of 16 x 240 x 4800;
* its dance: ``dance_for_song`` [T, 134, 2], and the music's beat frames round(beat_time * fps).

Building costs a few seconds (librosa's first call compiles with numba), so a built dataset
is kept in memory for the process (keyed by every parameter) and, unless ``cache_dir=False``,
in an .npz file under ``cache_dir`` (default: $M2P_COURSE_CACHE or ~/.cache/m2p_course) named
by a hash of the parameters, a format version and the source code that makes the data. A
file that cannot be read or does not match is rebuilt (with a warning), never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
import zipfile
from dataclasses import asdict, dataclass
from numbers import Integral
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..checks import check_int, check_real
from ..features import DEFAULT_RECIPE, FeatureRecipe, frame_descriptors, stack_context
from ..keypoints import NUM_KEYPOINTS
from .choreography import DANCER_NAMES, DANCER_STYLES, dance_for_song
from .music import synth_music

__all__ = ["SyntheticDanceDataset", "pad_collate", "default_cache_dir"]

CACHE_FORMAT = 1
CACHE_ENV = "M2P_COURSE_CACHE"
DEFAULT_BPM_RANGE = (90.0, 130.0)
# the source files that shape the data, relative to the package root (their bytes are in the cache key)
_SOURCES = ("synthetic/dataset.py", "synthetic/choreography.py", "synthetic/music.py", "features.py", "keypoints.py")
_MEMO: dict[str, _Clips] = {}


def default_cache_dir() -> Path:
    """Where datasets are cached on disk: $M2P_COURSE_CACHE, else ~/.cache/m2p_course."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "m2p_course")


@dataclass(frozen=True)
class _Clips:
    """Every clip's arrays, concatenated along time; clip i is rows starts[i]:starts[i+1]."""

    descriptors: np.ndarray   # [sum T, frame_dim] float32
    poses: np.ndarray         # [sum T, 134, 2] float32
    lengths: np.ndarray       # [N] int64, T of each clip
    beat_frames: np.ndarray   # [sum B] int64
    beat_counts: np.ndarray   # [N] int64
    dancers: np.ndarray       # [N] int64
    bpms: np.ndarray          # [N] float64
    song_seeds: np.ndarray    # [N] int64

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths)])

    @property
    def beat_starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.beat_counts)])


# -----------------------------------------------------------------------------
# building


def _clip_plan(num_clips: int, seed: int, bpm_range: tuple[float, float], num_dancers: int):
    """(dancer label, bpm, song seed) of each clip, from (seed, i) alone."""
    plan = []
    for i in range(num_clips):
        rng = np.random.default_rng((seed, i))
        bpm = round(float(rng.uniform(*bpm_range)), 1)
        plan.append((i % num_dancers, bpm, int(rng.integers(2**31))))
    return plan


def _build(num_clips, seconds, seed, fps, recipe, dancer_names, bpm_range) -> _Clips:
    sr = recipe.sample_rate(fps)
    parts = {k: [] for k in ("descriptors", "poses", "beats")}
    dancers, bpms, seeds, lengths = [], [], [], []
    for dancer, bpm, song_seed in _clip_plan(num_clips, seed, bpm_range, len(dancer_names)):
        style = DANCER_STYLES[dancer_names[dancer]]
        song = synth_music(bpm=bpm, seconds=seconds, seed=song_seed, style=style.music, sr=sr)
        descriptors = frame_descriptors(song.audio, sr, fps, recipe)
        pose = dance_for_song(song, fps=fps, style=style, seed=song_seed)
        if len(pose) != len(descriptors):
            raise RuntimeError(f"features have {len(descriptors)} frames but the dance {len(pose)}")
        beats = np.round(song.beat_times * fps).astype(np.int64)
        parts["descriptors"].append(descriptors)
        parts["poses"].append(pose)
        parts["beats"].append(beats[beats < len(pose)])
        dancers.append(dancer)
        bpms.append(bpm)
        seeds.append(song_seed)
        lengths.append(len(pose))
    return _Clips(
        descriptors=np.concatenate(parts["descriptors"]).astype(np.float32),
        poses=np.concatenate(parts["poses"]).astype(np.float32),
        lengths=np.array(lengths, dtype=np.int64),
        beat_frames=np.concatenate(parts["beats"]),
        beat_counts=np.array([len(b) for b in parts["beats"]], dtype=np.int64),
        dancers=np.array(dancers, dtype=np.int64),
        bpms=np.array(bpms, dtype=np.float64),
        song_seeds=np.array(seeds, dtype=np.int64),
    )


# -----------------------------------------------------------------------------
# caching


def _cache_key(params: dict) -> str:
    """Hash of the parameters, the cache format and the source code that makes the data."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    digest.update(f"format {CACHE_FORMAT}".encode())
    package_root = Path(__file__).parent.parent
    for name in _SOURCES:
        digest.update((package_root / name).read_bytes())
    return digest.hexdigest()[:24]


def _save(clips: _Clips, path: Path, key: str) -> None:
    """Write atomically (temporary file, then rename), so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp.npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, key=np.array(key), **asdict(clips))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _load(path: Path, key: str, frame_dim: int) -> _Clips:
    """Read a cache file; ValueError if it is unreadable or does not match `key`."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                raise ValueError("its key does not match the parameters")
            clips = _Clips(**{name: data[name] for name in _Clips.__dataclass_fields__})
    except (OSError, EOFError, KeyError, TypeError, zipfile.BadZipFile) as err:
        raise ValueError(f"unreadable ({type(err).__name__}: {err})") from err
    total, beats, n = int(clips.lengths.sum()), int(clips.beat_counts.sum()), len(clips.lengths)
    if (clips.descriptors.shape != (total, frame_dim) or clips.poses.shape != (total, NUM_KEYPOINTS, 2)
            or clips.beat_frames.shape != (beats,)
            or any(len(a) != n for a in (clips.beat_counts, clips.dancers, clips.bpms, clips.song_seeds))
            or not (np.isfinite(clips.descriptors).all() and np.isfinite(clips.poses).all())):
        raise ValueError("its arrays have inconsistent shapes or non-finite values")
    return clips


# -----------------------------------------------------------------------------
# argument checks


def _check_styles(styles) -> tuple[str, ...]:
    if styles is None:
        return DANCER_NAMES
    if not isinstance(styles, (list, tuple)) or not all(isinstance(s, str) for s in styles):
        raise TypeError(f"styles must be a list of dancer names from {list(DANCER_NAMES)}, got {styles!r}")
    styles = tuple(styles)
    unknown = [s for s in styles if s not in DANCER_STYLES]
    if not styles or unknown or len(set(styles)) != len(styles):
        raise ValueError(f"styles must be distinct dancer names from {list(DANCER_NAMES)}, got {list(styles)}")
    return styles


def _check_bpm_range(bpm_range) -> tuple[float, float]:
    if not isinstance(bpm_range, (tuple, list)) or len(bpm_range) != 2:
        raise TypeError(f"bpm_range must be a pair of numbers (low, high), got {type(bpm_range).__name__} "
                        f"{bpm_range!r}")
    low = check_real(bpm_range[0], "bpm_range[0] (low)", 60.0, 200.0)
    high = check_real(bpm_range[1], "bpm_range[1] (high)", low, 200.0)
    return low, high


# -----------------------------------------------------------------------------
# the dataset


class SyntheticDanceDataset(Dataset):
    """Synthesised songs and their dances: item i is a dict of tensors for clip i.

    num_clips:  N clips; clip i's dancer is dancer_names[i % num_dancers] (balanced labels)
    seconds:    length of every clip (T = floor(seconds * fps) frames)
    seed:       int >= 0; the same parameters always give identical data
    fps:        pose frames per second (an int, as the features need)
    recipe:     the FeatureRecipe (DEFAULT_RECIPE: 48 values per frame x 100 = 4800)
    styles:     dancer names to use (default: all of DANCER_NAMES, in that order)
    bpm_range:  (low, high) tempo range the songs are drawn from
    cache_dir:  folder for the on-disk cache; None = default_cache_dir(), False = no disk cache

    Item i:
        "music"        [T, recipe.dim] float32   stacked music features
        "pose"         [T, 134, 2] float32       the dance, normalised [-1, 1] frame
        "dancer"       int64 scalar tensor       label: index into dataset.dancer_names
        "beat_frames"  [B] int64                 the music's beats, round(beat_time * fps) < T
        "bpm"          float                     the song's tempo
        "style"        str                       the dancer's name
    """

    def __init__(self, num_clips: int = 16, seconds: float = 8.0, seed: int = 0, fps: int = 30,
                 recipe: FeatureRecipe = DEFAULT_RECIPE, styles=None,
                 bpm_range: tuple[float, float] = DEFAULT_BPM_RANGE, cache_dir=None):
        if not isinstance(recipe, FeatureRecipe):
            raise TypeError(f"expected recipe as a FeatureRecipe, got {type(recipe).__name__}")
        self.num_clips = check_int(num_clips, "num_clips", 1)
        self.seconds = check_real(seconds, "seconds", 2.0, 600.0)  # at least two beats per clip
        self.seed = check_int(seed, "seed", 0)
        self.fps = check_int(fps, "fps", 1)
        self.recipe = recipe
        self.dancer_names = _check_styles(styles)
        self.bpm_range = _check_bpm_range(bpm_range)
        params = dict(num_clips=self.num_clips, seconds=self.seconds, seed=self.seed, fps=self.fps,
                      recipe=repr(recipe), styles=self.dancer_names, bpm_range=self.bpm_range)
        self.cache_key = _cache_key(params)
        self.cache_path = None if cache_dir is False else (
            Path(default_cache_dir() if cache_dir is None else cache_dir) / f"dance_{self.cache_key}.npz")
        self._clips = self._get_clips()

    def _get_clips(self) -> _Clips:
        """From the process memo, else the disk cache, else built (and then cached)."""
        if self.cache_key in _MEMO:
            return _MEMO[self.cache_key]
        clips = None
        if self.cache_path is not None and self.cache_path.exists():
            try:
                clips = _load(self.cache_path, self.cache_key, self.recipe.frame_dim)
            except ValueError as err:
                warnings.warn(f"ignoring the dataset cache {self.cache_path}: {err}; rebuilding it",
                              RuntimeWarning, stacklevel=3)
        if clips is None:
            clips = _build(self.num_clips, self.seconds, self.seed, self.fps, self.recipe,
                           self.dancer_names, self.bpm_range)
            if self.cache_path is not None:
                _save(clips, self.cache_path, self.cache_key)
        for array in asdict(clips).values():
            array.flags.writeable = False
        _MEMO[self.cache_key] = clips
        return clips

    @property
    def num_dancers(self) -> int:
        """Number of dancer identities (classes for the face head)."""
        return len(self.dancer_names)

    @property
    def dancers(self) -> np.ndarray:
        """[N] int64 dancer label of every clip."""
        return self._clips.dancers

    @property
    def bpms(self) -> np.ndarray:
        """[N] float64 tempo of every clip."""
        return self._clips.bpms

    def __len__(self) -> int:
        return self.num_clips

    def _index(self, i) -> int:
        if isinstance(i, bool) or not isinstance(i, Integral):
            raise TypeError(f"expected an int index, got {type(i).__name__}")
        if not -self.num_clips <= i < self.num_clips:
            raise IndexError(f"clip index {i} out of range for {self.num_clips} clips")
        return int(i) % self.num_clips

    def descriptors(self, i: int) -> np.ndarray:
        """Clip i's per-frame descriptors [T, recipe.frame_dim] float32 (before stacking)."""
        i = self._index(i)
        start, stop = self._clips.starts[i : i + 2]
        return self._clips.descriptors[start:stop]

    def song(self, i: int):
        """Clip i's SynthSong, made again (deterministic): listen to it, look at its chords."""
        i = self._index(i)
        style = DANCER_STYLES[self.dancer_names[self._clips.dancers[i]]]
        return synth_music(bpm=float(self._clips.bpms[i]), seconds=self.seconds,
                           seed=int(self._clips.song_seeds[i]), style=style.music,
                           sr=self.recipe.sample_rate(self.fps))

    def __getitem__(self, i) -> dict:
        i = self._index(i)
        clips = self._clips
        start, stop = clips.starts[i : i + 2]
        b0, b1 = clips.beat_starts[i : i + 2]
        music = stack_context(clips.descriptors[start:stop], self.recipe.context)
        return {
            "music": torch.from_numpy(music),
            "pose": torch.from_numpy(clips.poses[start:stop].copy()),
            "dancer": torch.tensor(int(clips.dancers[i]), dtype=torch.int64),
            "beat_frames": torch.from_numpy(clips.beat_frames[b0:b1].copy()),
            "bpm": float(clips.bpms[i]),
            "style": self.dancer_names[clips.dancers[i]],
        }

    def __repr__(self) -> str:
        return (f"SyntheticDanceDataset(num_clips={self.num_clips}, seconds={self.seconds:g}, "
                f"seed={self.seed}, fps={self.fps}, dim={self.recipe.dim}, "
                f"dancers={list(self.dancer_names)})")


def pad_collate(batch: list[dict]) -> dict:
    """Batch items of different lengths, zero-padded to the longest T.

    batch: list of B items from SyntheticDanceDataset (or dicts with "music" [T, D] and
    "pose" [T, 134, 2] tensors; other keys are optional).
    Returns "music" [B, T_max, D], "pose" [B, T_max, 134, 2], "padding_mask" [B, T_max]
    bool (True = padded frame, the encoder's convention), "lengths" [B] int64, and if
    present "dancer" [B] int64, "beat_frames" (a list of B tensors), "bpm", "style" (lists).
    """
    if not isinstance(batch, (list, tuple)) or not batch or not all(isinstance(b, dict) for b in batch):
        raise TypeError(f"expected a non-empty list of item dicts, got {type(batch).__name__}")
    for name in ("music", "pose"):
        if not all(isinstance(b.get(name), torch.Tensor) for b in batch):
            raise ValueError(f"every item needs a {name!r} tensor")
    lengths = torch.tensor([len(b["music"]) for b in batch], dtype=torch.int64)
    widths = {tuple(b["music"].shape[1:]) for b in batch}
    if len(widths) != 1 or any(b["music"].dim() != 2 for b in batch):
        raise ValueError(f"expected every 'music' as [T, D] with the same D, got shapes "
                         f"{[tuple(b['music'].shape) for b in batch]}")
    if any(tuple(b["pose"].shape) != (len(b["music"]), NUM_KEYPOINTS, 2) for b in batch):
        raise ValueError(f"expected every 'pose' as [T, 134, 2] with the T of its 'music', got "
                         f"{[(tuple(b['music'].shape), tuple(b['pose'].shape)) for b in batch]}")
    t_max = int(lengths.max())
    out = {
        "music": torch.nn.utils.rnn.pad_sequence([b["music"] for b in batch], batch_first=True),
        "pose": torch.nn.utils.rnn.pad_sequence([b["pose"] for b in batch], batch_first=True),
        "padding_mask": torch.arange(t_max)[None, :] >= lengths[:, None],
        "lengths": lengths,
    }
    if all("dancer" in b for b in batch):
        out["dancer"] = torch.stack([torch.as_tensor(b["dancer"], dtype=torch.int64) for b in batch])
    for name in ("beat_frames", "bpm", "style"):
        if all(name in b for b in batch):
            out[name] = [b[name] for b in batch]
    return out
