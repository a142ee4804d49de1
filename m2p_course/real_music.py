"""Real music: any recording becomes a training pair, and any model can be measured on one.

The synthetic world (``m2p_course.synthetic``) knows its songs' beats, bars and chords because it
made them. A recording's must be *heard*: ``analyse_music`` finds them with the same analysis the
music features use (one STFT; the features' onset envelope, tempo and beat tracker, librosa's
dynamic-programming tracker ported to numpy), then

* downbeats: the bar phase (every 4th beat) at which the harmony changes most;
* chords:    one per bar, the best of 24 major / minor triad templates on the bar's mean chroma;
* sections:  the loudest 40% of the bars are a "chorus" (danced bigger), the rest a "verse";
* onsets:    the features' own onset peaks (the head nods deeper on the beats that have one);
* dancer:    chosen by the tempo the features report (``dancer_for_tempo``), so that the model
             can hear which dancer a recording calls for, as it hears the synthetic styles.

``generate_dance`` then choreographs it exactly as it does a synthetic song. ``RecordingDanceDataset``
cuts the training recordings (``m2p_course.recordings``, role "train") into clips of the synthetic
dataset's shape, so training can mix the two. ``dance_report`` measures a model on one recording:
its BAS against librosa's beats beside a smooth random motion's and a still pose's, its speed, and
its tempo against the music's.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .checks import check_int, check_positive_int, check_real
from .features import DEFAULT_RECIPE, _Analysis, frame_descriptors, num_pose_frames, stack_context
from .i18n import N_
from .synthetic.choreography import DANCER_NAMES, generate_dance

__all__ = ["MusicAnalysis", "analyse_music", "dancer_for_tempo", "dance_for_recording", "RecordingDanceDataset",
           "librosa_beats", "dance_report", "TEMPO_BANDS", "RecordingDance", "dance_recording",
           "face_centroids"]

# the dancer a tempo calls for: (upper bound in BPM, dancer); the last band is open above
TEMPO_BANDS: tuple[tuple[float, str], ...] = ((100.0, "swayer"), (122.0, "waver"), (138.0, "bouncer"),
                                              (float("inf"), "robot"))
CHORUS_SHARE = 0.4
_PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def dancer_for_tempo(bpm: float) -> str:
    """The dancer of the tempo band `bpm` falls in (``TEMPO_BANDS``): slow music sways, fast music robots."""
    bpm = check_real(bpm, "bpm", 0, low_open=True)
    return next(name for upper, name in TEMPO_BANDS if bpm < upper)


@dataclass(frozen=True)
class MusicAnalysis:
    """What ``analyse_music`` heard in a recording (times in seconds, one label per bar)."""

    num_frames: int
    fps: int
    bpm: float                 # median of the features' local tempo
    beat_times: np.ndarray     # [B]
    downbeat_times: np.ndarray # [N]
    chords: tuple[str, ...]    # [N] "C", "Am", ...
    sections: tuple[str, ...]  # [N] "verse" / "chorus"
    onset_frames: np.ndarray   # [K] int64

    @property
    def beat_frames(self) -> np.ndarray:
        frames = np.round(self.beat_times * self.fps).astype(np.int64)
        return frames[frames < self.num_frames]

    @property
    def dancer(self) -> str:
        return dancer_for_tempo(self.bpm)


def _chord_templates() -> tuple[np.ndarray, list[str]]:
    """[24, 12] unit-norm triad templates (12 major, then 12 minor) and their names."""
    templates, names = [], []
    for quality, third in (("", 4), ("m", 3)):
        for root in range(12):
            t = np.zeros(12)
            t[[root, (root + third) % 12, (root + 7) % 12]] = 1.0
            templates.append(t / np.linalg.norm(t))
            names.append(_PITCH_NAMES[root] + quality)
    return np.array(templates), names


def _bar_phase(chroma: np.ndarray, beats: np.ndarray, num_frames: int) -> int:
    """Which of every 4th beat starts the bars: the phase at which the harmony changes most.

    Chords change on downbeats: the chroma averaged over each beat is compared with the previous
    beat's (1 - cosine), and the phase p whose beats p, p + 4, ... carry the largest mean change wins.
    (The loudest onsets do not tell: in pop the snare on beats 2 and 4 outweighs the kick on 1.)
    """
    edges = np.concatenate([beats, [num_frames]])
    per_beat = np.stack([chroma[:, a:max(b, a + 1)].mean(axis=1) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    per_beat /= np.maximum(np.linalg.norm(per_beat, axis=1, keepdims=True), 1e-9)
    change = np.concatenate([[0.0], 1.0 - (per_beat[1:] * per_beat[:-1]).sum(axis=1)])
    return int(np.argmax([change[p::4].mean() if len(change[p::4]) else -1.0 for p in range(4)]))


def analyse_music(y: np.ndarray, sr: int, fps: int = 30) -> MusicAnalysis:
    """Beats, downbeats, chords, sections and onsets of a recording y (mono float audio at sr Hz).

    Raises ValueError when fewer than 4 beats are found (a drone, silence, a clip of a second):
    such a recording cannot be danced to, and is never given made-up beats.
    """
    import librosa

    from .audio import validate_audio

    fps = check_positive_int(fps, "fps")
    y = validate_audio(y, sr, source="recording", fps=fps)
    rate = DEFAULT_RECIPE.sample_rate(fps)
    num_frames = num_pose_frames(len(y), sr, fps)
    if sr != rate:
        y = librosa.resample(y, orig_sr=sr, target_sr=rate)
    a = _Analysis(y, rate, DEFAULT_RECIPE.hop, DEFAULT_RECIPE.n_fft)
    beats = a.beat_frames[a.beat_frames < num_frames]
    if len(beats) < 4:
        raise ValueError(f"the recording has {len(beats)} beats that librosa's beat tracker can find; "
                         f"a dance needs at least 4")
    descriptors = frame_descriptors(y, rate, fps, DEFAULT_RECIPE)
    bpm = float(np.median(120.0 * 2.0 ** descriptors[:, DEFAULT_RECIPE.group_columns("local_tempo")]))

    chroma = a.chroma[:, :num_frames]
    phase = _bar_phase(chroma, beats, num_frames)
    bar_starts = beats[phase::4]
    if phase > 0:  # the beats before the first downbeat form a pick-up bar of their own
        bar_starts = np.concatenate([[beats[0]], bar_starts])
    edges = np.concatenate([bar_starts, [num_frames]])

    rms = np.sqrt(a.power[:, :num_frames].mean(axis=0))
    templates, names = _chord_templates()
    chords, loudness = [], []
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        stop = max(stop, start + 1)
        chords.append(names[int(np.argmax(templates @ chroma[:, start:stop].mean(axis=1)))])
        loudness.append(float(rms[start:stop].mean()))
    threshold = np.quantile(loudness, 1.0 - CHORUS_SHARE)
    sections = tuple("chorus" if v > threshold else "verse" for v in loudness)

    onsets = librosa.onset.onset_detect(onset_envelope=a.onset_envelope, sr=rate, hop_length=a.hop)
    return MusicAnalysis(num_frames=num_frames, fps=fps, bpm=bpm, beat_times=beats / fps,
                         downbeat_times=bar_starts / fps, chords=tuple(chords), sections=sections,
                         onset_frames=onsets[onsets < num_frames].astype(np.int64))


def dance_for_recording(y: np.ndarray, sr: int, fps: int = 30, style=None, seed: int = 0):
    """(analysis, dance [T, 134, 2]) for a recording: generate_dance on what analyse_music heard.

    style: a dancer name or label; None = the dancer its tempo calls for (``dancer_for_tempo``).
    """
    analysis = analyse_music(y, sr, fps)
    dance = generate_dance(analysis.beat_times, analysis.downbeat_times, analysis.num_frames, fps=fps,
                           style=analysis.dancer if style is None else style, seed=check_int(seed, "seed", 0),
                           chords=analysis.chords, sections=analysis.sections, onset_frames=analysis.onset_frames)
    return analysis, dance


# -----------------------------------------------------------------------------
# the training pairs


class RecordingDanceDataset:
    """Clips of the training recordings with their choreography, in the synthetic dataset's shape.

    recordings: the catalogue entries to use (``m2p_course.recordings.available_recordings("train")``)
    root:       the folder tools/fetch_recordings.py filled (None: its default)
    seconds:    length of every clip; each recording's excerpt gives floor(excerpt / seconds) clips
    fps:        pose frames per second

    Features are computed over each whole excerpt (as ``m2p-course demo`` computes them over a whole
    song), then cut. Built once and cached (``cache_dir``, like SyntheticDanceDataset's), keyed by the
    recordings' SHA-256 and the source of the code that makes the data.
    Item i: "music" [T, 4800], "pose" [T, 134, 2], "dancer" (label in DANCER_NAMES), "beat_frames".
    """

    def __init__(self, recordings, root=None, seconds: float = 12.0, fps: int = 30, cache_dir=None):
        from .recordings import Recording

        self.recordings = tuple(recordings)
        if not self.recordings or not all(isinstance(r, Recording) for r in self.recordings):
            raise TypeError("recordings must be a non-empty sequence of m2p_course.recordings.Recording")
        if any(r.role != "train" for r in self.recordings):
            names = [r.name for r in self.recordings if r.role != "train"]
            raise ValueError(f"only training recordings can become training pairs, got evaluation ones: {names}")
        self.root = root
        self.seconds = check_real(seconds, "seconds", 2.0, 600.0)
        self.fps = check_positive_int(fps, "fps")
        self.dancer_names = DANCER_NAMES
        self._clips = self._get_clips(cache_dir)

    def _key(self) -> str:
        digest = hashlib.sha256(json.dumps({"seconds": self.seconds, "fps": self.fps, "recipe": repr(DEFAULT_RECIPE),
                                            "recordings": [(r.sha256, r.offset, r.seconds) for r in self.recordings]},
                                           sort_keys=True).encode())
        package = Path(__file__).parent
        for name in ("real_music.py", "features.py", "synthetic/choreography.py", "keypoints.py"):
            digest.update((package / name).read_bytes())
        return digest.hexdigest()[:24]

    def _get_clips(self, cache_dir):
        from .synthetic.dataset import _Clips, _load, _save, default_cache_dir

        key = self._key()
        path = None if cache_dir is False else Path(default_cache_dir() if cache_dir is None else cache_dir) / \
            f"recorded_{key}.npz"
        if path is not None and path.exists():
            try:
                return _load(path, key, DEFAULT_RECIPE.frame_dim)
            except ValueError:
                pass
        clips = self._build(_Clips)
        if path is not None:
            _save(clips, path, key)
        return clips

    def _build(self, clips_type):
        from .recordings import load_recording

        rate = DEFAULT_RECIPE.sample_rate(self.fps)
        length = int(self.seconds * self.fps)
        parts = {k: [] for k in ("descriptors", "poses", "beats")}
        dancers, bpms, seeds = [], [], []
        for index, rec in enumerate(self.recordings):
            y, sr = load_recording(rec, self.root, sr=rate)
            analysis, dance = dance_for_recording(y, sr, self.fps, seed=index)
            descriptors = frame_descriptors(y, sr, self.fps, DEFAULT_RECIPE)
            beat_frames = analysis.beat_frames
            for start in range(0, analysis.num_frames - length + 1, length):
                beats = beat_frames[(beat_frames >= start) & (beat_frames < start + length)] - start
                parts["descriptors"].append(descriptors[start:start + length])
                parts["poses"].append(dance[start:start + length])
                parts["beats"].append(beats)
                dancers.append(DANCER_NAMES.index(analysis.dancer))
                bpms.append(analysis.bpm)
                seeds.append(index)
        n = len(dancers)
        return clips_type(
            descriptors=np.concatenate(parts["descriptors"]).astype(np.float32),
            poses=np.concatenate(parts["poses"]).astype(np.float32),
            lengths=np.full(n, length, dtype=np.int64),
            beat_frames=np.concatenate(parts["beats"]).astype(np.int64),
            beat_counts=np.array([len(b) for b in parts["beats"]], dtype=np.int64),
            dancers=np.array(dancers, dtype=np.int64),
            bpms=np.array(bpms, dtype=np.float64),
            song_seeds=np.array(seeds, dtype=np.int64),
        )

    @property
    def dancers(self) -> np.ndarray:
        return self._clips.dancers

    def __len__(self) -> int:
        return len(self._clips.lengths)

    def __getitem__(self, i) -> dict:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -len(self) <= i < len(self):
            raise IndexError(f"clip index must be an int in [{-len(self)}, {len(self)}), got {i!r}")
        i = int(i) % len(self)
        clips = self._clips
        start, stop = clips.starts[i:i + 2]
        b0, b1 = clips.beat_starts[i:i + 2]
        return {"music": torch.from_numpy(stack_context(clips.descriptors[start:stop], DEFAULT_RECIPE.context)),
                "pose": torch.from_numpy(clips.poses[start:stop].copy()),
                "dancer": torch.tensor(int(clips.dancers[i]), dtype=torch.int64),
                "beat_frames": torch.from_numpy(clips.beat_frames[b0:b1].copy())}


# -----------------------------------------------------------------------------
# measuring a model on a recording


def librosa_beats(y: np.ndarray, sr: int, fps: int = 30) -> tuple[np.ndarray, float]:
    """(beat frames [M] at fps, tempo in BPM): librosa.beat.beat_track itself, at the feature rate
    fps x 512 so that one hop is one pose frame, the reference every BAS here is measured against; the
    tempo by ``envelope_tempo`` on the same onset envelope, as the dance's tempo is measured."""
    import librosa

    rate = DEFAULT_RECIPE.sample_rate(fps)
    if sr != rate:
        y = librosa.resample(y, orig_sr=sr, target_sr=rate)
    from .synthetic.metrics import envelope_tempo

    onset = librosa.onset.onset_strength(y=y, sr=rate, hop_length=DEFAULT_RECIPE.hop)
    _, beats = librosa.beat.beat_track(onset_envelope=onset, sr=rate, hop_length=DEFAULT_RECIPE.hop)
    num_frames = num_pose_frames(len(y), rate, fps)
    return beats[beats < num_frames].astype(np.int64), envelope_tempo(onset, fps)


def dance_report(poses: np.ndarray, beat_frames: np.ndarray, music_bpm: float, fps: int = 30,
                 seed: int = 0, style="bouncer") -> dict:
    """The figures of one dance on one recording.

    bas, bas_random, bas_still: BAS of the dance, of ``random_motion`` (the same length and dancer,
        smooth, ignoring the music) and of a still pose (the dance's mean pose), against beat_frames
    speed:          mean joint speed per frame (unsmoothed), coordinate units
    dance_bpm, music_bpm, tempo_ratio, on_tempo: the dance's tempo (``dance_tempo``) against the music's
    """
    from .synthetic.choreography import random_motion
    from .synthetic.metrics import beat_alignment_score, dance_tempo, joint_speed, on_tempo, tempo_ratio

    poses = np.asarray(poses, dtype=np.float32)
    random = random_motion(len(poses), fps=fps, style=style, seed=seed)
    still = np.repeat(poses.mean(axis=0, keepdims=True), len(poses), axis=0)
    bpm = dance_tempo(poses, fps)
    ratio = tempo_ratio(bpm, music_bpm)
    return {"bas": beat_alignment_score(poses, beat_frames), "bas_random": beat_alignment_score(random, beat_frames),
            "bas_still": beat_alignment_score(still, beat_frames), "speed": float(joint_speed(poses, 0).mean()),
            "dance_bpm": bpm, "music_bpm": float(music_bpm), "tempo_ratio": ratio, "on_tempo": on_tempo(ratio)}


@dataclass(frozen=True)
class RecordingDance:
    """A model's dance to a recording, beside the course's choreography for it, and its figures.

    name:         a label ("Desert (Shawn Parrotte)" or the file's name)
    predicted:    [T, 134, 2] the model's dance
    choreography: [T, 134, 2] what ``dance_for_recording`` makes of the same music (the kind of dance the
                  model was trained to give real music; for an evaluation recording it never saw this pair)
    beat_frames:  [M] librosa's beats (``librosa_beats``)
    report:       ``dance_report``'s figures for the model's dance, and "bas_choreography"
    audio, sr:    the music, for a player
    """

    name: str
    predicted: np.ndarray
    choreography: np.ndarray
    beat_frames: np.ndarray
    report: dict
    audio: np.ndarray
    sr: int

    def song_dance(self):
        """As a SongDance of the training explorer (``comparison_html`` draws it beside the choreography)."""
        from .widgets.training_explorer import SongDance

        return SongDance(self.name, self.predicted, self.choreography, self.beat_frames, dancer=self.report["dancer"],
                         reference=N_("the course's choreography"))


def dance_recording(model, music, sr: int | None = None, *, seconds: float | None = None, offset: float = 0.0,
                    name: str | None = None, window: int = 120, seed: int = 0) -> RecordingDance:
    """Let a trained spatial M2PEncoder dance a recording, and measure it.

    music:   a path to an audio file (anything ``load_audio`` reads), or mono samples with their rate ``sr``
    seconds, offset: the part of the music to dance (None: all of it, from ``offset``)
    window:  the model's training window (``predict_dance``)
    The face embedding names the dancer (the nearest of ``face_centroids`` of the model, over the course's
    synthetic songs); the smooth random motion of ``dance_report`` is that dancer's.
    """
    from .audio import load_audio, validate_audio
    from .inference import predict_dance
    from .synthetic.choreography import DANCER_NAMES

    rate = DEFAULT_RECIPE.sample_rate(30)
    if isinstance(music, (str, os.PathLike)):
        if sr is not None:
            raise ValueError(f"sr is for samples; a file has its own rate, got sr={sr!r} with the path {music}")
        y, file_sr = load_audio(music, sr=rate)
        name = name or Path(music).name
    else:
        if sr is None:
            raise ValueError("samples need their sample rate: give sr, or pass a path to an audio file")
        y = validate_audio(music, sr, source="music")
        y, file_sr = (librosa_resample(y, sr, rate), rate)
        name = name or "music"
    offset = check_real(offset, "offset", 0)
    start = int(offset * rate)
    stop = len(y) if seconds is None else start + int(check_real(seconds, "seconds", 0, low_open=True) * rate)
    y = y[start:stop]
    if len(y) < 2 * rate:
        raise ValueError(f"the music to dance must be at least 2 s long, got {len(y) / rate:.2f} s "
                         f"(offset {offset:g} s, seconds {seconds})")
    descriptors = frame_descriptors(y, file_sr, 30, DEFAULT_RECIPE)
    features = stack_context(descriptors, DEFAULT_RECIPE.context)
    predicted = predict_dance(model, features, window=window, overlap=window // 4)
    beats, music_bpm = librosa_beats(y, file_sr)
    if len(beats) == 0:
        raise ValueError(f"librosa found no beats in {name}: a BAS is measured against the music's beats")
    dancer = DANCER_NAMES[int(_nearest_dancer(model, features, window))]
    report = dance_report(predicted, beats, music_bpm, seed=seed, style=dancer)
    _, choreography = dance_for_recording(y, file_sr, 30, seed=seed)
    from .synthetic.metrics import beat_alignment_score

    report = {**report, "dancer": dancer, "bas_choreography": beat_alignment_score(choreography, beats)}
    return RecordingDance(name, predicted, choreography, beats, report, y, file_sr)


def librosa_resample(y: np.ndarray, sr: int, rate: int) -> np.ndarray:
    import librosa

    return y if sr == rate else librosa.resample(y, orig_sr=sr, target_sr=rate).astype(np.float32)


_CENTROIDS: dict[int, torch.Tensor] = {}


def face_centroids(model, clips: int = 16, window: int = 120) -> torch.Tensor:
    """[4, E]: each dancer's mean face embedding (L2-normalised) over `clips` synthetic songs of 12 s
    (seed 1,000,000, the training's held-out songs), computed once per model."""
    from .synthetic.dataset import SyntheticDanceDataset

    key = id(model)
    if key not in _CENTROIDS:
        data = SyntheticDanceDataset(clips, seconds=12.0, seed=1_000_000)
        music = torch.stack([data[i]["music"][:window] for i in range(len(data))])
        with torch.inference_mode():
            emb = model(music.to(next(model.parameters()).device))[1].float().cpu()
        labels = torch.as_tensor(data.dancers)
        _CENTROIDS[key] = torch.nn.functional.normalize(
            torch.stack([emb[labels == c].mean(0) for c in range(len(DANCER_NAMES))]), dim=1)
    return _CENTROIDS[key]


def _nearest_dancer(model, features: np.ndarray, window: int) -> int:
    """The dancer whose centroid is nearest to the mean face embedding of the recording's windows."""
    starts = range(0, max(len(features) - window, 0) + 1, window)
    batch = torch.stack([torch.from_numpy(features[s:s + window]) for s in starts])
    with torch.inference_mode():
        emb = model(batch.to(next(model.parameters()).device))[1].float().cpu()
    mean = torch.nn.functional.normalize(emb.mean(0), dim=0)
    return int((face_centroids(model, window=window) @ mean).argmax())
