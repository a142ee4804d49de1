"""Training: losses, crops, resume, the command line, and two processes under torchrun matching one."""

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from m2p_course import M2PEncoder
from m2p_course.arcface import ArcFaceLoss
from m2p_course.cli import main
from m2p_course.soft_argmax import soft_argmax2d
from m2p_course.train import (
    TrainConfig,
    dance_loss,
    heatmap_target,
    load_data,
    random_crops,
    train,
)

train_module = importlib.import_module("m2p_course.train")  # the module (m2p_course.train is the function)

TINY = dict(hidden_dim=16, num_layers=1, num_heads=2, face_embed_dim=8, heatmap=4, dropout=0.0,
            train_clips=4, val_clips=4, seconds=2.0, window=30, batch_size=4, eval_every=1000, warmup_steps=4)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """The tiny datasets, built once into a cache folder the child processes read."""
    folder = tmp_path_factory.mktemp("cache")
    load_data(TrainConfig(**TINY), cache_dir=folder)
    return folder


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "tiny.json"
    path.write_text(json.dumps(TINY))
    return path


def test_heatmap_target_is_a_gaussian_at_the_joint_whose_soft_argmax_is_the_joint():
    pose = torch.tensor([[0.0, 0.0], [-1.0, 1.0], [0.3, -0.5]])
    target = heatmap_target(pose, 9, 9, sigma=1.0)                       # [3, 9, 9]
    assert target.shape == (3, 9, 9)
    torch.testing.assert_close(target.sum(dim=(-2, -1)), torch.ones(3))
    assert target[0].argmax() == 4 * 9 + 4                               # the centre cell
    assert target[1].argmax() == 8 * 9 + 0                               # x = -1 (left), y = +1 (bottom row)
    # a narrow Gaussian's expected position is the joint (away from the borders)
    narrow = heatmap_target(pose[[0, 2]], 33, 33, sigma=0.5)
    torch.testing.assert_close(soft_argmax2d(narrow.clamp_min(1e-30).log()), pose[[0, 2]], atol=2e-3, rtol=0)


def test_dance_loss_parts_are_zero_at_the_truth_and_grow_with_the_error():
    config = TrainConfig(**TINY)
    torch.manual_seed(0)
    pose = torch.rand(2, 5, 134, 2) * 1.6 - 0.8
    arcface = ArcFaceLoss(4, 8)
    embed = torch.randn(2, 8)
    dancer = torch.tensor([1, 3])
    logits = heatmap_target(pose, 4, 4, config.heatmap_sigma).clamp_min(1e-30).log()
    _, exact = dance_loss(logits, pose, embed, pose, dancer, arcface, config)
    assert exact["position"] == 0 and exact["velocity"] == 0 and abs(exact["heatmap"]) < 1e-5
    _, off = dance_loss(logits, pose + 0.1, embed, pose, dancer, arcface, config)
    assert off["position"] == pytest.approx(0.1, abs=1e-6) and off["velocity"] < 1e-6   # a shift has no velocity error
    wobble = pose.clone()
    wobble[:, 1::2] += 0.1
    _, moved = dance_loss(logits, wobble, embed, pose, dancer, arcface, config)
    assert moved["velocity"] == pytest.approx(0.1, abs=1e-6)
    _, blurred = dance_loss(torch.zeros_like(logits), pose, embed, pose, dancer, arcface, config)
    assert blurred["heatmap"] > 0.3


def test_the_speed_part_asks_for_motion_whatever_its_direction():
    config = TrainConfig(**TINY, speed_weight=1.0)
    torch.manual_seed(0)
    pose = torch.cumsum(torch.randn(2, 6, 134, 2) * 0.02, dim=1)
    logits = heatmap_target(pose, 4, 4, config.heatmap_sigma).clamp_min(1e-30).log()
    arcface, embed, dancer = ArcFaceLoss(4, 8), torch.randn(2, 8), torch.tensor([0, 2])
    mirrored = pose[:, :1] - (pose - pose[:, :1])                          # every move the other way
    loss, parts = dance_loss(logits, mirrored, embed, pose, dancer, arcface, config)
    assert parts["speed"] < 1e-4 and parts["velocity"] > 0.01              # the same speeds, other directions
    still = pose.mean(dim=1, keepdim=True).expand_as(pose)
    _, stood = dance_loss(logits, still, embed, pose, dancer, arcface, config)
    true_speed = pose.diff(dim=1).norm(dim=-1).mean().item()
    assert stood["speed"] == pytest.approx(true_speed, abs=2e-4)          # standing still costs the whole speed
    unweighted, without = dance_loss(logits, still, embed, pose, dancer, arcface, TrainConfig(**TINY))
    assert "speed" not in without                                          # not a part unless it counts
    weighted, _ = dance_loss(logits, still, embed, pose, dancer, arcface, config)
    assert weighted.item() == pytest.approx(unweighted.item() + stood["speed"], rel=1e-4)


def test_random_crops_are_windows_of_the_clips_and_repeat_for_a_seed():
    data = {"music": torch.arange(3 * 10 * 2.0).view(3, 10, 2), "pose": torch.zeros(3, 10, 134, 2),
            "dancer": torch.tensor([0, 1, 2])}
    a = random_crops(data, 5, 4, torch.Generator().manual_seed(1))
    b = random_crops(data, 5, 4, torch.Generator().manual_seed(1))
    assert a["music"].shape == (5, 4, 2) and a["pose"].shape == (5, 4, 134, 2)
    torch.testing.assert_close(a["music"], b["music"])
    frames = a["music"][..., 0] / 2                                        # clip * 10 + t
    assert (frames.diff(dim=1) == 1).all()                                 # consecutive frames of one clip
    torch.testing.assert_close(a["dancer"], (frames[:, 0] // 10).long())


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="precision must be one of"):
        TrainConfig(precision="fp8")
    with pytest.raises(ValueError, match="window .* must fit in a song"):
        TrainConfig(window=400, seconds=12.0)
    with pytest.raises(ValueError, match="batch_size must be"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="beat_only"):
        TrainConfig(beat_only=-0.1)
    with pytest.raises(ValueError, match="speed_weight"):
        TrainConfig(speed_weight=-1.0)
    with pytest.raises(ValueError, match="give exactly one of steps or minutes"):
        train(TrainConfig(**TINY))


def test_training_lowers_the_loss_and_writes_a_loadable_run(tmp_path, cache):
    config = TrainConfig(**{**TINY, "lr": 3e-3})
    result = train(config, steps=30, out=tmp_path / "run", progress=False, cache_dir=cache)
    loss = result.history["loss"]
    assert len(loss) == 30 and np.mean(loss[-5:]) < 0.7 * np.mean(loss[:5])
    for name in ("config.json", "model.safetensors", "metrics.json", "loss.png", "training.json",
                 "optimizer.safetensors", "training_state.json", "arcface.safetensors"):
        assert (tmp_path / "run" / name).is_file(), name
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    for key in ("steps", "final_loss", "seconds", "world_size", "keypoint_error", "mean_pose_error",
                "error_ratio", "bas", "bas_truth", "bas_ratio", "dancer_accuracy"):
        assert key in metrics, key
    assert metrics["steps"] == 30 and metrics["world_size"] == 1
    loaded = M2PEncoder.from_pretrained(tmp_path / "run")
    assert not loaded.training and loaded.heatmap_size == (4, 4)
    for (name, a), (_, b) in zip(result.model.state_dict().items(), loaded.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_resume_continues_exactly_like_one_uninterrupted_run(tmp_path, cache):
    config = TrainConfig(**{**TINY, "warmup_steps": 6})   # the rate of steps 0-5 does not depend on the total
    straight = train(config, steps=6, progress=False, cache_dir=cache)
    train(config, steps=3, out=tmp_path / "half", progress=False, cache_dir=cache)
    resumed = train(config, steps=6, resume=tmp_path / "half", progress=False, cache_dir=cache)
    assert resumed.history["loss"] == straight.history["loss"]
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    with pytest.raises(ValueError, match=r"differs from this run's config in \['lr'\]"):
        train(TrainConfig(**{**TINY, "warmup_steps": 6, "lr": 0.5}), steps=6, resume=tmp_path / "half",
              progress=False, cache_dir=cache)
    with pytest.raises(ValueError, match="give steps, not minutes"):
        train(config, minutes=1, resume=tmp_path / "half", progress=False, cache_dir=cache)


def test_like_shipped_reads_the_shipped_models_recipe(tmp_path, capsys):
    import argparse

    from m2p_course.checkpoint import PRETRAINED_DIR
    from m2p_course.train import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    shipped = json.loads((PRETRAINED_DIR / "training.json").read_text())
    config = config_from_args(parser.parse_args(["--out", "o", "--steps", "1", "--like-shipped"]))
    assert asdict(config) == {**asdict(TrainConfig()), **shipped}
    assert config != TrainConfig()                               # the shipped recipe is not the defaults
    seeded = config_from_args(parser.parse_args(["--out", "o", "--steps", "1", "--like-shipped", "--seed", "5"]))
    assert seeded.seed == 5 and seeded.lr == config.lr            # an option overrides one field of it
    with pytest.raises(SystemExit):
        main(["train", "--steps", "1", "--out", str(tmp_path / "o"), "--like-shipped", "--config", "c.json"])
    assert "argument --config: not allowed with argument --like-shipped" in capsys.readouterr().err


def test_command_errors_are_clear(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"hidden": 8}))
    assert main(["train", "--steps", "1", "--out", str(tmp_path / "o"), "--config", str(bad)]) == 2
    assert "unknown fields ['hidden']" in capsys.readouterr().err
    assert main(["train", "--steps", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--steps must be >= 1, got 0" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "o")]) == 2         # neither --steps nor --minutes
    assert "give --steps N or --minutes M (or --resume DIR alone" in capsys.readouterr().err
    assert main(["train", "--minutes", "1", "--resume", str(tmp_path / "o"), "--out", str(tmp_path / "o")]) == 2
    assert "--resume continues a run up to a number of steps: give --steps, not --minutes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--steps", "1", "--minutes", "1", "--out", str(tmp_path / "o")])
    assert "argument --minutes: not allowed with argument --steps" in capsys.readouterr().err


def _command(config_file, cache, out, steps=4, precision=None):
    args = ["train", "--steps", str(steps), "--out", str(out), "--config", str(config_file), "--cache-dir",
            str(cache), "--quiet"]
    return args + (["--precision", precision] if precision else [])


def test_the_command_trains_in_bfloat16_too(tmp_path, cache, config_file, capsys):
    assert main(_command(config_file, cache, tmp_path / "bf16", precision="bf16")) == 0
    out = capsys.readouterr().out
    assert "trained 4 steps" in out and f"wrote {tmp_path / 'bf16' / 'model.safetensors'}" in out
    metrics = json.loads((tmp_path / "bf16" / "metrics.json").read_text())
    assert metrics["precision"] == "bf16" and np.isfinite(metrics["final_loss"])


def test_two_processes_under_torchrun_follow_one_process(tmp_path, cache, config_file):
    """The same command under torchrun (DDP, gloo): each process takes half of every batch of 4; the
    losses follow the one-process run step by step (dropout 0, so only the sums' order differs)."""
    assert main(_command(config_file, cache, tmp_path / "one")) == 0
    script = Path(sys.executable).with_name("m2p-course")
    assert script.is_file(), f"the m2p-course entry point should be installed next to {sys.executable}"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           str(script), *_command(config_file, cache, tmp_path / "two")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("trained 4 steps") == 1                          # only rank 0 reports and writes
    one = json.loads((tmp_path / "one" / "metrics.json").read_text())
    two = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert one["world_size"] == 1 and two["world_size"] == 2
    np.testing.assert_allclose(two["history"]["loss"], one["history"]["loss"], rtol=1e-4)
    assert len(set(np.round(one["history"]["loss"], 4))) == 4     # the loss moves: the match means something
    # Adam divides by sqrt(v): weights whose gradients are ~0 differ by up to lr a step, so compare what they do
    assert two["keypoint_error"] == pytest.approx(one["keypoint_error"], rel=1e-2)
    assert asdict(TrainConfig(**TINY)) == json.loads((tmp_path / "two" / "training.json").read_text())


def test_real_music_needs_the_fetched_recordings(tmp_path, cache, monkeypatch, capsys):
    monkeypatch.setenv("M2P_RECORDINGS", str(tmp_path / "no_recordings"))
    with pytest.raises(FileNotFoundError, match="tools/fetch_recordings.py"):
        load_data(TrainConfig(**TINY, real_music=True), cache_dir=cache)
    assert main(["train", "--steps", "1", "--out", str(tmp_path / "o"), "--real-music", "--cache-dir", str(cache),
                 "--quiet"]) == 2
    assert "found 0: run `python tools/fetch_recordings.py` first" in capsys.readouterr().err


def test_mixed_dataset_puts_the_recordings_after_the_synthetic_clips(cache):
    from m2p_course.train import MixedDanceDataset

    synthetic, _ = load_data(TrainConfig(**TINY), cache_dir=cache)
    recorded = [{"music": torch.zeros(60, 4800), "pose": torch.zeros(60, 134, 2), "dancer": torch.tensor(3)}]
    mixed = MixedDanceDataset(synthetic, recorded)
    assert len(mixed) == len(synthetic) + 1 and mixed.num_recorded == 1 and mixed.num_dancers == 4
    assert mixed[len(synthetic)] is recorded[0]
    assert torch.equal(mixed[0]["pose"], synthetic[0]["pose"])


def test_feature_dropout_zeroes_whole_groups_but_never_the_beat_or_the_tempo():
    from m2p_course.features import DEFAULT_RECIPE
    from m2p_course.train import drop_feature_groups

    music = torch.randn(64, 6, 4800)
    out = drop_feature_groups(music, 0.5, torch.Generator().manual_seed(0)).view(64, 6, 100, 48)
    before = music.view(64, 6, 100, 48)
    for name in ("beat", "local_tempo"):
        cols = DEFAULT_RECIPE.group_columns(name)
        assert torch.equal(out[..., cols], before[..., cols])
    mfcc = DEFAULT_RECIPE.group_columns("mfcc")
    zeroed = (out[..., mfcc] == 0).flatten(1).all(dim=1)                   # per crop: the whole group, or none
    kept = torch.isclose(out[..., mfcc], before[..., mfcc]).flatten(1).all(dim=1)
    assert torch.all(zeroed | kept) and 16 < zeroed.sum() < 48
    assert drop_feature_groups(music, 0.0, torch.Generator()) is music
    alone = drop_feature_groups(music, 0.0, torch.Generator().manual_seed(0), beat_only=0.5).view(64, 6, 100, 48)
    kept = [c for name in ("beat", "local_tempo") for c in range(48)[DEFAULT_RECIPE.group_columns(name)]]
    others = [c for c in range(48) if c not in kept]
    empty = (alone[..., others] == 0).flatten(1).all(dim=1)                 # per crop: every other group, or none
    whole = torch.equal(alone[~empty], before[~empty])
    assert whole and 16 < empty.sum() < 48 and torch.equal(alone[..., kept], before[..., kept])
    with pytest.raises(ValueError, match="beat_only"):
        drop_feature_groups(music, 0.0, torch.Generator(), beat_only=1.5)
    with pytest.raises(ValueError, match="4800 columns"):
        drop_feature_groups(torch.zeros(2, 3, 48), 0.5, torch.Generator())


# ----------------------------------------------------------------------------- nothing lost


@pytest.fixture
def no_training(monkeypatch):
    """Training that fails if it starts: an error raised with it in place came before the first step."""
    def started(*args, **kwargs):
        raise AssertionError("training started (the data and the model were being built)")

    monkeypatch.setattr(train_module, "_Run", started)


@contextmanager
def unprivileged():
    """Run the block as a user without root's right to write anywhere (root ignores a folder's mode)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)                                                     # nobody; the real uid stays root
    try:
        yield
    finally:
        os.seteuid(0)


def test_an_out_folder_that_cannot_be_written_fails_before_the_first_step(tmp_path, capsys, no_training):
    (tmp_path / "file").write_text("not a folder")
    assert main(["train", "--steps", "1", "--out", str(tmp_path / "file" / "run")]) == 2
    assert capsys.readouterr().err == (f"m2p-course: error: cannot write the run to {tmp_path / 'file' / 'run'}: "
                                       f"{tmp_path / 'file'} is a file, not a folder; training writes its model, "
                                       "checkpoints and figures into a folder, so give another --out\n")
    with pytest.raises(NotADirectoryError, match=r"cannot write the run to .*file: it is a file, not a folder"):
        train(TrainConfig(**TINY), steps=1, out=tmp_path / "file")

    base = Path(tempfile.mkdtemp())                 # in /tmp, so that nobody can reach it; read-only inside
    try:
        base.chmod(0o755)
        (base / "read-only").mkdir(mode=0o555)
        (base / "read-only").chmod(0o555)
        with unprivileged():
            code = main(["train", "--steps", "1", "--out", str(base / "read-only" / "run")])
            with pytest.raises(PermissionError, match=r"cannot write the run to .*read-only: Permission denied "
                                                      r"\(.*read-only/.*\); checked before the first step"):
                train(TrainConfig(**TINY), steps=1, out=base / "read-only")
        assert code == 2
        assert capsys.readouterr().err.startswith(f"m2p-course: error: cannot write the run to {base}/read-only/run: "
                                                  "Permission denied")
        assert list((base / "read-only").iterdir()) == []
    finally:
        (base / "read-only").chmod(0o755)
        shutil.rmtree(base)


def test_a_writable_out_is_created_and_left_clean(tmp_path):
    assert train_module.check_writable(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert list((tmp_path / "a" / "b").iterdir()) == []                  # the test file is gone


class Interrupt:
    """train_step that stops the run (as Ctrl-C would) when it is called for step `at`."""

    def __init__(self, at: int):
        self.at, self.calls, self.step = at, 0, train_module.train_step

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return self.step(*args, **kwargs)


def assert_same_run(a, b):
    assert a.history == b.history                                         # every loss and every evaluation
    for (name, x), (_, y) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0, msg=name)


def test_an_interrupted_run_resumes_from_its_last_checkpoint_on_the_same_steps(tmp_path, cache, monkeypatch):
    config = TrainConfig(**{**TINY, "eval_every": 2})      # warm-up 4 then a cosine to step 7: it needs the total
    straight = train(config, steps=7, progress=False, cache_dir=cache)
    monkeypatch.setattr(train_module, "train_step", Interrupt(at=6))
    with pytest.raises(KeyboardInterrupt):
        train(config, steps=7, out=tmp_path / "run", progress=False, cache_dir=cache)
    state = json.loads((tmp_path / "run" / "training_state.json").read_text())
    assert state["step"] == 4 and state["extra"]["total"] == 7            # the checkpoint of the evaluation at 4
    assert [v["step"] for v in json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]["val"]] == [2, 4]
    monkeypatch.undo()

    resumed = train(config, resume=tmp_path / "run", out=tmp_path / "run", progress=False, cache_dir=cache)
    assert resumed.metrics["steps"] == 7 and len(resumed.history["loss"]) == 7
    assert [v["step"] for v in resumed.history["val"]] == [2, 4, 6, 7]
    assert_same_run(straight, resumed)


def test_an_interrupted_minutes_run_resumes_to_the_steps_it_planned(tmp_path, cache, monkeypatch):
    """A --minutes run sets its number of steps after 10 (here 11: the shortest run it makes); a checkpoint
    keeps that number, so the run resumes without being told how far, along the same steps."""
    config = TrainConfig(**{**TINY, "eval_every": 5})
    straight = train(config, minutes=1e-4, progress=False, cache_dir=cache)
    assert straight.metrics["steps"] == 11
    monkeypatch.setattr(train_module, "train_step", Interrupt(at=11))
    with pytest.raises(KeyboardInterrupt):
        train(config, minutes=1e-4, out=tmp_path / "run", progress=False, cache_dir=cache)
    monkeypatch.undo()
    assert json.loads((tmp_path / "run" / "training_state.json").read_text())["extra"]["total"] == 11
    resumed = train(config, resume=tmp_path / "run", out=tmp_path / "run", progress=False, cache_dir=cache)
    assert_same_run(straight, resumed)

    monkeypatch.setattr(train_module, "train_step", Interrupt(at=8))    # stopped before its steps were set
    with pytest.raises(KeyboardInterrupt):
        train(config, minutes=1e-4, out=tmp_path / "early", progress=False, cache_dir=cache)
    monkeypatch.undo()
    with pytest.raises(ValueError, match=r"cannot resume .*early without steps: it was saved at step 5, before a "
                                         r"--minutes run sets its number of steps \(after 10 steps\); give the steps"):
        train(config, resume=tmp_path / "early", progress=False, cache_dir=cache)
    assert train(config, steps=11, resume=tmp_path / "early", progress=False, cache_dir=cache).metrics["steps"] == 11


def test_a_checkpoint_cut_short_or_changed_is_refused(tmp_path, cache):
    config = TrainConfig(**TINY)
    train(config, steps=2, out=tmp_path / "run", progress=False, cache_dir=cache)
    train(config, steps=3, out=tmp_path / "other", progress=False, cache_dir=cache)
    shutil.copy(tmp_path / "other" / "model.safetensors", tmp_path / "run")   # the model of another step
    with pytest.raises(ValueError, match=r"cannot resume .*run: its model\.safetensors is not the one saved with "
                                         r"its training state \(step 2\); a save was cut short or the file was"):
        train(config, steps=4, resume=tmp_path / "run", progress=False, cache_dir=cache)


def test_resume_from_a_folder_without_a_run_fails_before_the_data_is_built(tmp_path, no_training):
    with pytest.raises(FileNotFoundError, match=r"cannot resume .*nowhere: no such folder"):
        train(TrainConfig(**TINY), steps=2, resume=tmp_path / "nowhere")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "training.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"cannot resume .*half: it has no config\.json, model\.safetensors, "
                                                r"arcface\.safetensors, metrics\.json, optimizer\.safetensors, "
                                                r"training_state\.json \(a folder written by"):
        train(TrainConfig(**TINY), steps=2, resume=tmp_path / "half")
    with pytest.raises(ValueError, match=r"give steps, not minutes \(or neither, to finish the steps the run had"):
        train(TrainConfig(**TINY), minutes=1, resume=tmp_path / "half")
