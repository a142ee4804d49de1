"""Speed of the model's main paths on this machine, measured in one run.

    python benchmarks/bench_model.py

Prints: one forward pass of the full-size encoder at the guide's [2, 24, 4800] (eval, no
grad; cold = first call, warm = best of 5), the shape trace of the full-size model at
T = 5400 on the meta device (cold = first trace in this process, which includes torch's
one-time import of its meta kernels; warm = best of 5), the ratio of the two, and the time
to synthesise 30 s of music.
"""

from __future__ import annotations

import time

import torch


def timed(fn, repeats: int = 5) -> tuple[float, float]:
    """(first call, best of the next ``repeats``) in seconds."""
    start = time.perf_counter()
    fn()
    cold = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return cold, best


def main() -> None:
    from m2p_course import M2PEncoder, trace_shapes
    from m2p_course.synth import synth_music

    torch.manual_seed(0)
    model = M2PEncoder().eval()
    x = torch.randn(2, 24, 4800)
    with torch.no_grad():
        fwd_cold, fwd_warm = timed(lambda: model(x))
    trace_cold, trace_warm = timed(lambda: trace_shapes(model, (2, 5400, 4800)))
    synth_cold, synth_warm = timed(lambda: synth_music(seconds=30.0, style="house"), repeats=3)

    print(f"threads: {torch.get_num_threads()}")
    print(f"forward, full size, [2, 24, 4800]:      cold {fwd_cold * 1e3:7.1f} ms   warm {fwd_warm * 1e3:7.1f} ms")
    print(f"trace_shapes, full size, [2, 5400, 4800]: cold {trace_cold * 1e3:7.1f} ms   warm {trace_warm * 1e3:7.1f} ms")
    print(f"ratio trace(T=5400) / forward(T=24), warm: {trace_warm / fwd_warm:.2f}")
    print(f"synth_music, 30 s:                       cold {synth_cold * 1e3:7.1f} ms   warm {synth_warm * 1e3:7.1f} ms"
          f"   ({30.0 / synth_warm:.0f}x real time)")


if __name__ == "__main__":
    main()
