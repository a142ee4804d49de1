"""The Beat Alignment Score (BAS): does the dance stop on the music's beats?

AI Choreographer (Li et al., 2021) defined it and Bailando (Siyao et al., 2022) fixed the
form every later paper reports:

1. the *speed* of the dance at each frame: the mean over the joints of |velocity|;
2. smoothed with a Gaussian of ``smooth`` = 5 frames (``scipy.ndimage.gaussian_filter1d``);
3. its local minima are the *kinematic beats* t_d: the moments the body "hits" a pose;
4. each music beat t_m scores ``exp(-min_d (t_d - t_m)^2 / (2 sigma^2))`` with
   ``sigma`` = 3 frames, and BAS is the mean over the music beats.

A score of 1 means a kinematic beat sits exactly on every music beat. Published values on
AIST++ (60 FPS): ground truth 0.237, FACT 0.221, Bailando 0.233.

One deliberate detail: the velocity is the central difference ``np.gradient`` along time,
so speed[t] belongs to frame t. Bailando's code takes forward differences (T - 1 speeds,
speed[t] between frames t and t + 1), which puts every minimum half a frame early and,
for a motion that turns around exactly on a frame, gives two equal neighbours that
``argrelextrema(np.less)`` does not count as a minimum at all.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import argrelextrema

from ..checks import as_numpy_poses, check_frame_indices, check_real

__all__ = ["joint_speed", "kinematic_beats", "beat_alignment_score", "dance_tempo", "envelope_tempo", "tempo_ratio",
           "on_tempo"]

ON_TEMPO_TOLERANCE = 0.08  # a tempo ratio within 8% of 1, 2 or 1/2 is on tempo


def _as_motion(pose) -> np.ndarray:
    """Check a motion [T, J, D] (numpy or torch) and return it as numpy float64."""
    motion = as_numpy_poses(pose, "pose", dtype=np.float64)
    if motion.ndim != 3 or min(motion.shape[1:]) == 0:
        raise ValueError(f"pose must have shape [T, J, D] (frames, joints, coordinates), "
                         f"got shape {tuple(motion.shape)}")
    if motion.shape[0] < 3:
        raise ValueError(f"pose must have at least 3 frames (a local minimum needs two neighbours), "
                         f"got {motion.shape[0]}")
    return motion


def joint_speed(pose, smooth: float = 5.0) -> np.ndarray:
    """Mean joint speed per frame, Gaussian-smoothed: [T, J, D] -> [T] float64.

    speed[t] = mean_j |pose[t+1, j] - pose[t-1, j]| / 2 (one-sided at the ends), in
    coordinate units per frame; ``smooth`` is the Gaussian's sigma in frames (0 = none).
    """
    motion = _as_motion(pose)
    smooth = check_real(smooth, "smooth", 0)  # frames; 0 = no smoothing
    speed = np.linalg.norm(np.gradient(motion, axis=0), axis=-1).mean(axis=-1)
    return gaussian_filter1d(speed, smooth) if smooth > 0 else speed


def kinematic_beats(pose, smooth: float = 5.0) -> np.ndarray:
    """Frames where the smoothed joint speed has a strict local minimum: [T, J, D] -> [K] int64.

    A motionless pose has a constant speed and therefore no kinematic beats (K = 0).
    """
    speed = joint_speed(pose, smooth)
    return argrelextrema(speed, np.less)[0].astype(np.int64)


def _as_beat_frames(music_beat_frames, num_frames: int) -> np.ndarray:
    """Beat frames [M] float64 in [0, num_frames - 1] (fractional frames allowed), M >= 1."""
    beats = check_frame_indices(music_beat_frames, "music_beat_frames", num_frames, integral=False)
    if beats.size == 0:
        raise ValueError("music_beat_frames must hold at least one music beat, got none: BAS averages over "
                         "the music beats and is undefined without them")
    return beats


def beat_alignment_score(pose, music_beat_frames, sigma: float = 3.0,
                         smooth: float = 5.0) -> float:
    """Beat Alignment Score of one dance, in [0, 1]: pose [T, J, D], beats [M] -> float.

    pose:               [T, J, D] numpy array or torch tensor (e.g. [T, 134, 2])
    music_beat_frames:  [M] frame indices of the music's beats, each in [0, T - 1]
    sigma:              tolerance in frames (3, as in AI Choreographer and Bailando)
    smooth:             sigma in frames of the Gaussian applied to the speed (5)

    A still pose has no kinematic beats, so no music beat is matched: the score is 0.0.
    Raises ValueError for no music beats or beats outside the pose's frames.
    """
    sigma = check_real(sigma, "sigma", 0, low_open=True)
    motion = _as_motion(pose)
    beats = _as_beat_frames(music_beat_frames, motion.shape[0])
    kinematic = kinematic_beats(motion, smooth)
    if kinematic.size == 0:
        return 0.0
    distance = np.abs(beats[:, None] - kinematic[None, :]).min(axis=1)
    return float(np.exp(-distance**2 / (2 * sigma**2)).mean())


def dance_tempo(pose, fps: float = 30, smooth: float = 5.0) -> float:
    """The tempo of a dance's kinematic beats, in BPM: pose [T, J, D] -> float.

    The motion's own "onset envelope" is how far the smoothed joint speed dips below its mean,
    max(0, mean(speed) - speed): it peaks at every hit (the kinematic beats). librosa's tempo
    estimator (``librosa.feature.tempo``: the tempogram's autocorrelation peak under a log-normal
    prior at 120 BPM, the estimator it uses for music) reads its period, as it reads the period
    of a song's onset envelope (``envelope_tempo``). A motionless pose has no tempo: 0.0.
    """
    fps = check_real(fps, "fps", 0, low_open=True)
    speed = joint_speed(pose, smooth)
    envelope = np.maximum(speed.mean() - speed, 0.0)
    if not np.any(envelope > 0):
        return 0.0
    return envelope_tempo(envelope, fps)


def envelope_tempo(envelope: np.ndarray, frame_rate: float, upsample: int = 4) -> float:
    """librosa.feature.tempo of an onset envelope at frame_rate frames a second, in BPM.

    The envelope is first interpolated `upsample` times finer: at 30 frames a second the tempogram's
    lags alone step from 138.5 to 150 BPM (8%), too coarse to call a ratio on tempo or not.
    """
    import librosa

    envelope = np.asarray(envelope, dtype=np.float64)
    fine = np.interp(np.arange(len(envelope) * upsample) / upsample, np.arange(len(envelope)), envelope)
    return float(librosa.feature.tempo(onset_envelope=fine, sr=frame_rate * upsample, hop_length=1)[0])


def tempo_ratio(dance_bpm: float, music_bpm: float) -> float:
    """dance tempo / music tempo (both > 0; 0 for a dance with no tempo)."""
    check_real(dance_bpm, "dance_bpm", 0)
    check_real(music_bpm, "music_bpm", 0, low_open=True)
    return float(dance_bpm / music_bpm)


def on_tempo(ratio: float, tolerance: float = ON_TEMPO_TOLERANCE) -> bool:
    """Is a dance/music tempo ratio within `tolerance` (relative) of 1, 2 or 1/2?

    Dancing on every beat, on every other beat or twice per beat all keep time (as librosa's own
    tempo estimates are only defined up to such octaves); 1.5 or 0.75 does not.
    """
    ratio = check_real(ratio, "ratio", 0)
    check_real(tolerance, "tolerance", 0, 1, low_open=True, high_open=True)
    return any(abs(ratio / target - 1.0) <= tolerance for target in (0.5, 1.0, 2.0))
