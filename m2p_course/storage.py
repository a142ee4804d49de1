"""A pretrained model on disk: config.json + model.safetensors, and the file helpers checkpoints share.

A *pretrained model* is a directory of two files::

    config.json         the model's ``model.config`` (``heatmap_size`` as a list), plus
                        "format": "m2p-course/1" and "stored_dtype" (the floating tensors' dtype)
    model.safetensors   the state dict, contiguous CPU tensors

``save_module(model, directory)`` writes one; ``load_module(cls, directory)`` rebuilds it:
config.json gives ``cls``'s keyword arguments, the model is first built on the meta device
(shapes, no memory) and its state dict's shapes compared with those in the safetensors file's
header, so a config that does not fit its weights (or asks for a 384 GB model) is a clear
``ValueError`` before anything is allocated; only then is the real model built and loaded.

This module imports neither ``model`` nor ``checkpoint``: ``M2PEncoder.save_pretrained`` and
``M2PEncoder.from_pretrained`` call it with their own class, ``checkpoint`` calls those and
writes the training state with the helpers here. So the package's imports run one way:
checkpoint -> model -> storage. No file is ever a pickle, and every file is written to a
temporary name and then renamed (a crash mid-save leaves no half-written file).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

__all__ = ["FORMAT", "CONFIG_NAME", "WEIGHTS_NAME", "save_module", "load_module", "header_shapes", "file_sha256"]

FORMAT = "m2p-course/1"
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"

STORED_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
                 "float64": torch.float64}
SAVE_DTYPES = (torch.float16, torch.bfloat16, torch.float32)
RESERVED_KEYS = ("format", "stored_dtype")
SHOW = 5  # how many mismatches an error message names


# ----------------------------------------------------------------------------- file helpers

def as_path(directory, name: str = "directory") -> Path:
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike path, got {type(directory).__name__} {directory!r}")
    return Path(directory)


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def short_repr(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_jsonable(value, where: str) -> None:
    """Raise TypeError unless ``value`` survives a JSON round trip unchanged (tuples come back as lists).

    Only None, bool, int, float, str, lists/tuples of them and dicts with str keys qualify: an int
    key would silently come back as a str, a tensor or a NumPy number not at all.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_jsonable(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} must be JSON-able, but it has the key {key!r} of type "
                                f"{type(key).__name__} (JSON keys are strings; it would not load back as it was)")
            check_jsonable(item, f"{where}[{key!r}]")
        return
    hint = " (convert it with int() or float())" if hasattr(value, "item") and not isinstance(value, torch.Tensor) \
        else ""
    raise TypeError(f"{where} must be JSON-able (None, bool, int, float, str, list, dict with str keys), got "
                    f"{type(value).__name__} {short_repr(value)}{hint}")


def write_atomic(path: Path, write) -> None:
    """``write(tmp_path)``, then rename onto ``path`` (a crash leaves no half-written file there)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: Path, data: dict) -> None:
    text = json.dumps(data, indent=2) + "\n"
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    """A safetensors file of contiguous CPU tensors, written atomically."""
    tensors = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
    write_atomic(path, lambda tmp: save_file(tensors, tmp, metadata={"format": "pt"}))


def read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}); it should hold {what}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object ({what}), got a JSON {type(data).__name__}")
    return data


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(path)
    except SafetensorError as error:
        raise ValueError(f"{path} is not a readable safetensors file ({error})") from None


def header_shapes(path) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape in a safetensors file, from its header (the file is mapped, no tensor loaded)."""
    path = as_path(path, "path")
    try:
        with safe_open(path, framework="pt") as f:
            return {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
    except SafetensorError as error:
        raise ValueError(f"{path} is not a readable safetensors file ({error})") from None


def require_files(directory: Path, names: tuple[str, ...], what: str) -> None:
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory; expected a directory holding {what} "
                                f"({', '.join(names)})")
    for name in names:
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{directory / name} is missing; a directory of {what} holds "
                                    f"{' and '.join(names)}")


def first(items: list[str], sep: str = ", ") -> str:
    shown = sep.join(items[:SHOW])
    return shown + (f"{sep}... ({len(items) - SHOW} more)" if len(items) > SHOW else "")


# ----------------------------------------------------------------------------- pretrained models

def save_module(model: torch.nn.Module, directory, dtype: torch.dtype | None = None) -> Path:
    """Write ``model`` (a module with a JSON-able ``config`` dict of its constructor's arguments) to
    ``directory`` (created if needed) as config.json + model.safetensors; returns the directory.

    ``dtype=None`` stores the floating tensors as they are (a float32 model round-trips exactly);
    ``torch.float16`` or ``torch.bfloat16`` stores them at half the size (the model is not changed).
    """
    directory = as_path(directory)
    if dtype is not None and dtype not in SAVE_DTYPES:
        raise ValueError(f"dtype must be None, torch.float32, torch.float16 or torch.bfloat16, got {dtype!r}")

    tensors = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach()
        if dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(dtype)
        tensors[name] = tensor
    floating = {t.dtype for t in tensors.values() if t.is_floating_point()}
    if len(floating) != 1 or dtype_name(next(iter(floating))) not in STORED_DTYPES:
        found = sorted(map(dtype_name, floating)) or ["none"]
        raise ValueError(f"the model's floating tensors must share one dtype of {sorted(STORED_DTYPES)}, found "
                         f"{found}; pass dtype=torch.float32 (or float16, bfloat16) to store them in one")

    config = dict(model.config)
    if config.get("heatmap_size") is not None:
        config["heatmap_size"] = list(config["heatmap_size"])
    config.update(format=FORMAT, stored_dtype=dtype_name(next(iter(floating))))
    check_jsonable(config, "model.config")

    directory.mkdir(parents=True, exist_ok=True)
    write_tensors(directory / WEIGHTS_NAME, tensors)
    write_json(directory / CONFIG_NAME, config)
    return directory


def _constructor_arguments(cls) -> set[str]:
    params = inspect.signature(cls.__init__).parameters
    return {name for name in params if name != "self"}


def config_to_arguments(cls, config: dict, path: Path) -> dict:
    """config.json's content -> the keyword arguments of ``cls``, or a ValueError saying what is wrong."""
    if config.get("format") != FORMAT:
        raise ValueError(f"{path} must have \"format\": {FORMAT!r}, got {config.get('format', '(no format key)')!r}"
                         "; it is not a config.json written by m2p_course's save_pretrained")
    stored = config.get("stored_dtype")
    if stored not in STORED_DTYPES:
        raise ValueError(f"{path} must have \"stored_dtype\" in {sorted(STORED_DTYPES)}, got {stored!r}")
    expected = _constructor_arguments(cls)
    given = set(config) - set(RESERVED_KEYS)
    unknown, missing = sorted(given - expected), sorted(expected - given)
    if unknown or missing:
        parts = ([f"unknown keys {unknown}"] if unknown else []) + ([f"missing keys {missing}"] if missing else [])
        raise ValueError(f"{path} does not describe an {cls.__name__}: {'; '.join(parts)} "
                         f"(expected exactly {sorted(expected)} plus {list(RESERVED_KEYS)})")
    arguments = {key: config[key] for key in expected}
    if isinstance(arguments.get("heatmap_size"), list):
        arguments["heatmap_size"] = tuple(arguments["heatmap_size"])
    return arguments


def _shape(shape: tuple[int, ...]) -> str:
    """(64, 16), (64,), (20_000_000, 16): a tuple as Python writes it, big sizes readable."""
    return "(" + ", ".join(f"{n:_}" for n in shape) + ("," if len(shape) == 1 else "") + ")"


def check_shapes(implied: dict[str, tuple], stored: dict[str, tuple], path: Path) -> None:
    """ValueError unless the tensors the config implies are exactly those stored, with the same shapes."""
    missing = sorted(set(implied) - set(stored))
    unexpected = sorted(set(stored) - set(implied))
    wrong = [f"{name}: the config implies {_shape(implied[name])}, the file stores {_shape(stored[name])}"
             for name in implied if name in stored and stored[name] != implied[name]]
    problems = []
    if wrong:
        problems.append(f"{_count(wrong, 'has', 'have')} the wrong shape: {first(wrong, '; ')}")
    if missing:
        problems.append(f"{_count(missing, 'is', 'are')} missing from the file: {first(missing)}")
    if unexpected:
        problems.append(f"{_count(unexpected, 'is', 'are')} in the file but not in the model the config "
                        f"describes: {first(unexpected)}")
    if problems:
        raise ValueError(f"{path} does not match the model its config.json describes (checked before building "
                         "it). " + ". ".join(problems))


def _count(items: list, one: str, many: str) -> str:
    return f"1 tensor {one}" if len(items) == 1 else f"{len(items)} tensors {many}"


def load_module(cls, directory, device: torch.device | str | None = None,
                dtype: torch.dtype = torch.float32):
    """Rebuild the ``cls`` saved in ``directory`` by ``save_module``, in eval mode.

    config.json gives the constructor's arguments; the model is built on the meta device first and
    its state dict's shapes compared with model.safetensors' header (every tensor there, none extra,
    each with the shape the config implies), and only then built for real, loaded strictly, cast to
    ``dtype`` and moved to ``device`` (default: the CPU).
    """
    directory = as_path(directory)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype such as torch.float32, got {dtype!r}")
    require_files(directory, (CONFIG_NAME, WEIGHTS_NAME), f"a saved {cls.__name__}")
    config_path, weights_path = directory / CONFIG_NAME, directory / WEIGHTS_NAME
    arguments = config_to_arguments(cls, read_json(config_path, f"an {cls.__name__}'s config"), config_path)
    try:
        with torch.device("meta"):                   # shapes only: free at any size
            implied = {name: tuple(t.shape) for name, t in cls(**arguments).state_dict().items()}
    except (TypeError, ValueError) as error:
        raise ValueError(f"{config_path} does not describe a valid {cls.__name__}: {error}") from None
    check_shapes(implied, header_shapes(weights_path), weights_path)

    model = cls(**arguments)
    model.load_state_dict(read_safetensors(weights_path), strict=True)
    model.to(device=torch.device("cpu") if device is None else device, dtype=dtype)
    return model.eval()


def file_sha256(path) -> str:
    """The SHA-256 of a file's bytes, as hex, read 1 MiB at a time (a recording's, a checkpoint's)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
