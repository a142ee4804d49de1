"""Smoke runs of the benchmarks at tiny sizes: they run to the end and print every line.

No timing is asserted (speed goals live in the benchmarks' own output, never in tests).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(script: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--quick"],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_bench_model_quick():
    out = run("bench_model.py")
    for piece in ("threads:", "forward, tiny, [2, 24, 48]:", "trace_shapes, tiny, [2, 540, 48]:",
                  "ratio trace(T=540) / forward(T=24), warm:", "synth_music, 2 s:", "x real time"):
        assert piece in out, (piece, out)


def test_bench_features_quick():
    out = run("bench_features.py")
    assert "both give (90, 4800)" in out, out
    assert "seconds for one 3 s clip (warm = best of 1)" in out, out
    assert "warm                      naive / ours = " in out, out
    assert "cold" not in out, out


def test_bench_long_song_quick(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_long_song.py"), "--quick",
                             "--figure", str(tmp_path / "curves.png")],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for piece in ("threads:", "TFLOP; GEMM rate here: float32", "1. whole song, T = 120",
                  "torch's nn.TransformerEncoder (plain), float32", "M2PEncoder (SDPA), bfloat16",
                  "float32: plain / SDPA time = ", "2. against T", "training step, checkpointed",
                  "training step, checkpointed, bfloat16", "float32, kept for backward:",
                  "bfloat16, checkpointing's time cost:", "float32 / bfloat16 time, training step:",
                  "kept for backward (dropout 0, fused attention), T=60:",
                  "3. torch.compile(fullgraph=True, backend='aot_eager')", "figure:"):
        assert piece in out, (piece, out)
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_bench_train_quick():
    out = run("bench_train.py")
    for piece in ("threads:", "configuration: hidden 16, 1 layers", "fp32: ", "bf16: ", " steps/s (",
                  "bf16 / fp32 steps per second: ", "bf16 autocast vs fp32, same model and batch: coordinates differ"):
        assert piece in out, (piece, out)


def test_bench_real_music_says_how_to_get_the_recordings(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_real_music.py"), "--recordings",
                             str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "run `python tools/fetch_recordings.py` first" in result.stderr
