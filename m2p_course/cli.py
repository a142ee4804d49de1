"""The ``m2p-course`` command.

    m2p-course demo                  music -> features -> the full-size encoder -> shapes and pictures, and
                                     the shipped trained model's dance (poses.npy, dance.gif, dance.png),
                                     on the course's embedded default song
    m2p-course demo --audio FILE     the same on your own music (wav, flac, ogg, mp3)
    m2p-course guide                 the guide's usage example, verbatim (random [2, 24, 4800])
    m2p-course shapes --frames 5400  the shape table for any B, T and size (meta device: instant)
    m2p-course train --out DIR --minutes 8
                                     train a spatial-head encoder on the synthetic dances; writes the model
                                     (config.json, model.safetensors), metrics.json and loss.png. The same
                                     command runs under `torchrun --standalone --nproc_per_node=N` (DDP)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]

# 10 frames a second, 200 px panels: the default song's 24 s, two panels, in about 400 KB
GIF = dict(every=3, size=200)


def _print_outputs(model, music_features) -> None:
    """Run the model and print the guide's output lines; returns nothing."""
    import torch

    start = time.perf_counter()
    with torch.no_grad():
        pose_logits, face_embed = model(music_features)
        heatmap = model.get_pose_heatmap(pose_logits)
    elapsed = time.perf_counter() - start
    print(f"Pose: {pose_logits.shape}")
    print(f"Face: {face_embed.shape}")
    print(f"Heatmap: {heatmap.shape}")
    print("Coordinates: none on the guide's model (no spatial axis); M2PEncoder(heatmap_size=(H, W)) has them")
    print(f"forward pass: {elapsed * 1000:.0f} ms on {music_features.device}\n")


def _full_size_model(seed: int):
    from .env import seed_everything
    from .model import M2PEncoder

    seed_everything(seed)
    return M2PEncoder(music_input_dim=4800, hidden_dim=1024, pose_channels=134, face_embed_dim=512).eval()


def _demo(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from .features import DEFAULT_RECIPE, frame_descriptors, save_features_figure, stack_context
    from .shapes import trace_shapes
    from .synthetic.choreography import dance_for_song, generate_dance

    fps, recipe = args.fps, DEFAULT_RECIPE
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    if args.audio is None:
        from .synthetic.music import default_song

        song = default_song()
        y, sr, name = song.audio, song.sr, f"the default song ({song.bpm:g} BPM {song.style}, key {song.key})"
    else:
        from .audio import load_audio

        song = None
        y, sr = load_audio(args.audio)
        name = str(args.audio)
    print(f"music: {name}, {len(y) / sr:.1f} s at {sr} Hz")

    descriptors = frame_descriptors(y, sr, fps=fps, recipe=recipe)             # [T, 48]
    features = stack_context(descriptors, recipe.context)                      # [T, 4800]
    beat_frames = np.flatnonzero(descriptors[:, recipe.group_columns("beat")][:, 0] > 0.5)
    print(f"features: [T, {recipe.dim}] = {list(features.shape)} "
          f"({recipe.frame_dim} per frame x {recipe.context} frames of context, {fps} frames per second)")
    print(f"beats found: {len(beat_frames)}\n")

    frames = min(len(features), int(args.max_seconds * fps))
    if frames < len(features):
        print(f"(the encoder sees the first {args.max_seconds:g} s: {frames} of {len(features)} frames)")
    model = _full_size_model(args.seed)
    music_features = torch.from_numpy(features[None, :frames])                 # [B=1, T, 4800]
    print(f"music features: {music_features.shape}")
    _print_outputs(model, music_features)
    print(trace_shapes(model, music_features))

    if song is not None:
        dance = dance_for_song(song, fps=fps, style="bouncer", seed=args.seed)
        what = "the synthetic choreography for the song"
    else:
        beat_times = beat_frames / fps
        dance = generate_dance(beat_times, beat_times[::4], len(features), fps=fps, style="bouncer", seed=args.seed)
        what = "a synthetic dance on the beats found in your music"
    features_png = save_features_figure(descriptors, out / "features.png", recipe=recipe, fps=fps,
                                        beat_frames=beat_frames)
    print(f"\nwrote {features_png} (the music descriptors over time, beats on top)")
    _demo_dance(features, dance, what, song is not None, beat_frames, out, fps)
    return 0


def _demo_dance(features, dance, what: str, default_song: bool, beat_frames, out: Path, fps: int) -> None:
    """The shipped trained model dances the whole song: features [T, 4800] -> poses.npy [T, 134, 2],
    dance.gif (beside the synthetic dance `dance` [T, 134, 2] for the default song), dance.png and its BAS.
    Without the shipped weights: says so, and draws the synthetic dance instead."""
    import numpy as np

    from .inference import predict_dance
    from .synthetic.metrics import beat_alignment_score
    from .viz import save_dance_gif, save_pose_figure

    try:
        from .checkpoint import pretrained

        trained = pretrained()
    except FileNotFoundError as exc:
        print(f"\nthe trained weights are missing, so no trained model dances here ({exc})")
        print("instead, dance.gif and dance.png show the synthetic dance; poses.npy is not written")
        title = "ground truth" if default_song else "synthetic"
        gif = save_dance_gif(dance, out / "dance.gif", fps=fps, titles=(title,), beats=beat_frames, **GIF)
        png = save_pose_figure(dance, out / "dance.png", fps=fps)
        print(f"wrote {gif} ({what}, animated; beats flash red)")
        print(f"wrote {png} ({what}, a strip of moments; the untrained encoder's logits have no coordinates to draw)")
        return

    size = sum(p.numel() for p in trained.parameters())
    height, width = trained.heatmap_size
    start = time.perf_counter()
    poses = predict_dance(trained, features)                                   # [T, 134, 2]
    elapsed = time.perf_counter() - start
    print(f"\nthe trained model ({size:,} parameters, {height} x {width} heatmaps) danced the whole song: "
          f"{len(poses)} frames in {elapsed:.2f} s")
    poses_npy = out / "poses.npy"
    np.save(poses_npy, poses)
    if default_song:
        gif = save_dance_gif(poses, out / "dance.gif", fps=fps, reference=dance, titles=("model", "ground truth"),
                             beats=beat_frames, **GIF)
        gif_what = "the model's dance beside the synthetic choreography for the song, animated; beats flash red"
    else:
        gif = save_dance_gif(poses, out / "dance.gif", fps=fps, titles=("model",), beats=beat_frames, **GIF)
        gif_what = "the model's dance, animated; beats flash red"
    png = save_pose_figure(poses, out / "dance.png", fps=fps)
    print(f"wrote {poses_npy} (the model's poses: {list(poses.shape)} float32, x and y in [-1, 1], y down)")
    print(f"wrote {gif} ({gif_what})")
    print(f"wrote {png} (the model's dance, a strip of moments)")
    if len(beat_frames) == 0 or len(poses) < 3:
        print("beat alignment score: none (it needs beats in the music and at least 3 frames)")
        return
    line = ("beat alignment score (BAS, 1 = the body hits every beat): "
            f"model {beat_alignment_score(poses, beat_frames):.3f}")
    if default_song:
        line += f", ground truth {beat_alignment_score(dance, beat_frames):.3f}"
    print(line)


def _guide(args: argparse.Namespace) -> int:
    import torch

    from .shapes import trace_shapes

    model = _full_size_model(args.seed)
    music_features = torch.randn(2, 24, 4800)  # [B=2, T=24, 4800], as in the guide
    print(f"music features: {music_features.shape} (random, as in the guide; seed {args.seed})")
    _print_outputs(model, music_features)
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

    demo = sub.add_parser("demo", help="music -> features -> the full-size encoder's shapes; the trained model's dance")
    demo.add_argument("--audio", type=Path, default=None, help="a music file (default: the course's own song)")
    demo.add_argument("--out", type=Path, default=Path("m2p_demo"),
                      help="folder for the pictures, the GIF and poses.npy (default: m2p_demo)")
    demo.add_argument("--fps", type=int, default=30, help="pose frames per second (default 30)")
    demo.add_argument("--max-seconds", type=float, default=30.0,
                      help="how much of the music the full-size encoder sees (default 30 s; attention grows with "
                           "T^2); the trained model always dances the whole song, in windows")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)

    guide = sub.add_parser("guide", help="the guide's usage example on random [2, 24, 4800] features")
    guide.add_argument("--seed", type=int, default=0)
    guide.set_defaults(func=_guide)

    shapes = sub.add_parser("shapes", help="print every stage's shape for a B, T and model size")
    shapes.add_argument("--batch", type=int, default=2)
    shapes.add_argument("--frames", type=int, default=24)
    shapes.add_argument("--hidden-dim", type=int, default=1024)
    shapes.add_argument("--layers", type=int, default=6)
    shapes.add_argument("--input-dim", type=int, default=4800)
    shapes.add_argument("--heatmap", type=int, default=0, help="H = W of a spatial pose head (0: the guide's)")
    shapes.set_defaults(func=_shapes)

    train = sub.add_parser("train", help="train a spatial-head encoder on the synthetic dances (torchrun-ready)")
    _add_train_arguments(train)
    train.set_defaults(func=_train)
    return parser


def _add_train_arguments(parser) -> None:
    from .train import add_arguments  # torch, but not librosa: building the parser stays cheap

    add_arguments(parser)


def _train(args: argparse.Namespace) -> int:
    from .train import run_command

    return run_command(args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "max_seconds", 1.0) <= 0:
        print("m2p-course: error: --max-seconds must be > 0", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as exc:                 # OSError: a file or folder that cannot be used
        print(f"m2p-course: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
