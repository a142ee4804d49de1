"""Checkpoints without pickle: the pretrained model's two files, the shipped model, and the training state.

A *pretrained model* is a directory of config.json + model.safetensors (``m2p_course.storage``
describes them): ``save_pretrained(model, directory)`` writes it, ``load_pretrained(directory)``
rebuilds the ``M2PEncoder`` from config.json (its shapes checked against the safetensors header
before anything is allocated), loads the weights strictly and returns it in eval mode. They are
``model.save_pretrained`` and ``M2PEncoder.from_pretrained``, which live with the model;
``pretrained()`` loads the model shipped in the package, ``m2p_course/weights/dancer/``.

A *training state* (to resume training bit for bit) is a second pair of files, usually written
next to a pretrained model::

    optimizer.safetensors   every tensor of optimizer.state_dict()["state"], as "state.{index}.{name}"
    training_state.json     "format": "m2p-course-training/1", the param_groups, the state's
                            non-tensor values, the scheduler's state_dict(), step, extra

No file is ever a pickle: ``torch.save``/``torch.load`` are not used, so loading a checkpoint
from someone else cannot run code. Every file is written to a temporary name and then renamed,
so a crash mid-save leaves no half-written file.

The imports run one way: checkpoint -> model -> storage (storage knows neither).
"""

from __future__ import annotations

from pathlib import Path

import torch

from .checks import check_int
from .model import M2PEncoder
from .storage import (
    CONFIG_NAME,
    WEIGHTS_NAME,
    as_path,
    check_jsonable,
    first,
    read_json,
    read_safetensors,
    require_files,
    short_repr,
    write_json,
    write_tensors,
)

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

TRAINING_FORMAT = "m2p-course-training/1"
OPTIMIZER_NAME = "optimizer.safetensors"
TRAINING_STATE_NAME = "training_state.json"

# Optimizer state tensors that hold one value per parameter element (Adam/AdamW/NAdam/RAdam,
# SGD, RMSprop, Adadelta, Adagrad, Rprop): their shape must be the parameter's shape.
_ELEMENTWISE_STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer", "square_avg", "grad_avg",
                      "acc_delta", "sum", "prev", "exp_inf")


# ----------------------------------------------------------------------------- pretrained models

def save_pretrained(model: M2PEncoder, directory, dtype: torch.dtype | None = None) -> Path:
    """Write ``model`` to ``directory`` (created if needed) as config.json + model.safetensors.

    ``dtype=None`` stores the floating tensors as they are (a float32 model round-trips exactly);
    ``torch.float16`` or ``torch.bfloat16`` stores them at half the size (the model itself is not
    changed). Returns the directory as a Path. The same as ``model.save_pretrained(directory)``.
    """
    if not isinstance(model, M2PEncoder):
        raise TypeError(f"model must be an M2PEncoder, got {type(model).__name__}")
    return model.save_pretrained(directory, dtype=dtype)


def load_pretrained(directory, device: torch.device | str | None = None,
                    dtype: torch.dtype = torch.float32) -> M2PEncoder:
    """Rebuild the ``M2PEncoder`` saved in ``directory`` by ``save_pretrained``, in eval mode.

    The model's shapes, from config.json, are compared with model.safetensors' header before it
    is built (every tensor must be there with the shape the config implies), then the weights
    are loaded, cast to ``dtype`` and moved to ``device`` (default: the CPU). Call ``.train()`` on
    it to train further. The same as ``M2PEncoder.from_pretrained(directory)``.
    """
    return M2PEncoder.from_pretrained(directory, device=device, dtype=dtype)


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
    directory = as_path(directory)
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
                tensors[f"state.{index}.{name}"] = value
            else:
                values.setdefault(str(index), {})[name] = value
    check_jsonable(state_dict["param_groups"], "optimizer.state_dict()['param_groups']")
    check_jsonable(values, "optimizer.state_dict()['state'] (its non-tensor values)")
    scheduler_state = None
    if scheduler is not None:
        scheduler_state = scheduler.state_dict()
        check_jsonable(scheduler_state, f"{type(scheduler).__name__}.state_dict()")
    if extra is not None:
        check_jsonable(extra, "extra")

    record = {"format": TRAINING_FORMAT, "optimizer": type(optimizer).__name__, "step": step,
              "param_groups": state_dict["param_groups"], "state": values,
              "scheduler": scheduler_state, "extra": extra}
    directory.mkdir(parents=True, exist_ok=True)
    write_tensors(directory / OPTIMIZER_NAME, tensors)
    write_json(directory / TRAINING_STATE_NAME, record)
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
    directory = as_path(directory)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    require_files(directory, (TRAINING_STATE_NAME, OPTIMIZER_NAME), "a saved training state")
    json_path, tensors_path = directory / TRAINING_STATE_NAME, directory / OPTIMIZER_NAME
    record = read_json(json_path, "a training state")
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
            raise ValueError(f"{json_path} has the state entry {index!r}: {short_repr(values)}; expected a "
                             "parameter index and an object of values")
        state.setdefault(int(index), {}).update(values)
    for key, tensor in read_safetensors(tensors_path).items():
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
                         f"with the wrong shape ({first(wrong)})")

    groups = _restore_tuples(record["param_groups"], optimizer.param_groups)
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    if scheduler is not None:
        scheduler.load_state_dict(record["scheduler"])
    return {"step": record["step"], "extra": record["extra"]}
