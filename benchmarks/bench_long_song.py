"""A whole song through the full-size encoder: the fast attention path against the guide's model
written plainly, gradient checkpointing, torch.compile; time and peak memory, measured in one run.

    python benchmarks/bench_long_song.py [--quick] [--figure PATH]

1. **Whole song** (T = 5400, three minutes at 30 FPS, B = 1, eval, no grad), float32 and
   bfloat16 (CPU autocast): ``M2PEncoder`` (attention through ``scaled_dot_product_attention``)
   against the same weights in torch's own ``nn.TransformerEncoder`` (its inference fast path),
   side by side: best time of the repeats, peak memory, their ratios, and the fraction of the
   bound set by this machine's matrix-multiply rate (the pass's FLOPs / the GEMM rate measured
   here at the transformer's shapes).
2. **Against T** (300 to 5400): inference, both paths; a training step (forward + backward, the
   model's dropout 0.1) with and without gradient checkpointing, in float32 and in bfloat16
   (CPU autocast), and the activations each keeps for backward (``SavedActivations``), also with
   dropout 0 (the fused attention kernel). Only the checkpointed step reaches the whole song: the
   plain one keeps [8, T, T] attention per layer (6 GB at T = 2700).
3. **torch.compile**: a small model, eager against ``torch.compile(fullgraph=True)``.

Each measurement runs in its own process, so its peak memory (``ru_maxrss``) is its own: "peak"
is that process's peak resident memory, "+fwd" the part above what it held before the pass (the
model's weights, the input, torch itself). Times are the best of the repeats (the first call
included), because other work may share the cores. ``--quick``: tiny sizes, one repeat (a smoke
run for the tests, not a measurement). ``--figure PATH`` draws the curves of part 2.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import torch

from m2p_course.performance import gemm_rate, stage_flops  # the bound: FLOPs / this machine's GEMM rate

FULL = {}
TINY = dict(music_input_dim=48, hidden_dim=32, num_heads=4, num_layers=1)


# -----------------------------------------------------------------------------
# one measurement (runs in a child process)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _build(spec: dict):
    from torch import nn

    from m2p_course import M2PEncoder

    torch.manual_seed(0)
    model = M2PEncoder(**spec["config"], dropout=spec.get("dropout", 0.1),
                       gradient_checkpointing=spec.get("checkpoint", False))
    if spec.get("impl") == "plain":      # the guide's model written plainly: torch's own encoder, same weights
        layer0 = model.transformer.layers[0]
        plain = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(layer0.self_attn.embed_dim, layer0.self_attn.num_heads,
                                       layer0.linear1.out_features, dropout=layer0.dropout.p,
                                       activation="gelu", batch_first=True),
            num_layers=len(model.transformer.layers), enable_nested_tensor=False)
        plain.load_state_dict(model.transformer.state_dict())
        model.transformer = plain
    return model


def measure(spec: dict) -> dict:
    """Run one measurement described by ``spec``; returns times, memory and (training) saved bytes."""
    from m2p_course.transformer import SavedActivations

    torch.set_num_threads(spec.get("threads") or torch.get_num_threads())
    model = _build(spec)
    music = torch.randn(1, spec["T"], model.music_input_dim)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=spec.get("dtype") == "bfloat16")
    times, saved = [], None
    base = _rss_bytes()
    if spec["what"] == "infer":
        model.eval()
        for _ in range(spec["repeats"]):
            start = time.perf_counter()
            with torch.no_grad(), autocast:
                model(music)
            times.append(time.perf_counter() - start)
    else:
        model.train()
        for i in range(spec["repeats"]):
            model.zero_grad(set_to_none=True)
            start = time.perf_counter()
            with SavedActivations(model) as kept, autocast:
                pose, face = model(music)
                loss = pose.square().mean() + face.sum()
            loss.backward()
            times.append(time.perf_counter() - start)
            if i == 0:
                saved = kept.bytes
            del pose, face, loss
    return dict(times=times, best=min(times), base_rss=base, peak_rss=_peak_rss_bytes(), saved_bytes=saved)


def run_child(spec: dict) -> dict:
    """``measure(spec)`` in a fresh process (its own peak memory)."""
    code = "import json, sys; sys.path.insert(0, sys.argv[2]); import bench_long_song as b; " \
           "print('RESULT' + json.dumps(b.measure(json.loads(sys.argv[1]))))"
    here = os.path.dirname(os.path.abspath(__file__))
    result = subprocess.run([sys.executable, "-c", code, json.dumps(spec), here], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"measurement {spec} failed:\n{result.stderr[-3000:]}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


# -----------------------------------------------------------------------------
# the bound: FLOPs of one pass / this machine's GEMM rate


def forward_flops(length: int, **config) -> float:
    """Multiply-add FLOPs (2 per MAC) of one forward pass of a clip of ``length`` frames (B = 1):
    ``m2p_course.performance.stage_flops``, summed over the stages."""
    return float(sum(stage_flops(length, **config).values()))


# -----------------------------------------------------------------------------
# torch.compile on a small model


def compile_benchmark(quick: bool) -> dict:
    from m2p_course import M2PEncoder

    torch.manual_seed(0)
    if quick:
        config, length, backend, repeats = dict(TINY, dropout=0.0), 30, "aot_eager", 1
    else:
        config, length, backend, repeats = dict(music_input_dim=512, hidden_dim=256, num_heads=8, num_layers=2,
                                                dropout=0.0), 600, "inductor", 10
    model = M2PEncoder(**config).eval()
    music = torch.randn(2, length, model.music_input_dim)
    compiled = torch.compile(model, fullgraph=True, backend=backend)
    result = {"config": config, "length": length, "backend": backend}
    with torch.no_grad():
        start = time.perf_counter()
        compiled(music)
        result["compile_s"] = time.perf_counter() - start
        for name, fn in (("eager", model), ("compiled", compiled)):
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                fn(music)
                best = min(best, time.perf_counter() - start)
            result[name] = best
        result["max_abs_diff"] = (compiled(music)[0] - model(music)[0]).abs().max().item()
    return result


# -----------------------------------------------------------------------------


def gb(n: float) -> str:
    return f"{n / 1e9:5.2f} GB"


def draw(curves: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 3.6))
    colours = {"inference, plain torch": "C0", "inference, SDPA": "C1", "training step": "C2",
               "training step, checkpointed": "C3"}
    for label, points in curves.items():
        lengths = [p["T"] for p in points]
        style = dict(marker="o", label=label, color=colours.get(label.replace(", bfloat16", "")),
                     linestyle="--" if "bfloat16" in label else "-")
        ax_t.plot(lengths, [p["best"] for p in points], **style)
        ax_m.plot(lengths, [(p["peak_rss"] - p["base_rss"]) / 1e9 for p in points], **style)
    ax_t.set(xlabel="T (frames, 30 per second)", ylabel="seconds (best of the repeats)", title="time")
    ax_m.set(xlabel="T (frames, 30 per second)", ylabel="GB above the loaded model", title="peak memory")
    for ax in (ax_t, ax_m):
        ax.grid(alpha=0.3)
    ax_m.legend(fontsize=8)
    fig.suptitle("full-size M2PEncoder, B = 1, on this machine's CPU", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run")
    parser.add_argument("--figure", metavar="PATH", help="draw time and memory against T to this PNG")
    parser.add_argument("--part", type=int, choices=(1, 2, 3), action="append",
                        help="run only this part (1 whole song, 2 against T, 3 torch.compile); repeatable")
    args = parser.parse_args()
    parts = set(args.part or (1, 2, 3))

    if args.quick:
        config, song, lengths, train_lengths, repeats, train_repeats = TINY, 120, (30, 60, 120), (30, 60), 1, 1
    else:
        # the plain training step stops at T = 2700: on the CPU, attention dropout has no fused kernel, so
        # a step without checkpointing keeps [8, T, T] scores per layer (6 GB kept at T = 2700 already,
        # about 20 GB at the whole song); the checkpointed step goes on to the whole song
        config, song, lengths, train_lengths, repeats, train_repeats = FULL, 5400, (300, 1350, 2700, 5400), \
            (300, 1350, 2700), 3, 2
    print(f"threads: {torch.get_num_threads()}   (best of {repeats} for inference, {train_repeats} for training, "
          "first call included; other work may share the cores, so the best is the measurement)")

    song_results = {}
    if parts & {1, 2}:
        song_results = whole_song(song, config, repeats, show=1 in parts)
    if 2 in parts:
        curves = against_t(song, lengths, train_lengths, config, repeats, train_repeats, song_results)
        if args.figure:
            draw(curves, args.figure)
            print(f"\nfigure: {args.figure}")
    if 3 in parts:
        c = compile_benchmark(args.quick)
        size = ", ".join(f"{k}={v}" for k, v in c["config"].items())
        print(f"\n3. torch.compile(fullgraph=True, backend={c['backend']!r}), eval, no grad, [2, {c['length']}], "
              f"{size}")
        print(f"   first call (compiling) {c['compile_s']:.1f} s; eager {c['eager'] * 1e3:.1f} ms, compiled "
              f"{c['compiled'] * 1e3:.1f} ms: {c['eager'] / c['compiled']:.2f}x; max |difference| "
              f"{c['max_abs_diff']:.1e}")


def whole_song(song: int, config: dict, repeats: int, show: bool = True) -> dict:
    """Part 1: the whole song through both paths, float32 and bfloat16, side by side."""
    results = {}
    for dtype in ("float32", "bfloat16") if show else ("float32",):
        for impl in ("plain", "fast"):
            results[impl, dtype] = run_child(dict(what="infer", impl=impl, T=song, dtype=dtype, repeats=repeats,
                                                  config=config))
    if not show:
        return results
    flops = forward_flops(song, **config)
    rates = {"float32": gemm_rate(torch.float32), "bfloat16": gemm_rate(torch.bfloat16)}
    print(f"one forward pass at T = {song}: {flops / 1e12:.3f} TFLOP; GEMM rate here: "
          f"float32 {rates['float32'] / 1e9:.0f} GFLOP/s, bfloat16 {rates['bfloat16'] / 1e9:.0f} GFLOP/s")
    print(f"\n1. whole song, T = {song}, B = 1, eval, no grad")
    print(f"{'path':<46}{'best':>9}{'peak':>10}{'+fwd':>10}   GEMM bound")
    for dtype in ("float32", "bfloat16"):
        for impl in ("plain", "fast"):
            r = results[impl, dtype]
            bound = flops / rates[dtype]
            name = ("torch's nn.TransformerEncoder (plain)" if impl == "plain" else "M2PEncoder (SDPA)") + f", {dtype}"
            print(f"{name:<46}{r['best']:8.2f}s{gb(r['peak_rss']):>10}{gb(r['peak_rss'] - r['base_rss']):>10}"
                  f"   {bound:.2f} s = {bound / r['best']:.0%} of it")
        plain, fast = results["plain", dtype], results["fast", dtype]
        print(f"   {dtype}: plain / SDPA time = {plain['best'] / fast['best']:.2f}x, peak "
              f"{gb(plain['peak_rss'])} -> {gb(fast['peak_rss'])} "
              f"(+fwd {gb(plain['peak_rss'] - plain['base_rss'])} -> {gb(fast['peak_rss'] - fast['base_rss'])})")
    f32, bf16 = results["fast", "float32"], results["fast", "bfloat16"]
    print(f"   SDPA float32 / SDPA bfloat16 time = {f32['best'] / bf16['best']:.2f}x")
    return results


def against_t(song: int, lengths, train_lengths, config: dict, repeats: int, train_repeats: int,
              song_results: dict) -> dict:
    """Part 2: inference and a training step (with and without checkpointing, float32 and bfloat16) against T."""
    print("\n2. against T, B = 1: best time, peak memory above the loaded model (+fwd)"
          "\n   (training step = forward + backward, dropout 0.1; bfloat16 = CPU autocast)")
    print(f"{'':<40}" + "".join(f"{f'T={t}':>18}" for t in lengths))
    curves = {}
    checkpointed_lengths = tuple(train_lengths) + (song,)
    rows = [("inference, plain torch", dict(what="infer", impl="plain", repeats=repeats), lengths),
            ("inference, SDPA", dict(what="infer", impl="fast", repeats=repeats), lengths),
            ("training step", dict(what="train", impl="fast", repeats=train_repeats), train_lengths),
            ("training step, checkpointed", dict(what="train", impl="fast", repeats=train_repeats, checkpoint=True),
             checkpointed_lengths),
            ("training step, bfloat16", dict(what="train", impl="fast", repeats=train_repeats, dtype="bfloat16"),
             train_lengths),
            ("training step, checkpointed, bfloat16",
             dict(what="train", impl="fast", repeats=train_repeats, checkpoint=True, dtype="bfloat16"),
             checkpointed_lengths)]
    for label, spec, row_lengths in rows:
        spec = dict(spec, dtype=spec.get("dtype", "float32"))
        points = []
        for length in row_lengths:
            if spec["what"] == "infer" and length == song:
                r = song_results[spec["impl"], "float32"]
            else:
                r = run_child(dict(spec, T=length, config=config))
            points.append(dict(r, T=length))
        curves[label] = points
        cells = {p["T"]: f"{p['best']:8.2f}s {gb(p['peak_rss'] - p['base_rss']):>8}" for p in points}
        print(f"{label:<40}" + "".join(cells.get(t, f"{'-':>18}") for t in lengths))

    def by_t(label: str) -> dict:
        return {p["T"]: p for p in curves[label]}

    for dtype in ("", ", bfloat16"):
        plain, ckpt = by_t("training step" + dtype), by_t("training step, checkpointed" + dtype)
        name = dtype[2:] or "float32"
        print(f"{name}, kept for backward:  " + "  ".join(
            f"T={t}: {gb(plain[t]['saved_bytes'])} -> {gb(ckpt[t]['saved_bytes'])} "
            f"({ckpt[t]['saved_bytes'] / plain[t]['saved_bytes']:.2f}x)" for t in plain))
        print(f"{name}, checkpointing's time cost:  "
              + "  ".join(f"T={t}: {ckpt[t]['best'] / plain[t]['best']:.2f}x" for t in plain))
    f32, bf16 = by_t("training step"), by_t("training step, bfloat16")
    f32c, bf16c = by_t("training step, checkpointed"), by_t("training step, checkpointed, bfloat16")
    print("float32 / bfloat16 time, training step:  "
          + "  ".join(f"T={t}: {f32[t]['best'] / bf16[t]['best']:.2f}x" for t in f32)
          + ";  checkpointed:  " + "  ".join(f"T={t}: {f32c[t]['best'] / bf16c[t]['best']:.2f}x" for t in f32c))
    mid = train_lengths[1]
    kept = [run_child(dict(what="train", impl="fast", repeats=1, T=mid, dtype="float32", config=config,
                           dropout=0.0, checkpoint=flag)) for flag in (False, True)]
    print(f"kept for backward (dropout 0, fused attention), T={mid}: {gb(kept[0]['saved_bytes'])} -> "
          f"{gb(kept[1]['saved_bytes'])} ({kept[1]['saved_bytes'] / kept[0]['saved_bytes']:.2f}x); "
          f"time {kept[0]['best']:.2f}s -> {kept[1]['best']:.2f}s ({kept[1]['best'] / kept[0]['best']:.2f}x)")
    return curves


if __name__ == "__main__":
    main()
