"""Training speed of the default configuration (``TrainConfig()``, the shipped model's), in one run.

    python benchmarks/bench_train.py [--quick] [--steps N]

Times ``train_step`` (forward, the losses, backward, clipping, AdamW, the schedule) on batches of
the default shape, [batch_size, window, 4800], for float32 and for bfloat16 autocast, and prints
steps per second, frames per second and the bfloat16 / float32 ratio. Then it says how close
bfloat16 stays to float32: the coordinates of the same model on the same batch, and the losses.
The data are random features and poses of the right shapes (the speed does not depend on them;
building the synthetic dataset is timed by ``m2p-course train`` itself). ``--quick`` runs the
same steps on a tiny model, a smoke run for the tests, not a measurement.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny model, two steps: a smoke run")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per precision (default 20)")
    args = parser.parse_args()

    from m2p_course.train import TrainConfig, build_model, forward_coords, train_step

    config = TrainConfig()
    steps = args.steps
    if args.quick:
        config = replace(config, hidden_dim=16, num_layers=1, num_heads=2, face_embed_dim=8, heatmap=4,
                         batch_size=2, window=30)
        steps = 2
    print(f"threads: {torch.get_num_threads()}, torch {torch.__version__}")
    print(f"configuration: hidden {config.hidden_dim}, {config.num_layers} layers, {config.heatmap} x "
          f"{config.heatmap} heatmaps, batch {config.batch_size} x {config.window} frames")
    generator = torch.Generator().manual_seed(0)
    batch = {"music": torch.randn(config.batch_size, config.window, 4800, generator=generator),
             "pose": torch.rand(config.batch_size, config.window, 134, 2, generator=generator) * 1.6 - 0.8,
             "dancer": torch.randint(4, (config.batch_size,), generator=generator)}

    rates = {}
    for precision in ("fp32", "bf16"):
        run_config = replace(config, precision=precision)
        model, arcface = build_model(run_config)
        params = list(model.parameters()) + list(arcface.parameters())
        optimizer = torch.optim.AdamW(params, lr=config.lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
        scaler = torch.amp.GradScaler("cpu", enabled=False)
        for _ in range(2):                                            # warm-up: allocations, kernels
            train_step(model, arcface, batch, optimizer, scheduler, scaler, run_config)
        start = time.perf_counter()
        for _ in range(steps):
            train_step(model, arcface, batch, optimizer, scheduler, scaler, run_config)
        seconds = (time.perf_counter() - start) / steps
        rates[precision] = 1.0 / seconds
        print(f"{precision}: {1 / seconds:.2f} steps/s ({seconds * 1000:.0f} ms a step, "
              f"{config.batch_size * config.window / seconds:,.0f} frames/s)")
    print(f"bf16 / fp32 steps per second: {rates['bf16'] / rates['fp32']:.2f}x")

    model, arcface = build_model(config)
    model.eval()
    with torch.no_grad():
        _, exact, _ = forward_coords(model, batch["music"])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            _, low, _ = forward_coords(model, batch["music"])
    difference = (low.float() - exact).abs()
    print(f"bf16 autocast vs fp32, same model and batch: coordinates differ by {difference.mean():.1e} on average, "
          f"{difference.max():.1e} at most (the [-1, 1] frame)")


if __name__ == "__main__":
    main()
