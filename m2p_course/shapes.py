"""Trace the shape of every stage of an ``M2PEncoder`` without computing anything.

The trace runs on PyTorch's *meta* device: tensors there have shapes and dtypes but no
storage, so the full-size model at T = 5400 (three minutes at 30 FPS) traces in a blink
and takes no memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .checks import check_positive_int
from .model import M2PEncoder

__all__ = ["ShapeRow", "ShapeTrace", "trace_shapes", "count_parameters"]


@dataclass(frozen=True)
class ShapeRow:
    """One stage: its name, the module class, its output shape and its own parameter count."""
    stage: str
    module: str
    shape: tuple[int, ...]
    params: int


class ShapeTrace(list):
    """A list of ``ShapeRow``; printing it shows the table."""

    @property
    def total_params(self) -> int:
        return sum(row.params for row in self)

    def shape_of(self, stage: str) -> tuple[int, ...]:
        for row in self:
            if row.stage == stage:
                return row.shape
        raise KeyError(f"no stage {stage!r}; stages are {[row.stage for row in self]}")

    def table(self) -> str:
        header = ("stage", "module", "output shape", "params")
        lines = [(r.stage, r.module, "[" + ", ".join(map(str, r.shape)) + "]", f"{r.params:,}") for r in self]
        lines.append(("total", "", "", f"{self.total_params:,}"))
        widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(4)]
        fmt = lambda row: "  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)  # noqa: E731
                                    for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        rule = "-" * len(fmt(header))
        return "\n".join([fmt(header), rule, *map(fmt, lines[:-1]), rule, fmt(lines[-1])])

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table()


def count_parameters(module: nn.Module) -> int:
    """Number of parameters of a module (shared ones once)."""
    return sum(p.numel() for p in module.parameters())


def trace_shapes(model: M2PEncoder | dict, music_features_or_shape, padding_mask: bool = False) -> ShapeTrace:
    """The output shape and parameter count of every stage, traced on the meta device.

    ``model``: an ``M2PEncoder`` (its config is rebuilt on the meta device; its weights are
    untouched) or a dict of ``M2PEncoder`` keyword arguments. ``music_features_or_shape``: a
    tensor (only its shape is used) or a shape ``(B, T, D)``.
    Returns a ``ShapeTrace`` (a list of ``ShapeRow``) that prints as a table.
    """
    if isinstance(model, M2PEncoder):
        config = model.config
    elif isinstance(model, dict):
        config = model
    else:
        raise TypeError(f"model must be an M2PEncoder or a dict of its arguments, got {type(model).__name__}")
    shape = _as_shape(music_features_or_shape)
    with torch.device("meta"):
        meta = M2PEncoder(**config)
    meta.train()  # the training path: no fused inference kernels, which have no meta version

    rows: list[ShapeRow] = [ShapeRow("input", "music features", shape, 0)]

    def record(stage: str, module: nn.Module):
        def hook(_module, _inputs, output):
            rows.append(ShapeRow(stage, type(module).__name__, tuple(output.shape), count_parameters(module)))
        return module.register_forward_hook(hook)

    def record_pool(_module, inputs):
        pooled = tuple(inputs[0].shape[:1] + inputs[0].shape[2:])          # [B, T, C] -> [B, C]
        rows.append(ShapeRow("face_head (mean over T)", "masked_mean", pooled, 0))

    handles = [record("music_proj", meta.music_proj), record("pos_encoding", meta.pos_encoding)]
    handles += [record(f"transformer.layers[{i}]", layer) for i, layer in enumerate(meta.transformer.layers)]
    handles += [record("pose_head", meta.pose_head), meta.face_head.register_forward_pre_hook(record_pool),
                record("face_head", meta.face_head)]
    x = torch.empty(shape, device="meta")
    mask = torch.zeros(shape[:2], dtype=torch.bool, device="meta") if padding_mask else None
    try:
        with torch.no_grad():
            pose_logits, _ = meta(x, mask)
            kind = "softmax over joints" if meta.heatmap_size is None else "spatial_softmax2d"
            rows.append(ShapeRow("pose heatmap", kind, tuple(meta.get_pose_heatmap(pose_logits).shape), 0))
            if meta.heatmap_size is not None:
                coords = meta.get_pose_coordinates(pose_logits)
                rows.append(ShapeRow("pose coordinates", "soft_argmax2d", tuple(coords.shape), 0))
    finally:
        for handle in handles:
            handle.remove()
    return ShapeTrace(rows)


def _as_shape(value) -> tuple[int, int, int]:
    if isinstance(value, torch.Tensor):
        value = tuple(value.shape)
    if not isinstance(value, (tuple, list, torch.Size)) or len(value) != 3:
        raise ValueError(f"expected music features or their shape (B, T, D), got {value!r}")
    for n, name in zip(value, ("B", "T", "D"), strict=True):
        check_positive_int(n, name)
    return tuple(int(n) for n in value)
