"""The ``m2p-course`` command.

    m2p-course demo                 the guide's usage example on the full-size model, seeded,
                                    with the shape of every stage
    m2p-course demo --audio FILE    the same, starting from your own music
    m2p-course shapes --frames 5400 the shape table for any B and T (meta device: instant)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    import torch

    from .env import seed_everything
    from .model import M2PEncoder
    from .shapes import trace_shapes

    seed_everything(args.seed)
    print("M2P encoder demo: the guide's usage example on the full-size model "
          f"(seed {args.seed}, device cpu)\n")
    model = M2PEncoder(music_input_dim=4800, hidden_dim=1024, pose_channels=134, face_embed_dim=512).eval()
    music_features = torch.randn(2, 24, 4800)  # [B=2, T=24, 4800], as in the guide
    print(f"music features: {tuple(music_features.shape)} (random, as in the guide)")
    start = time.perf_counter()
    with torch.no_grad():
        pose_logits, face_embed = model(music_features)
        heatmap = model.get_pose_heatmap(pose_logits)
    elapsed = time.perf_counter() - start
    print(f"Pose: {pose_logits.shape}")
    print(f"Face: {face_embed.shape}")
    print(f"Heatmap: {heatmap.shape}")
    try:
        model.get_pose_coordinates(pose_logits)
    except ValueError as exc:
        print(f"Coordinates: not available on the guide's model ({str(exc).split(':')[0]}; "
              "build it with heatmap_size=(H, W))")
    print(f"forward pass: {elapsed * 1000:.0f} ms\n")
    print(trace_shapes(model, music_features))
    return 0


def _shapes(args: argparse.Namespace) -> int:
    from .shapes import trace_shapes

    config = dict(hidden_dim=args.hidden_dim, num_layers=args.layers, music_input_dim=args.input_dim)
    if args.heatmap:
        config["heatmap_size"] = (args.heatmap, args.heatmap)
    print(trace_shapes(config, (args.batch, args.frames, args.input_dim)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="m2p-course", description="The M2P encoder course's command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the guide's usage example on the full-size model")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)
    shapes = sub.add_parser("shapes", help="print every stage's shape for a B, T and model size")
    shapes.add_argument("--batch", type=int, default=2)
    shapes.add_argument("--frames", type=int, default=24)
    shapes.add_argument("--hidden-dim", type=int, default=1024)
    shapes.add_argument("--layers", type=int, default=6)
    shapes.add_argument("--input-dim", type=int, default=4800)
    shapes.add_argument("--heatmap", type=int, default=0, help="H = W of a spatial pose head (0: the guide's)")
    shapes.set_defaults(func=_shapes)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"m2p-course: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
