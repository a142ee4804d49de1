"""Audio in: read a music file (or take an array) and check it before anything uses it.

Every path into the course's music features goes through `validate_audio`, so a file and
an array fail the same way, with an error that names the source and the problem:

    missing file                    -> FileNotFoundError
    unreadable / corrupted file     -> ValueError
    empty audio, all-silent audio,
    NaN or Inf samples, audio
    shorter than one pose frame     -> ValueError
    wrong Python type or dtype      -> TypeError

Files are decoded with soundfile (libsndfile), which reads WAV, FLAC, OGG/Vorbis, MP3
(libsndfile >= 1.1), AIFF and more. Multi-channel audio is mixed to mono by averaging the
channels; a resample (soxr, through librosa) happens only when `sr` is given.
"""

from __future__ import annotations

import os
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

from .checks import check_positive_int

SILENCE_PEAK = 1e-4  # -80 dBFS: a clip whose loudest sample is quieter than this is "silent"


def _to_mono(y: np.ndarray, source: str) -> np.ndarray:
    """(n,) or (channels, n) -> (n,): average the channels."""
    if y.ndim == 1:
        return y
    if y.ndim == 2:
        if y.shape[0] > y.shape[1]:
            raise ValueError(
                f"{source}: a 2-D audio array must be (channels, samples), got shape "
                f"{y.shape}, which looks like (samples, channels); pass y.T"
            )
        return y.mean(axis=0)
    raise ValueError(
        f"{source}: expected a 1-D float array of audio samples (or 2-D channels x samples), "
        f"got shape {y.shape}"
    )


def validate_audio(y, sr, *, source: str = "audio array", fps: int = 30) -> np.ndarray:
    """Check audio samples and return them as a 1-D float32 mono array.

    y: (n,) or (channels, n) float array; channels are averaged.  sr: its sample rate (Hz).
    source names the audio in error messages (a file path or "audio array").
    fps: the pose frame rate; audio shorter than one pose frame (sr / fps samples) is an error.
    Returns (n,) float32.  Raises TypeError for a wrong type/dtype, ValueError for a wrong
    shape, empty, non-finite, silent (peak below SILENCE_PEAK) or too-short audio.
    """
    sr = check_positive_int(sr, "sr")
    fps = check_positive_int(fps, "fps")
    if not isinstance(y, np.ndarray):
        raise TypeError(
            f"{source}: expected a numpy array of audio samples, got {type(y).__name__}"
            + (" (use tensor.numpy())" if type(y).__module__.startswith("torch") else "")
        )
    if not np.issubdtype(y.dtype, np.floating):
        raise TypeError(
            f"{source}: expected float audio samples (about -1..1), got dtype {y.dtype}"
            + ("; for 16-bit PCM divide by 32768" if np.issubdtype(y.dtype, np.integer) else "")
        )
    mono = _to_mono(y, source)
    if mono.size == 0:
        raise ValueError(f"{source}: the audio is empty (0 samples)")
    finite = np.isfinite(mono)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValueError(
            f"{source}: the audio has {np.isnan(mono).sum()} NaN and {np.isinf(mono).sum()} Inf "
            f"samples (first at sample {bad[0]}, {bad[0] / sr:.3f} s)"
        )
    peak = float(np.max(np.abs(mono)))
    if peak < SILENCE_PEAK:
        raise ValueError(
            f"{source}: the audio is silent (peak amplitude {peak:.2e}, below {SILENCE_PEAK:g} "
            f"= -80 dBFS)"
        )
    if mono.size * fps < sr:
        raise ValueError(
            f"{source}: the audio is {mono.size} samples ({mono.size / sr * 1000:.1f} ms), shorter "
            f"than one pose frame at {fps} fps ({sr / fps:.0f} samples at {sr} Hz)"
        )
    return mono.astype(np.float32, copy=False)


def load_audio(path, sr: int | None = None, *, fps: int = 30) -> tuple[np.ndarray, int]:
    """Read an audio file (wav, flac, ogg, mp3, ...) as mono float32.

    path: str or os.PathLike.  sr: resample to this rate (Hz); None keeps the file's rate.
    fps: the pose frame rate, only for the "shorter than one pose frame" check.
    Returns (y, sr): y is (n,) float32, sr the rate of y.
    Raises FileNotFoundError if the file is missing, ValueError if it cannot be decoded
    or its audio fails `validate_audio`.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"expected a path to an audio file (str or Path), got {type(path).__name__}")
    path = Path(path)
    if sr is not None:
        sr = check_positive_int(sr, "sr")
    if not path.exists():
        raise FileNotFoundError(f"audio file not found: {path}")
    if path.is_dir():
        raise ValueError(f"expected an audio file, got a directory: {path}")
    try:
        data, file_sr = sf.read(path, dtype="float32", always_2d=True)  # (n, channels)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise ValueError(
            f"could not read audio file {path}: {err} "
            f"(readable: WAV, FLAC, OGG, MP3, AIFF and the other libsndfile formats)"
        ) from err
    y = validate_audio(data.mean(axis=1), file_sr, source=str(path), fps=fps)
    if sr is not None and sr != file_sr:
        y = librosa.resample(y, orig_sr=file_sr, target_sr=sr).astype(np.float32, copy=False)
        return y, sr
    return y, int(file_sr)
