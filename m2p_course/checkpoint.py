"""Checkpoints without pickle: safetensors for tensors, JSON for everything else.

A *pretrained model* is a directory of two files::

    config.json         the model's ``model.config`` (``heatmap_size`` as a list), plus
                        "format": "m2p-course/1" and "stored_dtype" (the floating tensors' dtype)
    model.safetensors   the state dict, contiguous CPU tensors

``save_pretrained(model, directory)`` writes it, ``load_pretrained(directory)`` rebuilds the
``M2PEncoder`` from config.json, loads the weights strictly and returns it in eval mode
(``model.save_pretrained`` and ``M2PEncoder.from_pretrained`` are the same two functions).
``pretrained()`` loads the model shipped in the package, ``m2p_course/weights/dancer/``.

A *training state* (to resume training bit for bit) is a second pair of files, usually written
next to a pretrained model::

    optimizer.safetensors   every tensor of optimizer.state_dict()["state"], as "state.{index}.{name}"
    training_state.json     "format": "m2p-course-training/1", the param_groups, the state's
                            non-tensor values, the scheduler's state_dict(), step, extra

No file is ever a pickle: ``torch.save``/``torch.load`` are not used, so loading a checkpoint
from someone else cannot run code. Every file is written to a temporary name and then renamed,
so a crash mid-save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .checks import check_int
from .model import M2PEncoder

__all__ = [
    "PRETRAINED_DIR",
    "save_pretrained",
    "load_pretrained",
    "pretrained",
    "save_training_state",
    "load_training_state",
]

PRETRAINED_DIR = Path(__file__).resolve().parent / "weights" / "dancer"
"""Where the model shipped with the package lives: config.json + model.safetensors."""

FORMAT = "m2p-course/1"
TRAINING_FORMAT = "m2p-course-training/1"
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
OPTIMIZER_NAME = "optimizer.safetensors"
TRAINING_STATE_NAME = "training_state.json"

_STORED_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
                  "float64": torch.float64}
_SAVE_DTYPES = (torch.float16, torch.bfloat16, torch.float32)
_RESERVED_KEYS = ("format", "stored_dtype")
# Optimizer state tensors that hold one value per parameter element (Adam/AdamW/NAdam/RAdam,
# SGD, RMSprop, Adadelta, Adagrad, Rprop): their shape must be the parameter's shape.
_ELEMENTWISE_STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer", "square_avg", "grad_avg",
                      "acc_delta", "sum", "prev", "exp_inf")
_SHOW = 5  # how many mismatches an error message names


# ----------------------------------------------------------------------------- helpers

def _as_path(directory, name: str = "directory") -> Path:
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike path, got {type(directory).__name__} {directory!r}")
    return Path(directory)


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _check_jsonable(value, where: str) -> None:
    """Raise TypeError unless ``value`` survives a JSON round trip unchanged (tuples come back as lists).

    Only None, bool, int, float, str, lists/tuples of them and dicts with str keys qualify: an int
    key would silently come back as a str, a tensor or a NumPy number not at all.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_jsonable(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} must be JSON-able, but it has the key {key!r} of type "
                                f"{type(key).__name__} (JSON keys are strings; it would not load back as it was)")
            _check_jsonable(item, f"{where}[{key!r}]")
        return
    hint = " (convert it with int() or float())" if hasattr(value, "item") and not isinstance(value, torch.Tensor) \
        else ""
    raise TypeError(f"{where} must be JSON-able (None, bool, int, float, str, list, dict with str keys), got "
                    f"{type(value).__name__} {_short_repr(value)}{hint}")


def _short_repr(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _write_atomic(path: Path, write) -> None:
    """``write(tmp_path)``, then rename onto ``path`` (a crash leaves no half-written file there)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, indent=2) + "\n"
    _write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}); it should hold {what}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object ({what}), got a JSON {type(data).__name__}")
    return data


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(path)
    except SafetensorError as error:
        raise ValueError(f"{path} is not a readable safetensors file ({error})") from None


def _require_files(directory: Path, names: tuple[str, ...], what: str) -> None:
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory; expected a directory holding {what} "
                                f"({', '.join(names)})")
    for name in names:
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{directory / name} is missing; a directory of {what} holds "
                                    f"{' and '.join(names)}")


def _first(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOW])
    return shown + (f", ... ({len(items) - _SHOW} more)" if len(items) > _SHOW else "")


# ----------------------------------------------------------------------------- pretrained models

def save_pretrained(model: M2PEncoder, directory, dtype: torch.dtype | None = None) -> Path:
    """Write ``model`` to ``directory`` (created if needed) as config.json + model.safetensors.

    ``dtype=None`` stores the floating tensors as they are (a float32 model round-trips exactly);
    ``torch.float16`` or ``torch.bfloat16`` stores them at half the size (the model itself is not
    changed). Returns the directory as a Path.
    """
    if not isinstance(model, M2PEncoder):
        raise TypeError(f"model must be an M2PEncoder, got {type(model).__name__}")
    directory = _as_path(directory)
    if dtype is not None and dtype not in _SAVE_DTYPES:
        raise ValueError(f"dtype must be None, torch.float32, torch.float16 or torch.bfloat16, got {dtype!r}")

    tensors = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach()
        if dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(dtype)
        tensors[name] = tensor.to("cpu").contiguous()
    floating = {t.dtype for t in tensors.values() if t.is_floating_point()}
    if len(floating) != 1 or _dtype_name(next(iter(floating))) not in _STORED_DTYPES:
        found = sorted(map(_dtype_name, floating)) or ["none"]
        raise ValueError(f"the model's floating tensors must share one dtype of {sorted(_STORED_DTYPES)}, found "
                         f"{found}; pass dtype=torch.float32 (or float16, bfloat16) to store them in one")
    stored_dtype = _dtype_name(next(iter(floating)))

    config = dict(model.config)
    if config.get("heatmap_size") is not None:
        config["heatmap_size"] = list(config["heatmap_size"])
    config.update(format=FORMAT, stored_dtype=stored_dtype)
    _check_jsonable(config, "model.config")

    directory.mkdir(parents=True, exist_ok=True)
    _write_atomic(directory / WEIGHTS_NAME, lambda tmp: save_file(tensors, tmp, metadata={"format": "pt"}))
    _write_json(directory / CONFIG_NAME, config)
    return directory


def _model_arguments() -> set[str]:
    params = inspect.signature(M2PEncoder.__init__).parameters
    return {name for name in params if name != "self"}


def _config_to_arguments(config: dict, path: Path) -> dict:
    """config.json's content -> the keyword arguments of ``M2PEncoder``, or a ValueError saying what is wrong."""
    if config.get("format") != FORMAT:
        raise ValueError(f"{path} must have \"format\": {FORMAT!r}, got {config.get('format', '(no format key)')!r}"
                         "; it is not a config.json written by m2p_course's save_pretrained")
    stored = config.get("stored_dtype")
    if stored not in _STORED_DTYPES:
        raise ValueError(f"{path} must have \"stored_dtype\" in {sorted(_STORED_DTYPES)}, got {stored!r}")
    expected = _model_arguments()
    given = set(config) - set(_RESERVED_KEYS)
    unknown, missing = sorted(given - expected), sorted(expected - given)
    if unknown or missing:
        parts = ([f"unknown keys {unknown}"] if unknown else []) + ([f"missing keys {missing}"] if missing else [])
        raise ValueError(f"{path} does not describe an M2PEncoder: {'; '.join(parts)} "
                         f"(expected exactly {sorted(expected)} plus {list(_RESERVED_KEYS)})")
    arguments = {key: config[key] for key in expected}
    if isinstance(arguments["heatmap_size"], list):
        arguments["heatmap_size"] = tuple(arguments["heatmap_size"])
    return arguments


def _check_weights_match(tensors: dict[str, torch.Tensor], model: M2PEncoder, path: Path) -> None:
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    got = {name: tuple(t.shape) for name, t in tensors.items()}
    missing = sorted(set(expected) - set(got))
    unexpected = sorted(set(got) - set(expected))
    wrong = [f"{name}: file {got[name]} vs model {expected[name]}"
             for name in expected if name in got and got[name] != expected[name]]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing ({_first(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected ({_first(unexpected)})")
    if wrong:
        problems.append(f"{len(wrong)} with the wrong shape ({_first(wrong)})")
    if problems:
        raise ValueError(f"{path} does not match the model its config.json describes: tensors "
                         + "; ".join(problems))


def load_pretrained(directory, device: torch.device | str | None = None,
                    dtype: torch.dtype = torch.float32) -> M2PEncoder:
    """Rebuild the ``M2PEncoder`` saved in ``directory`` by ``save_pretrained``, in eval mode.

    The model is built from config.json, its weights loaded from model.safetensors (every tensor
    must be there with the shape the config implies), then cast to ``dtype`` and moved to
    ``device`` (default: the CPU). Call ``.train()`` on it to train further.
    """
    directory = _as_path(directory)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype such as torch.float32, got {dtype!r}")
    _require_files(directory, (CONFIG_NAME, WEIGHTS_NAME), "a saved M2PEncoder")
    config_path, weights_path = directory / CONFIG_NAME, directory / WEIGHTS_NAME
    arguments = _config_to_arguments(_read_json(config_path, "an M2PEncoder's config"), config_path)
    try:
        model = M2PEncoder(**arguments)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{config_path} does not describe a valid M2PEncoder: {error}") from None

    tensors = _read_safetensors(weights_path)
    _check_weights_match(tensors, model, weights_path)
    model.load_state_dict(tensors, strict=True)
    model.to(device=torch.device("cpu") if device is None else device, dtype=dtype)
    return model.eval()


def pretrained(device: torch.device | str | None = None) -> M2PEncoder:
    """The model shipped with the package (``m2p_course/weights/dancer/``), a fresh copy each call, in eval mode."""
    directory = PRETRAINED_DIR
    missing = [name for name in (CONFIG_NAME, WEIGHTS_NAME) if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"The shipped weights are missing: {directory} has no {' and no '.join(missing)}. "
            "Train a model with `m2p-course train --out DIR` and load it with M2PEncoder.from_pretrained(DIR)."
        )
    return load_pretrained(directory, device=device)


# ----------------------------------------------------------------------------- training state

def save_training_state(directory, optimizer: torch.optim.Optimizer, scheduler=None, step: int = 0,
                        extra: dict | None = None) -> Path:
    """Write the optimizer's (and scheduler's) state to ``directory`` so that training can resume exactly.

    optimizer.safetensors holds every tensor of ``optimizer.state_dict()["state"]`` (AdamW's moments
    and its per-parameter ``step``); training_state.json the param_groups, the state's other values,
    ``scheduler.state_dict()``, ``step`` and ``extra`` (a JSON-able dict: seeds, RNG states as lists
    of ints, ...). Save the model itself with ``save_pretrained``. Returns the directory as a Path.
    """
    directory = _as_path(directory)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if scheduler is not None and not (callable(getattr(scheduler, "state_dict", None))
                                      and callable(getattr(scheduler, "load_state_dict", None))):
        raise TypeError(f"scheduler must be None or have state_dict() and load_state_dict() (an LRScheduler), "
                        f"got {type(scheduler).__name__}")
    step = check_int(step, "step", low=0)
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"extra must be None or a JSON-able dict, got {type(extra).__name__}")

    state_dict = optimizer.state_dict()
    tensors, values = {}, {}
    for index, param_state in state_dict["state"].items():
        for name, value in param_state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{index}.{name}"] = value.detach().to("cpu").contiguous()
            else:
                values.setdefault(str(index), {})[name] = value
    _check_jsonable(state_dict["param_groups"], "optimizer.state_dict()['param_groups']")
    _check_jsonable(values, "optimizer.state_dict()['state'] (its non-tensor values)")
    scheduler_state = None
    if scheduler is not None:
        scheduler_state = scheduler.state_dict()
        _check_jsonable(scheduler_state, f"{type(scheduler).__name__}.state_dict()")
    if extra is not None:
        _check_jsonable(extra, "extra")

    record = {"format": TRAINING_FORMAT, "optimizer": type(optimizer).__name__, "step": step,
              "param_groups": state_dict["param_groups"], "state": values,
              "scheduler": scheduler_state, "extra": extra}
    directory.mkdir(parents=True, exist_ok=True)
    _write_atomic(directory / OPTIMIZER_NAME, lambda tmp: save_file(tensors, tmp, metadata={"format": "pt"}))
    _write_json(directory / TRAINING_STATE_NAME, record)
    return directory


def _restore_tuples(saved_groups: list, current_groups: list) -> list:
    """JSON turned tuples (AdamW's betas) into lists: give them back the type the optimizer uses now."""
    restored = []
    for saved, current in zip(saved_groups, current_groups, strict=True):
        group = dict(saved)
        for key, value in group.items():
            if isinstance(value, list) and isinstance(current.get(key), tuple):
                group[key] = tuple(value)
        restored.append(group)
    return restored


def _check_groups(saved_groups, optimizer: torch.optim.Optimizer, path: Path) -> None:
    if not isinstance(saved_groups, list) or not all(isinstance(g, dict) and isinstance(g.get("params"), list)
                                                     for g in saved_groups):
        raise ValueError(f"{path} must hold \"param_groups\": a list of objects each with a \"params\" list")
    saved_sizes = [len(g["params"]) for g in saved_groups]
    current_sizes = [len(g["params"]) for g in optimizer.param_groups]
    if saved_sizes != current_sizes:
        raise ValueError(f"{path} was saved from an optimizer with parameter groups of sizes {saved_sizes}, but this "
                         f"optimizer's groups have sizes {current_sizes}: it optimizes a different model")


def load_training_state(directory, optimizer: torch.optim.Optimizer, scheduler=None) -> dict:
    """Restore what ``save_training_state`` wrote into ``optimizer`` (and ``scheduler``); returns ``{"step", "extra"}``.

    Build the model (``load_pretrained``), the optimizer over its parameters and the scheduler
    exactly as before, then call this: the next ``optimizer.step()`` continues as if training had
    never stopped. The optimizer's state tensors move to its parameters' device.
    """
    directory = _as_path(directory)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    _require_files(directory, (TRAINING_STATE_NAME, OPTIMIZER_NAME), "a saved training state")
    json_path, tensors_path = directory / TRAINING_STATE_NAME, directory / OPTIMIZER_NAME
    record = _read_json(json_path, "a training state")
    if record.get("format") != TRAINING_FORMAT:
        raise ValueError(f"{json_path} must have \"format\": {TRAINING_FORMAT!r}, got "
                         f"{record.get('format', '(no format key)')!r}")
    expected = {"format", "optimizer", "step", "param_groups", "state", "scheduler", "extra"}
    if set(record) != expected:
        raise ValueError(f"{json_path} must have exactly the keys {sorted(expected)}; unknown "
                         f"{sorted(set(record) - expected)}, missing {sorted(expected - set(record))}")
    if record["optimizer"] != type(optimizer).__name__:
        raise ValueError(f"{json_path} holds the state of a {record['optimizer']} optimizer, but a "
                         f"{type(optimizer).__name__} was given")
    if record["scheduler"] is None and scheduler is not None:
        raise ValueError(f"{json_path} holds no scheduler state, but a scheduler was given; pass scheduler=None")
    if record["scheduler"] is not None and scheduler is None:
        raise ValueError(f"{json_path} holds a scheduler's state; pass the scheduler (built as before) to restore it")
    _check_groups(record["param_groups"], optimizer, json_path)

    state: dict[int, dict] = {}
    if not isinstance(record["state"], dict):
        raise ValueError(f"{json_path} must hold \"state\": an object of parameter index -> values")
    for index, values in record["state"].items():
        if not index.isdigit() or not isinstance(values, dict):
            raise ValueError(f"{json_path} has the state entry {index!r}: {_short_repr(values)}; expected a "
                             "parameter index and an object of values")
        state.setdefault(int(index), {}).update(values)
    for key, tensor in _read_safetensors(tensors_path).items():
        prefix, index, name = (key.split(".", 2) + ["", ""])[:3]
        if prefix != "state" or not index.isdigit() or not name:
            raise ValueError(f"{tensors_path} holds the tensor {key!r}; expected names like 'state.0.exp_avg'")
        state.setdefault(int(index), {})[name] = tensor

    params = [p for group in optimizer.param_groups for p in group["params"]]
    saved_ids = [i for group in record["param_groups"] for i in group["params"]]
    position = {saved_id: n for n, saved_id in enumerate(saved_ids)}
    wrong = []
    for index, values in state.items():
        if index not in position:
            raise ValueError(f"{tensors_path} has state for parameter {index}, which no param group lists")
        shape = tuple(params[position[index]].shape)
        wrong += [f"state.{index}.{name}: file {tuple(v.shape)} vs parameter {shape}" for name, v in values.items()
                  if name in _ELEMENTWISE_STATE and isinstance(v, torch.Tensor) and tuple(v.shape) != shape]
    if wrong:
        raise ValueError(f"{tensors_path} does not match this optimizer's parameters: {len(wrong)} state tensors "
                         f"with the wrong shape ({_first(wrong)})")

    groups = _restore_tuples(record["param_groups"], optimizer.param_groups)
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    if scheduler is not None:
        scheduler.load_state_dict(record["scheduler"])
    return {"step": record["step"], "extra": record["extra"]}
