"""Checkpoints without pickle: save_pretrained / load_pretrained round trips, training resumed bit for bit,
the shipped-model loader, and a clear error for every wrong, missing or mismatched file."""

import functools
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import m2p_course
import m2p_course.checkpoint as ckpt
from m2p_course import (
    M2PEncoder,
    load_pretrained,
    load_training_state,
    pretrained,
    save_pretrained,
    save_training_state,
)


def tiny(seed=0, **overrides):
    torch.manual_seed(seed)
    kwargs = dict(music_input_dim=16, hidden_dim=16, num_layers=1, num_heads=2, heatmap_size=(4, 4), dropout=0.0)
    return M2PEncoder(**{**kwargs, **overrides})


def assert_same_weights(a: M2PEncoder, b: M2PEncoder):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        assert sa[name].dtype == sb[name].dtype, name
        assert torch.equal(sa[name], sb[name]), name


def read_config(directory: Path) -> dict:
    return json.loads((directory / "config.json").read_text())


def write_config(directory: Path, config: dict) -> None:
    (directory / "config.json").write_text(json.dumps(config))


@pytest.fixture
def saved(tmp_path):
    """A tiny model and the directory it was saved to."""
    model = tiny()
    return model, save_pretrained(model, tmp_path / "model")


# ----------------------------------------------------------------------------- round trips

def test_float32_round_trip_is_exact_and_in_eval_mode(saved):
    model, directory = saved
    assert sorted(p.name for p in directory.iterdir()) == ["config.json", "model.safetensors"]
    loaded = load_pretrained(directory)
    assert type(loaded) is M2PEncoder
    assert not loaded.training and not any(m.training for m in loaded.modules())
    assert loaded.config == model.config and loaded.heatmap_size == (4, 4)
    assert isinstance(loaded.config["heatmap_size"], tuple)
    assert_same_weights(model, loaded)
    music = torch.randn(2, 5, 16)
    with torch.no_grad():
        for got, want in zip(loaded(music), model.eval()(music), strict=True):
            assert torch.equal(got, want)


def test_config_json_holds_the_config_the_format_and_the_stored_dtype(saved):
    model, directory = saved
    config = read_config(directory)
    assert config.pop("format") == "m2p-course/1"
    assert config.pop("stored_dtype") == "float32"
    assert config == {**model.config, "heatmap_size": [4, 4]}


def test_guide_head_and_gradient_checkpointing_are_restored(tmp_path):
    model = tiny(heatmap_size=None, gradient_checkpointing=True, dim_feedforward=24, pose_channels=10,
                 face_embed_dim=8)
    loaded = M2PEncoder.from_pretrained(model.save_pretrained(tmp_path / "m"))
    assert loaded.heatmap_size is None and loaded.config["heatmap_size"] is None
    assert loaded.gradient_checkpointing is True and loaded.config == model.config
    assert loaded.transformer.layers[0].linear1.out_features == 24
    assert_same_weights(model, loaded)


def test_methods_delegate_to_the_functions(tmp_path):
    model = tiny()
    directory = model.save_pretrained(str(tmp_path / "a" / "b"))  # nested, as a str: created
    assert directory == tmp_path / "a" / "b" and (directory / "model.safetensors").is_file()
    assert_same_weights(M2PEncoder.from_pretrained(directory), load_pretrained(directory))


def test_float16_storage_halves_the_file_and_stays_close(tmp_path):
    model = tiny()
    full = save_pretrained(model, tmp_path / "full")
    half = save_pretrained(model, tmp_path / "half", dtype=torch.float16)
    ratio = (half / "model.safetensors").stat().st_size / (full / "model.safetensors").stat().st_size
    assert 0.45 < ratio < 0.55
    assert read_config(half)["stored_dtype"] == "float16"
    with safe_open(half / "model.safetensors", framework="pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float16}
    assert all(p.dtype == torch.float32 for p in model.parameters())  # the model itself is unchanged

    loaded = load_pretrained(half)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    differences = [(a - b).abs().max().item() for a, b in zip(model.state_dict().values(),
                                                              loaded.state_dict().values(), strict=True)]
    assert 0 < max(differences) < 1e-3


def test_bfloat16_storage_and_loading_in_another_dtype(tmp_path):
    directory = save_pretrained(tiny(), tmp_path / "bf16", dtype=torch.bfloat16)
    assert read_config(directory)["stored_dtype"] == "bfloat16"
    loaded = load_pretrained(directory, dtype=torch.bfloat16)
    assert {p.dtype for p in loaded.parameters()} == {torch.bfloat16}
    loaded64 = load_pretrained(directory, device="cpu", dtype=torch.float64)
    assert {p.dtype for p in loaded64.parameters()} == {torch.float64}


def test_no_file_is_a_pickle_and_torch_load_is_never_called(tmp_path, monkeypatch):
    def banned(*args, **kwargs):
        raise AssertionError("torch.load/torch.save must never be called")

    monkeypatch.setattr(torch, "load", banned)
    monkeypatch.setattr(torch, "save", banned)
    model = tiny()
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.randn(1, 3, 16))[0].sum().backward()
    optimizer.step()
    save_pretrained(model, tmp_path)
    save_training_state(tmp_path, optimizer, step=1)
    load_pretrained(tmp_path)
    load_training_state(tmp_path, torch.optim.AdamW(tiny().parameters()))

    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["config.json", "model.safetensors", "optimizer.safetensors", "training_state.json"]
    for name in files:
        data = (tmp_path / name).read_bytes()
        assert not data.startswith(b"\x80"), name  # the pickle protocol 2+ opcode
        if name.endswith(".json"):
            json.loads(data)
    with safe_open(tmp_path / "model.safetensors", framework="pt") as f:
        assert sorted(f.keys()) == sorted(model.state_dict())
        assert f.metadata() == {"format": "pt"}
    with safe_open(tmp_path / "optimizer.safetensors", framework="pt") as f:
        assert "state.0.exp_avg" in f.keys() and "state.0.step" in f.keys()


# ----------------------------------------------------------------------------- load errors

def test_missing_directory_or_files(tmp_path, saved):
    _, directory = saved
    with pytest.raises(FileNotFoundError, match=r"nowhere is not a directory; .*config\.json, model\.safetensors"):
        load_pretrained(tmp_path / "nowhere")
    (directory / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors is missing; .*config\.json and model\.safetens"):
        load_pretrained(directory)
    (directory / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"config\.json is missing"):
        load_pretrained(directory)


def test_wrong_files(saved):
    _, directory = saved
    weights = directory / "model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(b"\x80\x04this is a pickle, not safetensors")
    with pytest.raises(ValueError, match=r"model\.safetensors is not a readable safetensors file"):
        load_pretrained(directory)
    weights.write_bytes(good)

    config = directory / "config.json"
    config.write_text("{not json")
    with pytest.raises(ValueError, match=r"config\.json is not valid JSON"):
        load_pretrained(directory)
    config.write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"must hold a JSON object .* got a JSON list"):
        load_pretrained(directory)


@pytest.mark.parametrize("edit, match", [
    (lambda c: c.update(flavour="vanilla"), r"unknown keys \['flavour'\]"),
    (lambda c: c.pop("num_heads"), r"missing keys \['num_heads'\]"),
    (lambda c: (c.pop("dropout"), c.update(colour=1)), r"unknown keys \['colour'\]; missing keys \['dropout'\]"),
    (lambda c: c.update(format="hf/1"), r"\"format\": 'm2p-course/1', got 'hf/1'"),
    (lambda c: c.pop("format"), r"got '\(no format key\)'"),
    (lambda c: c.update(stored_dtype="int8"), r"\"stored_dtype\" in .* got 'int8'"),
    (lambda c: c.update(hidden_dim=-3), r"not describe a valid M2PEncoder: hidden_dim must be a positive int"),
    (lambda c: c.update(num_heads=3), r"not describe a valid M2PEncoder: hidden size 16 must be divisible"),
])
def test_bad_config(saved, edit, match):
    _, directory = saved
    config = read_config(directory)
    edit(config)
    write_config(directory, config)
    with pytest.raises(ValueError, match=match):
        load_pretrained(directory)


def test_weights_that_do_not_fit_the_config(tmp_path, saved):
    _, directory = saved
    config = read_config(directory)
    write_config(directory, {**config, "hidden_dim": 32})
    with pytest.raises(ValueError, match=r"model\.safetensors does not match the model its config\.json describes "
                                         r"\(checked before building it\)\. 27 tensors have the wrong shape: "
                                         r"music_proj\.0\.weight: the config implies \(64, 16\), the file stores "
                                         r"\(32, 16\); music_proj\.0\.bias: the config implies \(64,\), .*"
                                         r"\(22 more\)$"):
        load_pretrained(directory)

    two = save_pretrained(tiny(num_layers=2), tmp_path / "two")
    write_config(two, {**read_config(two), "num_layers": 1})
    with pytest.raises(ValueError, match=r"\d+ tensors are in the file but not in the model the config describes: "
                                         r"transformer\.layers\.1\..*more\)"):
        load_pretrained(two)
    write_config(two, {**read_config(two), "num_layers": 3})
    with pytest.raises(ValueError, match=r"\d+ tensors are missing from the file: transformer\.layers\.2\."):
        load_pretrained(two)


@pytest.fixture
def builds(monkeypatch):
    """Where each M2PEncoder is built: the default device inside its constructor ('meta' or 'cpu')."""
    devices = []
    init = M2PEncoder.__init__

    @functools.wraps(init)                  # the same signature: from_pretrained reads the arguments from it
    def spy(self, *args, **kwargs):
        devices.append(torch.empty(()).device.type)
        init(self, *args, **kwargs)

    monkeypatch.setattr(M2PEncoder, "__init__", spy)
    return devices


def test_the_shapes_are_checked_on_the_meta_device_before_the_model_is_built(saved, builds):
    model, directory = saved
    assert_same_weights(model, load_pretrained(directory))
    assert builds == ["meta", "cpu"]                         # shapes first, then the real model

    builds.clear()
    write_config(directory, {**read_config(directory), "hidden_dim": 10_000_000})   # 384 GB of float32
    with pytest.raises(ValueError, match=r"27 tensors have the wrong shape: music_proj\.0\.weight: the config "
                                         r"implies \(20_000_000, 16\), the file stores \(32, 16\);"):
        M2PEncoder.from_pretrained(directory)
    assert builds == ["meta"]                                # never built for real: nothing was allocated


def test_a_missing_or_an_extra_tensor_in_the_file(saved, builds):
    model, directory = saved
    weights = directory / "model.safetensors"
    tensors = load_file(weights)
    save_file({k: v for k, v in tensors.items() if k != "face_head.3.bias"}, weights)
    with pytest.raises(ValueError, match=r"\(checked before building it\)\. 1 tensor is missing from the file: "
                                         r"face_head\.3\.bias$"):
        load_pretrained(directory)
    save_file({**tensors, "face_head.9.weight": torch.zeros(2, 2)}, weights)
    with pytest.raises(ValueError, match=r"1 tensor is in the file but not in the model the config describes: "
                                         r"face_head\.9\.weight$"):
        load_pretrained(directory)
    assert builds == ["meta", "meta"]
    save_file(tensors, weights)
    assert_same_weights(model, load_pretrained(directory))


def test_bad_arguments(tmp_path, saved):
    _, directory = saved
    with pytest.raises(TypeError, match=r"model must be an M2PEncoder, got Linear"):
        save_pretrained(torch.nn.Linear(2, 2), tmp_path)
    with pytest.raises(ValueError, match=r"dtype must be None, torch.float32, .* got torch.int8"):
        save_pretrained(tiny(), tmp_path, dtype=torch.int8)
    with pytest.raises(TypeError, match=r"directory must be a str or os.PathLike path, got int 3"):
        save_pretrained(tiny(), 3)
    with pytest.raises(TypeError, match=r"dtype must be a floating torch.dtype .* got torch.int64"):
        load_pretrained(directory, dtype=torch.int64)
    with pytest.raises(TypeError, match=r"directory must be a str or os.PathLike path, got NoneType"):
        load_pretrained(None)
    mixed = tiny()
    mixed.face_head.double()
    with pytest.raises(ValueError, match=r"share one dtype .* found \['float32', 'float64'\]; pass dtype="):
        save_pretrained(mixed, tmp_path / "mixed")
    save_pretrained(mixed, tmp_path / "mixed", dtype=torch.float32)  # the way out the message names


# ----------------------------------------------------------------------------- training state

def warmup(step):
    return min(1.0, (step + 1) / 4)


def make_run(model):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, warmup)


def train_steps(model, optimizer, scheduler, steps):
    model.train()
    for step in steps:
        generator = torch.Generator().manual_seed(100 + step)
        music = torch.randn(2, 5, 16, generator=generator)
        pose, face = model(music)
        loss = pose.square().mean() - face[:, 0].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


def test_resumed_training_equals_uninterrupted_training_bit_for_bit(tmp_path):
    straight = tiny()
    train_steps(straight, *make_run(straight), range(6))

    first = tiny()
    optimizer, scheduler = make_run(first)
    train_steps(first, optimizer, scheduler, range(3))
    save_pretrained(first, tmp_path)
    rng = torch.get_rng_state().tolist()
    save_training_state(tmp_path, optimizer, scheduler, step=3, extra={"seed": 0, "torch_rng": rng})
    del first, optimizer, scheduler

    model = load_pretrained(tmp_path)
    optimizer, scheduler = make_run(model)
    info = load_training_state(tmp_path, optimizer, scheduler)
    assert info == {"step": 3, "extra": {"seed": 0, "torch_rng": rng}}
    assert isinstance(optimizer.param_groups[0]["betas"], tuple)
    assert scheduler.last_epoch == 3
    train_steps(model, optimizer, scheduler, range(3, 6))
    assert_same_weights(straight, model)

    # the optimizer state is what makes it exact: the weights alone resume differently
    weights_only = load_pretrained(tmp_path)
    train_steps(weights_only, *make_run(weights_only), range(3, 6))
    assert not torch.equal(weights_only.music_proj[0].weight, straight.music_proj[0].weight)


def test_training_state_before_the_first_step_and_without_scheduler(tmp_path):
    model = tiny()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    save_training_state(tmp_path, optimizer)
    fresh = torch.optim.SGD(model.parameters(), lr=0.5)
    assert load_training_state(tmp_path, fresh) == {"step": 0, "extra": None}
    assert fresh.param_groups[0]["lr"] == 0.1 and fresh.param_groups[0]["momentum"] == 0.9
    assert fresh.state_dict()["state"] == {}


class CountingSGD(torch.optim.SGD):
    """SGD with momentum that also keeps plain Python values in its per-parameter state."""

    def step(self, closure=None):
        loss = super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["calls"] = self.state[p].get("calls", 0) + 1
                self.state[p]["note"] = None
        return loss


def test_non_tensor_state_values_go_to_json(tmp_path):
    model = tiny()
    optimizer = CountingSGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        model(torch.randn(1, 3, 16))[0].sum().backward()
        optimizer.step()
    save_training_state(tmp_path, optimizer)
    record = json.loads((tmp_path / "training_state.json").read_text())
    assert record["state"]["0"] == {"calls": 2, "note": None}
    with safe_open(tmp_path / "optimizer.safetensors", framework="pt") as f:
        assert "state.0.momentum_buffer" in f.keys() and "state.0.calls" not in f.keys()
    fresh = CountingSGD(model.parameters(), lr=0.1, momentum=0.9)
    load_training_state(tmp_path, fresh)
    restored, original = fresh.state_dict()["state"][0], optimizer.state_dict()["state"][0]
    assert restored["calls"] == 2 and restored["note"] is None
    assert torch.equal(restored["momentum_buffer"], original["momentum_buffer"])


class TensorScheduler:
    """A scheduler whose state holds a tensor: not JSON-able."""

    def state_dict(self):
        return {"last_epoch": 0, "warmup": torch.ones(2)}

    def load_state_dict(self, state):
        pass


def test_save_training_state_errors(tmp_path):
    model = tiny()
    optimizer, scheduler = make_run(model)
    with pytest.raises(TypeError, match=r"TensorScheduler.state_dict\(\)\['warmup'\] must be JSON-able .* got Tensor"):
        save_training_state(tmp_path, optimizer, TensorScheduler())
    multistep = torch.optim.lr_scheduler.MultiStepLR(torch.optim.SGD(model.parameters(), lr=1), [2, 4])
    assert isinstance(multistep.state_dict()["milestones"], Counter)
    with pytest.raises(TypeError, match=r"MultiStepLR.state_dict\(\)\['milestones'\] .* key 2 of type int"):
        save_training_state(tmp_path, optimizer, multistep)
    with pytest.raises(TypeError, match=r"scheduler must be None or have state_dict\(\) .* got str"):
        save_training_state(tmp_path, optimizer, "cosine")
    with pytest.raises(TypeError, match=r"extra\['seed'\] must be JSON-able .* int64 .*convert it with int\(\)"):
        save_training_state(tmp_path, optimizer, scheduler, extra={"seed": np.int64(3)})
    with pytest.raises(TypeError, match=r"extra must be None or a JSON-able dict, got list"):
        save_training_state(tmp_path, optimizer, scheduler, extra=[1])
    with pytest.raises(ValueError, match=r"step must be >= 0, got -1"):
        save_training_state(tmp_path, optimizer, scheduler, step=-1)
    with pytest.raises(TypeError, match=r"optimizer must be a torch.optim.Optimizer, got dict"):
        save_training_state(tmp_path, optimizer.state_dict())
    assert list(tmp_path.iterdir()) == []  # nothing written by a failed save


def test_load_training_state_errors(tmp_path):
    model = tiny()
    optimizer, scheduler = make_run(model)
    train_steps(model, optimizer, scheduler, range(1))
    with pytest.raises(FileNotFoundError, match=r"is not a directory; .*training_state\.json, optimizer\.safetensors"):
        load_training_state(tmp_path / "none", optimizer)
    save_training_state(tmp_path, optimizer, scheduler)

    with pytest.raises(ValueError, match=r"holds a scheduler's state; pass the scheduler"):
        load_training_state(tmp_path, make_run(tiny())[0])
    with pytest.raises(ValueError, match=r"holds the state of a AdamW optimizer, but a SGD was given"):
        load_training_state(tmp_path, torch.optim.SGD(tiny().parameters(), lr=1))
    other = tiny(num_layers=2)
    with pytest.raises(ValueError, match=r"groups of sizes \[\d+\], but this optimizer's groups have sizes \[\d+\]"):
        load_training_state(tmp_path, *make_run(other))
    wider = tiny(hidden_dim=32, num_heads=4)  # the same number of parameters, other shapes
    with pytest.raises(ValueError, match=r"wrong shape \(state\.0\.exp_avg: file \(32, 16\) vs parameter \(64, 16\)"):
        load_training_state(tmp_path, *make_run(wider))

    save_training_state(tmp_path, optimizer)  # now without a scheduler
    with pytest.raises(ValueError, match=r"holds no scheduler state, but a scheduler was given"):
        load_training_state(tmp_path, *make_run(tiny()))
    (tmp_path / "optimizer.safetensors").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"optimizer\.safetensors is not a readable safetensors file"):
        load_training_state(tmp_path, make_run(tiny())[0])
    (tmp_path / "optimizer.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"optimizer\.safetensors is missing"):
        load_training_state(tmp_path, make_run(tiny())[0])
    (tmp_path / "training_state.json").write_text(json.dumps({"format": "other"}))
    (tmp_path / "optimizer.safetensors").write_bytes(b"")
    with pytest.raises(ValueError, match=r"\"format\": 'm2p-course-training/1', got 'other'"):
        load_training_state(tmp_path, make_run(tiny())[0])


# ----------------------------------------------------------------------------- the shipped model

def test_pretrained_dir_is_in_the_package():
    assert ckpt.PRETRAINED_DIR == Path(m2p_course.__file__).resolve().parent / "weights" / "dancer"
    assert m2p_course.pretrained is ckpt.pretrained and m2p_course.save_training_state is save_training_state


def test_pretrained_without_shipped_weights_says_how_to_make_them(tmp_path, monkeypatch):
    monkeypatch.setattr(ckpt, "PRETRAINED_DIR", tmp_path / "weights" / "dancer")
    with pytest.raises(FileNotFoundError, match=r"shipped weights are missing: .*dancer has no config\.json and no "
                                                r"model\.safetensors\. .*`m2p-course train --out DIR` .*"
                                                r"M2PEncoder\.from_pretrained\(DIR\)"):
        pretrained()


def test_pretrained_loads_a_fresh_eval_model_each_call(tmp_path, monkeypatch):
    model = tiny()
    monkeypatch.setattr(ckpt, "PRETRAINED_DIR", save_pretrained(model, tmp_path / "dancer"))
    first, second = pretrained(), pretrained(device="cpu")
    assert first is not second and not first.training and not second.training
    assert_same_weights(model, first)
    with torch.no_grad():
        first.music_proj[0].weight.zero_()
    assert_same_weights(model, second)
    assert_same_weights(model, pretrained())


def test_wheel_ships_the_weights(tmp_path, build_wheel):
    """pyproject's package-data puts m2p_course/weights/*/ config.json and model.safetensors in the wheel."""
    def tiny_weights(source):
        shutil.rmtree(source / "m2p_course" / "weights", ignore_errors=True)
        save_pretrained(tiny(), source / "m2p_course" / "weights" / "dancer")

    wheel = build_wheel(tmp_path, tiny_weights)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"m2p_course/weights/dancer/config.json", "m2p_course/weights/dancer/model.safetensors",
            "m2p_course/checkpoint.py", "m2p_course/__init__.pyi"} <= names
