"""Speed of the model's main paths on this machine, measured in one run.

    python benchmarks/bench_model.py [--quick]

Prints: one forward pass of the full-size encoder at the guide's [2, 24, 4800] (eval, no
grad; cold = first call, warm = best of 5), the shape trace of the full-size model at
T = 5400 on the meta device (cold = first trace in this process, which includes torch's
one-time import of its meta kernels; warm = best of 5), the ratio of the two, and the time
to synthesise 30 s of music. ``--quick`` runs the same steps at tiny sizes, once (a smoke
run for the tests, not a measurement).
"""

from __future__ import annotations

import argparse
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run")
    args = parser.parse_args()

    from m2p_course import M2PEncoder, trace_shapes
    from m2p_course.synthetic.music import synth_music

    if args.quick:
        config = dict(music_input_dim=48, hidden_dim=32, num_layers=1)
        size, frames, seconds, repeats = "tiny", 540, 2.0, 1
    else:
        config, size, frames, seconds, repeats = {}, "full size", 5400, 30.0, 5
    torch.manual_seed(0)
    model = M2PEncoder(**config).eval()
    dim = model.music_input_dim
    x = torch.randn(2, 24, dim)
    with torch.no_grad():
        fwd_cold, fwd_warm = timed(lambda: model(x), repeats)
    trace_cold, trace_warm = timed(lambda: trace_shapes(model, (2, frames, dim)), repeats)
    synth_cold, synth_warm = timed(lambda: synth_music(seconds=seconds, style="house"), max(1, repeats - 2))

    trace_name = f"trace_shapes, {size}, [2, {frames}, {dim}]:"
    print(f"threads: {torch.get_num_threads()}")
    print(f"{f'forward, {size}, [2, 24, {dim}]:':<42}cold {fwd_cold * 1e3:7.1f} ms   warm {fwd_warm * 1e3:7.1f} ms")
    print(f"{trace_name:<42}cold {trace_cold * 1e3:7.1f} ms   warm {trace_warm * 1e3:7.1f} ms")
    print(f"ratio trace(T={frames}) / forward(T=24), warm: {trace_warm / fwd_warm:.2f}")
    print(f"{f'synth_music, {seconds:g} s:':<42}cold {synth_cold * 1e3:7.1f} ms   warm {synth_warm * 1e3:7.1f} ms"
          f"   ({seconds / synth_warm:.0f}x real time)")


if __name__ == "__main__":
    main()
