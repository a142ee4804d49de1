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

from .i18n import _, get_language

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
    print(_("Coordinates: none on the guide's model (no spatial axis); M2PEncoder(heatmap_size=(H, W)) has them"))
    print(_("forward pass: {ms:.0f} ms on {device}").format(ms=elapsed * 1000, device=music_features.device) + "\n")


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
        y, sr = song.audio, song.sr
        name = _("the default song ({bpm:g} BPM {style}, key {key})").format(bpm=song.bpm, style=song.style,
                                                                             key=song.key)
    else:
        from .audio import load_audio

        song = None
        y, sr = load_audio(args.audio)
        name = str(args.audio)
    print(_("music: {name}, {seconds:.1f} s at {sr} Hz").format(name=name, seconds=len(y) / sr, sr=sr))

    descriptors = frame_descriptors(y, sr, fps=fps, recipe=recipe)             # [T, 48]
    features = stack_context(descriptors, recipe.context)                      # [T, 4800]
    beat_frames = np.flatnonzero(descriptors[:, recipe.group_columns("beat")][:, 0] > 0.5)
    print(_("features: [T, {dim}] = {shape} ({frame_dim} per frame x {context} frames of context, {fps} frames per "
            "second)").format(dim=recipe.dim, shape=list(features.shape), frame_dim=recipe.frame_dim,
                              context=recipe.context, fps=fps))
    print(_("beats found: {n}").format(n=len(beat_frames)) + "\n")

    frames = min(len(features), int(args.max_seconds * fps))
    if frames < len(features):
        print(_("(the encoder sees the first {seconds:g} s: {frames} of {total} frames)").format(
            seconds=args.max_seconds, frames=frames, total=len(features)))
    model = _full_size_model(args.seed)
    music_features = torch.from_numpy(features[None, :frames])                 # [B=1, T, 4800]
    print(_("music features: {shape}").format(shape=music_features.shape))
    _print_outputs(model, music_features)
    print(trace_shapes(model, music_features))

    if song is not None:
        dance = dance_for_song(song, fps=fps, style="bouncer", seed=args.seed)
        what = _("the synthetic choreography for the song")
    else:
        beat_times = beat_frames / fps
        dance = generate_dance(beat_times, beat_times[::4], len(features), fps=fps, style="bouncer", seed=args.seed)
        what = _("a synthetic dance on the beats found in your music")
    features_png = save_features_figure(descriptors, out / "features.png", recipe=recipe, fps=fps,
                                        beat_frames=beat_frames)
    print("\n" + _("wrote {path} (the music descriptors over time, beats on top)").format(path=features_png))
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
        print("\n" + _("the trained weights are missing, so no trained model dances here ({error})").format(error=exc))
        print(_("instead, dance.gif and dance.png show the synthetic dance; poses.npy is not written"))
        title = "ground truth" if default_song else "synthetic"
        gif = save_dance_gif(dance, out / "dance.gif", fps=fps, titles=(title,), beats=beat_frames, **GIF)
        png = save_pose_figure(dance, out / "dance.png", fps=fps)
        print(_("wrote {path} ({what}, animated; beats flash red)").format(path=gif, what=what))
        print(_("wrote {path} ({what}, a strip of moments; the untrained encoder's logits have no coordinates to "
                "draw)").format(path=png, what=what))
        return

    size = sum(p.numel() for p in trained.parameters())
    height, width = trained.heatmap_size
    start = time.perf_counter()
    poses = predict_dance(trained, features)                                   # [T, 134, 2]
    elapsed = time.perf_counter() - start
    print("\n" + _("the trained model ({size:,} parameters, {height} x {width} heatmaps) danced the whole song: "
                   "{frames} frames in {seconds:.2f} s").format(size=size, height=height, width=width,
                                                              frames=len(poses), seconds=elapsed))
    poses_npy = out / "poses.npy"
    np.save(poses_npy, poses)
    if default_song:
        gif = save_dance_gif(poses, out / "dance.gif", fps=fps, reference=dance, titles=("model", "ground truth"),
                             beats=beat_frames, **GIF)
        gif_what = _("the model's dance beside the synthetic choreography for the song, animated; beats flash red")
    else:
        gif = save_dance_gif(poses, out / "dance.gif", fps=fps, titles=("model",), beats=beat_frames, **GIF)
        gif_what = _("the model's dance, animated; beats flash red")
    png = save_pose_figure(poses, out / "dance.png", fps=fps)
    print(_("wrote {path} (the model's poses: {shape} float32, x and y in [-1, 1], y down)").format(
        path=poses_npy, shape=list(poses.shape)))
    print(_("wrote {path} ({what})").format(path=gif, what=gif_what))
    print(_("wrote {path} (the model's dance, a strip of moments)").format(path=png))
    if len(beat_frames) == 0 or len(poses) < 3:
        print(_("beat alignment score: none (it needs beats in the music and at least 3 frames)"))
        return
    line = _("beat alignment score (BAS, 1 = the body hits every beat): model {bas:.3f}").format(
        bas=beat_alignment_score(poses, beat_frames))
    if default_song:
        line += _(", ground truth {bas:.3f}").format(bas=beat_alignment_score(dance, beat_frames))
    print(line)


def _guide(args: argparse.Namespace) -> int:
    import torch

    from .shapes import trace_shapes

    model = _full_size_model(args.seed)
    music_features = torch.randn(2, 24, 4800)  # [B=2, T=24, 4800], as in the guide
    print(_("music features: {shape} (random, as in the guide; seed {seed})").format(shape=music_features.shape,
                                                                                     seed=args.seed))
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


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter with its "usage: " in the language in use (argparse's own catalogue has no Korean)."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


def _parser_texts(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """-h/--help and the group titles in the language in use (the parser is made with add_help=False)."""
    parser.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                        help=_("show this help message and exit"))
    parser._positionals.title = _("positional arguments")     # argparse names them in English only
    parser._optionals.title = _("options")
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser; its help texts are in the language in use (M2P_LANG, or set_language)."""
    parser = _parser_texts(argparse.ArgumentParser(
        prog="m2p-course", description=_("The M2P encoder course's command line."), add_help=False,
        formatter_class=_HelpFormatter))
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return _parser_texts(sub.add_parser(name, help=help, add_help=False,
                                            formatter_class=_HelpFormatter))

    demo = command("demo", _("music -> features -> the full-size encoder's shapes; the trained model's dance"))
    demo.add_argument("--audio", type=Path, default=None, help=_("a music file (default: the course's own song)"))
    demo.add_argument("--out", type=Path, default=Path("m2p_demo"),
                      help=_("folder for the pictures, the GIF and poses.npy (default: m2p_demo)"))
    demo.add_argument("--fps", type=int, default=30, help=_("pose frames per second (default 30)"))
    demo.add_argument("--max-seconds", type=float, default=30.0,
                      help=_("how much of the music the full-size encoder sees (default 30 s; attention grows with "
                             "T^2); the trained model always dances the whole song, in windows"))
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)

    guide = command("guide", _("the guide's usage example on random [2, 24, 4800] features"))
    guide.add_argument("--seed", type=int, default=0)
    guide.set_defaults(func=_guide)

    shapes = command("shapes", _("print every stage's shape for a B, T and model size"))
    shapes.add_argument("--batch", type=int, default=2)
    shapes.add_argument("--frames", type=int, default=24)
    shapes.add_argument("--hidden-dim", type=int, default=1024)
    shapes.add_argument("--layers", type=int, default=6)
    shapes.add_argument("--input-dim", type=int, default=4800)
    shapes.add_argument("--heatmap", type=int, default=0, help=_("H = W of a spatial pose head (0: the guide's)"))
    shapes.set_defaults(func=_shapes)

    train = command("train", _("train a spatial-head encoder on the synthetic dances (torchrun-ready)"))
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
    try:
        get_language()                                   # a bad M2P_LANG is a clear error, not a traceback
    except ValueError as exc:
        print(f"m2p-course: error: {exc}", file=sys.stderr)
        return 2
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
