"""Does the shipped dancer hear real music? Measured on recordings held out from training, in one run.

    python tools/fetch_recordings.py                      # once: the recordings, from Debian's registry
    python benchmarks/bench_real_music.py [--weights DIR] [--recordings DIR] [--clips N] [--figure PNG]
    # it prints the table: "| tee benchmarks/bench_real_music.txt" keeps it

For every evaluation recording of ``m2p_course.recordings`` (role "eval": no recording, package or
composer of them is trained on), the model dances the excerpt (``predict_dance`` over the music
features) and the table gives, against librosa's own beats (``librosa.beat.beat_track``):

    BAS of the model, of a smooth random motion of the same length and of a still pose;
    the mean joint speed; the dance's tempo (its kinematic beats) against the music's, as a ratio
    (1, 2 or 1/2 within 8% count as on tempo); the dancer the face embedding picks.

Then the same model on synthetic songs of seeds no model here was trained on (keypoint error
against the mean pose's, BAS against the ground truth's, dancers identified), and where the real
and the synthetic features differ, group by group (a figure beside the output). The aims of issue 16
are checked at the end: every line says met or NOT met.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
UNSEEN_SEEDS = (7_000_000, 8_000_000, 9_000_000)


def _load_model(weights):
    from m2p_course.checkpoint import PRETRAINED_DIR, load_pretrained, pretrained

    directory = PRETRAINED_DIR if weights is None else Path(weights)
    model = pretrained() if weights is None else load_pretrained(directory)
    metrics = json.loads((directory / "metrics.json").read_text())
    return model.eval(), directory, torch.tensor(metrics["mean_pose"], dtype=torch.float32)


def real_music(model, root, window):
    from m2p_course.features import DEFAULT_RECIPE, frame_descriptors
    from m2p_course.real_music import dance_recording
    from m2p_course.recordings import available_recordings, load_recording

    recs = available_recordings("eval", root)
    rate = DEFAULT_RECIPE.sample_rate(30)
    rows, descriptors_all = [], []
    for k, rec in enumerate(recs):
        y, sr = load_recording(rec, root, sr=rate)
        descriptors = frame_descriptors(y, sr, 30, DEFAULT_RECIPE)
        descriptors_all.append(descriptors)
        danced = dance_recording(model, y, sr, name=rec.name, window=window, seed=k)
        tempo = 120 * 2 ** descriptors[:, DEFAULT_RECIPE.group_columns("local_tempo")][:, 0]
        rows.append({"name": rec.name, "kind": rec.kind, "seconds": len(y) / sr, "beats": len(danced.beat_frames),
                     "tempo_p10": float(np.percentile(tempo, 10)), "tempo_p90": float(np.percentile(tempo, 90)),
                     **danced.report})
    return rows, descriptors_all


def synthetic(model, mean_pose, train_data, window, clips):
    from m2p_course.synthetic.dataset import SyntheticDanceDataset
    from m2p_course.train import evaluate, stacked

    out, descriptors = [], []
    for seed in UNSEEN_SEEDS:
        data = SyntheticDanceDataset(clips, seconds=12.0, seed=seed)
        descriptors += [data.descriptors(i) for i in range(len(data))]
        out.append({"seed": seed, **evaluate(model, train_data, stacked(data), window, mean_pose)})
    return out, descriptors


def feature_gap(real, synth, path):
    """Per feature group: the distance between the real and the synthetic values (1-D Wasserstein of
    the pooled values) and each one's frame-to-frame change; a figure of the value distributions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import wasserstein_distance

    from m2p_course.features import DEFAULT_RECIPE

    real, synth = np.concatenate(real), np.concatenate(synth)
    rows = []
    groups = DEFAULT_RECIPE.breakdown()
    fig, axes = plt.subplots(2, 4, figsize=(12, 5))
    for ax, g in zip(axes.flat, groups, strict=False):
        cols = slice(g["columns"].start, g["columns"].stop)
        r, s = real[:, cols], synth[:, cols]
        step_r = float(np.abs(np.diff(r, axis=0)).mean())
        step_s = float(np.abs(np.diff(s, axis=0)).mean())
        rows.append({"group": g["group"], "wasserstein": float(wasserstein_distance(r.ravel(), s.ravel())),
                     "mean_real": float(r.mean()), "mean_synth": float(s.mean()),
                     "step_real": step_r, "step_synth": step_s})
        lo, hi = np.percentile(np.concatenate([r.ravel(), s.ravel()]), [0.5, 99.5])
        bins = np.linspace(lo, hi + 1e-6, 50)
        ax.hist(s.ravel(), bins=bins, density=True, alpha=0.5, label="synthetic")
        ax.hist(r.ravel(), bins=bins, density=True, alpha=0.5, label="real")
        ax.set_title(f"{g['group']} (W1 {rows[-1]['wasserstein']:.2f})", fontsize=9)
        ax.tick_params(labelsize=7)
    axes.flat[-1].axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Music descriptors, real (held-out recordings) vs synthetic (unseen seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=None, help="a model folder (default: the shipped model)")
    parser.add_argument("--recordings", type=Path, default=None, help="where tools/fetch_recordings.py put them")
    parser.add_argument("--clips", type=int, default=16, help="synthetic songs per unseen seed (default 16)")
    parser.add_argument("--figure", type=Path, default=HERE / "bench_real_music.png")
    args = parser.parse_args(argv)

    from m2p_course.recordings import available_recordings
    from m2p_course.train import TrainConfig, load_data, stacked

    if not available_recordings("eval", args.recordings):
        sys.exit("no evaluation recordings: run `python tools/fetch_recordings.py` first")
    torch.manual_seed(0)
    start = time.perf_counter()
    model, directory, mean_pose = _load_model(args.weights)
    config = TrainConfig(**{k: v for k, v in json.loads((directory / "training.json").read_text()).items()
                            if k in TrainConfig.__dataclass_fields__})
    train_set = load_data(config)[0]
    synthetic_part = getattr(train_set, "parts", (train_set,))[0]      # the dancers' centroids: synthetic songs
    train_data = stacked(synthetic_part)
    print(f"model: {directory} ({sum(p.numel() for p in model.parameters()):,} parameters), torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")

    rows, real_desc = real_music(model, args.recordings, config.window)
    print("\nReal recordings, held out from training (BAS against librosa.beat.beat_track's beats):")
    print(f"{'recording':<18}{'kind':<44}{'BAS':>6}{'random':>8}{'still':>7}{'speed':>7}{'dance':>7}"
          f"{'music':>7}{'ratio':>7}  tempo  dancer")
    for r in rows:
        print(f"{r['name']:<18}{r['kind'][:43]:<44}{r['bas']:>6.3f}{r['bas_random']:>8.3f}{r['bas_still']:>7.3f}"
              f"{r['speed']:>7.4f}{r['dance_bpm']:>7.1f}{r['music_bpm']:>7.1f}{r['tempo_ratio']:>7.2f}  "
              f"{'on ' if r['on_tempo'] else 'off'}    {r['dancer']}")
    margin = [r["bas"] - r["bas_random"] for r in rows]
    on = sum(r["on_tempo"] for r in rows)
    print(f"mean BAS {np.mean([r['bas'] for r in rows]):.3f}, random {np.mean([r['bas_random'] for r in rows]):.3f}; "
          f"BAS - random: min {min(margin):+.3f}, mean {np.mean(margin):+.3f}; on tempo {on} of {len(rows)}; "
          f"dancers picked: {sorted({r['dancer'] for r in rows})}")

    synth, synth_desc = synthetic(model, mean_pose, train_data, config.window, args.clips)
    print(f"\nSynthetic songs of unseen seeds ({args.clips} songs of 12 s each):")
    for s in synth:
        print(f"seed {s['seed']}: keypoint error {s['error_ratio']:.3f} x the mean pose's, BAS {s['bas']:.3f} = "
              f"{s['bas_ratio']:.3f} x the ground truth's, dancers identified {s['dancer_accuracy']:.0%}")

    gap = feature_gap(real_desc, synth_desc, args.figure)
    print("\nWhere real and synthetic features differ (per group; W1 = Wasserstein distance of the values, "
          "step = mean |frame-to-frame change|):")
    print(f"{'group':<18}{'W1':>7}{'mean real':>11}{'mean synth':>12}{'step real':>11}{'step synth':>12}")
    for g in gap:
        print(f"{g['group']:<18}{g['wasserstein']:>7.3f}{g['mean_real']:>11.3f}{g['mean_synth']:>12.3f}"
              f"{g['step_real']:>11.3f}{g['step_synth']:>12.3f}")
    print(f"figure: {args.figure.name}")

    print("\nThe aims (issue 16):")
    aims = [
        (f"real music: BAS at least 0.1 above the smooth random motion's on every recording "
         f"(min margin {min(margin):+.3f})", min(margin) >= 0.1),
        (f"real music: on tempo for at least 6 of 8 ({on} of {len(rows)})", on >= 6 * len(rows) / 8),
        (f"synthetic: keypoint error at most 0.5 x the mean pose's on every unseen seed "
         f"(max {max(s['error_ratio'] for s in synth):.3f})", max(s["error_ratio"] for s in synth) <= 0.5),
        (f"synthetic: BAS at least 0.8 x the ground truth's on every unseen seed "
         f"(min {min(s['bas_ratio'] for s in synth):.3f})", min(s["bas_ratio"] for s in synth) >= 0.8),
        (f"dancers told apart, at least 95% (min {min(s['dancer_accuracy'] for s in synth):.0%})",
         min(s["dancer_accuracy"] for s in synth) >= 0.95),
        (f"styles differ on real music: {len({r['dancer'] for r in rows})} dancers picked over the recordings",
         len({r["dancer"] for r in rows}) >= 2),
    ]
    for text, met in aims:
        print(f"  {'met    ' if met else 'NOT met'}  {text}")
    print(f"\none run, {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
