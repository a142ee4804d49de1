"""Benchmark: extract_music_features against the naive one-librosa-call-per-feature way.

    python benchmarks/bench_features.py [--seconds 30] [--repeats 3] [--quick]

Both sides take the same 30-second song (m2p_course.synthetic.music.synth_music) at its own sample
rate, resample it to the feature rate (30 fps x 512 = 15360 Hz) and return the same
[T, 4800] matrix layout (z-scored groups, stacked over 100 frames). They differ only in
how the groups are computed:

    ours   one STFT shared by every group (extract_music_features)
    naive  librosa.feature.mfcc(y=...), chroma_stft(y=...), spectral_contrast(y=...),
           tonnetz(y=...) (its own CQT chroma), onset.onset_strength(y=...),
           beat.beat_track(y=...), feature.tempo(y=..., aggregate=None): each call
           recomputes its own spectrogram

COLD is the first call in a fresh Python process (a subprocess of this script), twice:
with an empty numba cache (NUMBA_CACHE_DIR pointing at a new folder: librosa's numba
compilation included, as on a new machine), then again in another fresh process with that
cache filled (as on every later run). WARM is the best of --repeats calls after a warm-up
call in this process. Real-time factor = seconds of audio per second of compute.
``--quick`` (a smoke run for the tests, not a measurement) takes a 3 s clip, one repeat, and
skips the two fresh-process cold starts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FPS, HOP, CONTEXT = 30, 512, 100


def song(seconds: float):
    """The benchmark clip: (audio (n,) float32, sample rate)."""
    from m2p_course.synthetic.music import synth_music

    s = synth_music(bpm=120, seconds=seconds, seed=0)
    return s.audio, s.sr


def ours(y, sr):
    """[T, 4800] from one shared STFT."""
    from m2p_course.features import extract_music_features

    return extract_music_features(y, sr=sr, fps=FPS)


def naive(y, sr):
    """[T, 4800] the usual way: one librosa call per feature, each from the audio."""
    import librosa
    import numpy as np

    from m2p_course.features import num_pose_frames, stack_context

    T = num_pose_frames(len(y), sr, FPS)
    rate = FPS * HOP
    y = librosa.resample(y, orig_sr=sr, target_sr=rate)
    kw = dict(y=y, sr=rate, hop_length=HOP)
    groups = [
        librosa.feature.mfcc(n_mfcc=20, **kw),
        librosa.feature.chroma_stft(**kw),
        librosa.feature.spectral_contrast(**kw),
        librosa.feature.tonnetz(**kw),
        librosa.onset.onset_strength(**kw)[None],
    ]
    zscored = [(g[:, :T] - g[:, :T].mean(1, keepdims=True)) / (g[:, :T].std(1, keepdims=True) + 1e-6)
               for g in groups]
    tempo = librosa.feature.tempo(aggregate=None, **kw)[None, :T]
    _, beats = librosa.beat.beat_track(**kw)
    beat = np.zeros((1, T))
    beat[0, beats[beats < T]] = 1.0
    descriptors = np.concatenate(zscored + [np.log2(tempo / 120.0), beat]).T.astype(np.float32)
    return stack_context(descriptors, CONTEXT)


def cold(which: str, seconds: float) -> tuple[dict, dict]:
    """First calls of `which` in two fresh processes: empty numba cache, then filled."""
    runs = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for _ in range(2):
            out = subprocess.run(
                [sys.executable, __file__, "--cold-run", which, "--seconds", str(seconds)],
                env=env, capture_output=True, text=True, check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs[0], runs[1]


def cold_run(which: str, seconds: float) -> None:
    """(In the subprocess) time the imports and the first call; print JSON."""
    start = time.perf_counter()
    import librosa  # noqa: F401  (the import is part of a cold start)

    y, sr = song(seconds)
    imported = time.perf_counter()
    features = {"ours": ours, "naive": naive}[which](y, sr)
    done = time.perf_counter()
    print(json.dumps({"import_s": imported - start, "first_call_s": done - imported, "shape": features.shape}))


def warm(fn, y, sr, repeats: int) -> float:
    fn(y, sr)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(y, sr)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="3 s, one repeat, no cold starts: a smoke run")
    parser.add_argument("--cold-run", choices=["ours", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.repeats = 3.0, 1
    if args.cold_run:
        cold_run(args.cold_run, args.seconds)
        return

    y, sr = song(args.seconds)
    print(f"clip: synth_music(bpm=120, seconds={args.seconds:g}, seed=0) at {sr} Hz; "
          f"features at {FPS} fps x {HOP} = {FPS * HOP} Hz; {os.cpu_count()} CPU cores")
    shape_ours, shape_naive = ours(y, sr).shape, naive(y, sr).shape
    assert shape_ours == shape_naive, (shape_ours, shape_naive)
    print(f"both give {shape_ours}")

    results = {"ours": {}, "naive": {}}
    modes = ("warm",) if args.quick else ("cold, empty numba cache", "cold, numba cache filled", "warm")
    for which in () if args.quick else ("ours", "naive"):
        empty, cached = cold(which, args.seconds)
        results[which] = {"cold, empty numba cache": empty["first_call_s"],
                          "cold, numba cache filled": cached["first_call_s"],
                          "import": cached["import_s"]}
    results["ours"]["warm"] = warm(ours, y, sr, args.repeats)
    results["naive"]["warm"] = warm(naive, y, sr, args.repeats)

    imports = "" if args.quick else f"first calls exclude imports: {results['ours']['import']:.1f} s; "
    print(f"\nseconds for one {args.seconds:g} s clip ({imports}warm = best of {args.repeats})")
    print(f"{'':8}" + "".join(f"{m:>27}" for m in modes))
    for which in ("ours", "naive"):
        print(f"{which:8}" + "".join(f"{results[which][m]:>27.3f}" for m in modes))
    for mode in modes:
        o, n = results["ours"][mode], results["naive"][mode]
        print(f"{mode:<25} naive / ours = {n / o:5.1f}x   real-time factor: ours {args.seconds / o:6.1f}x, "
              f"naive {args.seconds / n:6.1f}x")


if __name__ == "__main__":
    main()
