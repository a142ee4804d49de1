"""Where a pass through the encoder spends its arithmetic and its memory, known before it runs.

- ``stage_flops(length, batch, **config)``: the multiply-add FLOPs of each stage of one forward pass,
  from the shapes alone (a training step's backward costs about twice its forward).
- ``PeakMemory``: a context that counts the bytes of every tensor torch makes inside it, frees
  included, and keeps the peak. Works on any device, and on *fake* tensors, which have shapes, a
  dtype and a device but no memory.
- ``predict_memory(config, batch, length, ...)``: the peak of an inference pass or a training step
  (forward, backward, the optimizer's first step) for any size, measured on fake tensors: torch
  takes the same kernels as it would for real (the CPU's fused attention included), so the
  prediction is what the real pass allocates, in a fraction of a second and without the memory.
- ``stage_times(model, music)``: seconds spent in each stage of a real forward pass;
  ``top_operators(model, music)``: torch.profiler's table of the operators that took the longest; ``gemm_rate()``:
  this machine's matrix-multiply rate, the bound on how fast those FLOPs can go; ``memory_bandwidth()``:
  how many bytes a second its memory moves, the bound of the stages that do little arithmetic per byte.

::

    predict_memory(dict(), batch=1, length=5400, training=True).peak    # about 21 GB: it will not fit
    predict_memory(dict(), batch=1, length=5400, training=True, checkpointing=True).peak

Allocator overheads (the caching allocator on a GPU, glibc's arenas on the CPU) and small scratch
buffers inside fused kernels come on top; the process also holds torch itself (a few hundred MB).
"""

from __future__ import annotations

import time
import weakref
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from .checks import check_bool, check_positive_int, check_tensor

__all__ = ["stage_flops", "PeakMemory", "MemoryPrediction", "predict_memory", "measure_memory", "fake_encoder",
           "stage_times",
           "gemm_rate", "memory_bandwidth", "top_operators", "STAGES"]

STAGES = ("projection", "attention projections", "attention scores", "feed-forward", "pose head", "face head")


def _config(config: dict | None) -> dict:
    from .model import M2PEncoder

    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict of M2PEncoder arguments, got {type(config).__name__}")
    import inspect

    known = set(inspect.signature(M2PEncoder.__init__).parameters) - {"self"}
    unknown = sorted(set(config) - known)
    if unknown:
        raise TypeError(f"config has names M2PEncoder does not take: {unknown}; it takes {sorted(known)}")
    return config


def stage_flops(length: int, batch: int = 1, music_input_dim: int = 4800, hidden_dim: int = 1024,
                pose_channels: int = 134, face_embed_dim: int = 512, num_heads: int = 8, num_layers: int = 6,
                dim_feedforward: int | None = None, heatmap_size: tuple[int, int] | None = None,
                **_unused) -> dict[str, int]:
    """FLOPs (2 per multiply-add) of each stage of one forward pass of ``[batch, length]`` frames.

    Only the matrix products count: the element-wise work (positions, GELU, LayerNorm, softmax,
    dropout) is a few percent. The stages are ``STAGES``: the projection ``in -> 2d -> d``; per
    layer the attention projections (q, k, v and out, ``4 d^2`` per frame), the attention scores
    (``Q K^T`` and ``P V``, ``2 T d`` per frame: the only term that grows with T per frame) and the
    feed-forward (``2 d ff``); the pose head per frame; the face head once per clip. Takes the
    keyword arguments of ``M2PEncoder`` (the guide's sizes by default; others are ignored).
    """
    t, b = check_positive_int(length, "length"), check_positive_int(batch, "batch")
    d = check_positive_int(hidden_dim, "hidden_dim")
    ff = dim_feedforward or 4 * d
    out = pose_channels * (1 if heatmap_size is None else heatmap_size[0] * heatmap_size[1])
    frames = b * t
    return {
        "projection": 2 * frames * (music_input_dim * 2 * d + 2 * d * d),
        "attention projections": 2 * frames * num_layers * 4 * d * d,
        "attention scores": 2 * frames * num_layers * 2 * t * d,
        "feed-forward": 2 * frames * num_layers * 2 * d * ff,
        "pose head": 2 * frames * (d * (d // 2) + (d // 2) * (d // 4) + (d // 4) * out),
        "face head": 2 * b * (d * (d // 2) + (d // 2) * face_embed_dim),
    }


# -----------------------------------------------------------------------------
# memory: live tensor bytes, counted as torch makes and frees them


class PeakMemory(TorchDispatchMode):
    """Count the bytes of the tensors made inside the ``with`` block, and their peak.

    ::

        with PeakMemory() as memory:
            loss = model(x)[0].square().mean()
            loss.backward()
        memory.peak       # the most bytes alive at once, of tensors made inside the block
        memory.now        # bytes still alive (made inside, not yet freed)
        memory.largest    # [(op name, bytes)], the biggest single tensors, largest first

    Every operator torch runs passes through it (a ``TorchDispatchMode``); a new storage is counted
    when an operator returns it and uncounted when it is freed. Views and in-place results share
    their input's storage and count nothing. Tensors that existed before (the weights, the input)
    are not counted. Scratch buffers that a fused kernel allocates and frees inside itself are not
    seen (they are small: tiles of the attention matrix, not the matrix).
    """

    def __init__(self, top: int = 5):
        super().__init__()
        self.now = 0
        self.peak = 0
        self._top = check_positive_int(top, "top")
        self._alive: dict[int, int] = {}
        self._largest: list[tuple[str, int]] = []

    @property
    def largest(self) -> list[tuple[str, int]]:
        return list(self._largest)

    def _free(self, key: int) -> None:
        self.now -= self._alive.pop(key, 0)

    def _count(self, tensor: torch.Tensor, op: str, inputs: set[int]) -> None:
        storage = tensor.untyped_storage()
        key = storage._cdata
        if key in self._alive or key in inputs:
            return
        size = storage.nbytes()
        self._alive[key] = size
        self.now += size
        self.peak = max(self.peak, self.now)
        weakref.finalize(storage, self._free, key)
        self._largest.append((op, size))
        self._largest.sort(key=lambda item: -item[1])
        del self._largest[self._top:]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        flat_in, _ = tree_flatten((args, kwargs))
        inputs = {a.untyped_storage()._cdata for a in flat_in if isinstance(a, torch.Tensor)}
        flat_out, _ = tree_flatten(out)
        for tensor in flat_out:
            if isinstance(tensor, torch.Tensor):
                self._count(tensor, func.overloadpacket.__name__, inputs)
        return out


@dataclass
class MemoryPrediction:
    """What ``predict_memory`` found, in bytes."""

    weights: int                 # the parameters
    peak: int                    # the most bytes alive at once during the pass, weights excluded
    kept_for_backward: int       # activations autograd keeps until backward (0 at inference)
    largest: list[tuple[str, int]] = field(default_factory=list)   # the biggest single tensors, by op

    @property
    def total(self) -> int:
        """Weights plus the peak: what the tensors need at the worst moment."""
        return self.weights + self.peak

    def __str__(self) -> str:
        biggest = ", ".join(f"{op} {size / 1e9:.2f} GB" for op, size in self.largest[:3])
        return (f"weights {self.weights / 1e9:.2f} GB + peak {self.peak / 1e9:.2f} GB = {self.total / 1e9:.2f} GB "
                f"(kept for backward {self.kept_for_backward / 1e9:.2f} GB; largest tensors: {biggest})")


def _check_pass(training, dtype, optimizer) -> None:
    """The options of the pass that ``predict_memory`` and ``measure_memory`` run."""
    check_bool(training, "training")
    check_bool(optimizer, "optimizer")
    if dtype not in (None, torch.float32, torch.bfloat16, torch.float16):
        raise ValueError(f"dtype must be None, torch.float32, torch.bfloat16 or torch.float16, got {dtype!r}")


def _synchronizer(device):
    """A function that waits until ``device`` has finished its queued work (a GPU runs its kernels
    asynchronously), so that a timer read after it sees the work done; on the CPU there is nothing to wait for."""
    return torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)


def _check_device(device) -> torch.device:
    """A device this torch can pick kernels for: fake tensors on a GPU still need its runtime (without
    it, torch aborts the whole process instead of raising)."""
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be a torch device or its name ('cpu', 'cuda'), got {device!r}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} needs a GPU that this torch can use: torch.cuda.is_available() is "
                         "False here; predict on 'cpu' (the CPU's kernels) instead")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {str(device)!r}")
    return device


def fake_encoder(config: dict | None = None, device: torch.device | str = "cpu"):
    """``(model, mode)``: an ``M2PEncoder(**config)`` whose weights are fake tensors on ``device``.

    Fake tensors (``torch._subclasses.FakeTensorMode``) carry shape, dtype and device but no data:
    the full-size model costs nothing. Make inputs inside ``with mode:`` and call the model there.
    """
    from torch._subclasses.fake_tensor import FakeTensorMode

    from .model import M2PEncoder

    config = _config(config)
    device = _check_device(device)
    mode = FakeTensorMode()
    with torch.device("meta"):
        model = M2PEncoder(**config)
    with mode:
        for module in model.modules():
            for name, p in list(module._parameters.items()):
                if p is not None:
                    module._parameters[name] = nn.Parameter(torch.empty(p.shape, dtype=p.dtype, device=device),
                                                            requires_grad=p.requires_grad)
            for name, b in list(module._buffers.items()):
                if b is not None:
                    module._buffers[name] = torch.empty(b.shape, dtype=b.dtype, device=device)
    return model, mode


def predict_memory(config: dict | None = None, batch: int = 1, length: int = 5400, *, training: bool = False,
                   checkpointing: bool = False, dtype: torch.dtype | None = None, optimizer: bool = True,
                   device: torch.device | str = "cpu") -> MemoryPrediction:
    """The memory of one pass of ``M2PEncoder(**config)`` on ``[batch, length]`` frames, without running it.

    ``training=False``: an inference pass (eval, no grad). ``training=True``: a training step: forward
    in train mode (dropout), a loss, backward, and with ``optimizer`` an AdamW step (its two
    moments per weight are made on the first step). ``checkpointing``: gradient checkpointing.
    ``dtype=torch.bfloat16`` (or float16): the pass under autocast (weights stay float32).
    The pass runs on fake tensors on ``device`` through the same kernels as a real one (on the CPU,
    the fused attention), so ``peak`` is what the real pass's tensors take.
    """
    _check_pass(training, dtype, optimizer)
    check_bool(checkpointing, "checkpointing")
    check_positive_int(batch, "batch")
    check_positive_int(length, "length")
    device = _check_device(device)
    config = dict(_config(config), gradient_checkpointing=checkpointing)
    model, mode = fake_encoder(config, device)
    with mode:
        music = torch.empty(batch, length, model.music_input_dim, device=device)
        return measure_memory(model, music, training=training, dtype=dtype, optimizer=optimizer)


def measure_memory(model: nn.Module, music_features: torch.Tensor, *, training: bool = False,
                   dtype: torch.dtype | None = None, optimizer: bool = True) -> MemoryPrediction:
    """The memory of one pass of ``model`` on ``music_features`` ``[B, T, D]``, run for real (or on fake
    tensors, as ``predict_memory`` does): the same pass and the same counts as ``predict_memory``.

    ``training=False``: eval, no grad. ``training=True``: train mode, a loss, backward and, with
    ``optimizer``, one AdamW step. ``dtype``: autocast to bfloat16 or float16. The model is left in
    the mode it came in; its gradients are set (training) and the optimizer's state is dropped.
    """
    from .transformer import SavedActivations

    _check_pass(training, dtype, optimizer)
    check_tensor(music_features, "music_features", ndim=3)
    device_type = music_features.device.type
    autocast = (torch.autocast(device_type, dtype=dtype) if dtype not in (None, torch.float32) else nullcontext())
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    was_training, kept = model.training, 0
    model.train(training)
    try:
        with PeakMemory() as memory:
            if not training:
                with torch.no_grad(), autocast:
                    model(music_features)
            else:
                with SavedActivations(model) as saved, autocast:
                    pose, face = model(music_features)
                    loss = pose.float().square().mean() + face.float().square().mean()
                kept = saved.bytes
                loss.backward()
                del pose, face, loss
                if optimizer:
                    torch.optim.AdamW(model.parameters(), lr=1e-4).step()
    finally:
        model.train(was_training)
    return MemoryPrediction(weights=weights, peak=memory.peak, kept_for_backward=kept, largest=memory.largest)


# -----------------------------------------------------------------------------
# time by stage, measured


def stage_times(model: nn.Module, music_features: torch.Tensor, repeats: int = 1) -> dict[str, float]:
    """Seconds of a forward pass (eval, no grad) spent in each top-level stage of ``model``.

    The stages are ``music_proj``, ``pos_encoding``, ``transformer``, ``pose_head``, ``face_head``,
    timed with forward hooks (on a GPU, synchronised at each boundary); the best of ``repeats``.
    """
    check_tensor(music_features, "music_features", ndim=3)
    check_positive_int(repeats, "repeats")
    names = ["music_proj", "pos_encoding", "transformer", "pose_head", "face_head"]
    sync = _synchronizer(music_features.device)
    best = {name: float("inf") for name in names}
    starts: dict[str, float] = {}
    handles = []
    for name in names:
        module = getattr(model, name)

        def before(_module, _inputs, name=name):
            sync()
            starts[name] = time.perf_counter()

        def after(_module, _inputs, _output, name=name):
            sync()
            best[name] = min(best[name], time.perf_counter() - starts[name])

        handles += [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            for _ in range(repeats):
                model(music_features)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return best


def gemm_rate(dtype: torch.dtype = torch.float32, n: int = 5400, k: int = 1024, m: int = 4096, repeats: int = 10,
              device: torch.device | str = "cpu") -> float:
    """FLOP/s of this machine's matrix multiply ``[n, k] @ [k, m]`` (the feed-forward's shapes by
    default), the best of ``repeats`` after one warm-up: the rate no pass of the encoder can beat."""
    for value, name in ((n, "n"), (k, "k"), (m, "m"), (repeats, "repeats")):
        check_positive_int(value, name)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    a = torch.randn(n, k, device=device).to(dtype)
    b = torch.randn(k, m, device=device).to(dtype)
    sync = _synchronizer(device)
    best = float("inf")
    for _ in range(repeats + 1):
        sync()
        start = time.perf_counter()
        torch.mm(a, b)
        sync()
        best = min(best, time.perf_counter() - start)
    return 2.0 * n * k * m / best


def memory_bandwidth(nbytes: int = 2**28, repeats: int = 5, device: torch.device | str = "cpu") -> float:
    """Bytes a second this machine's memory moves: the best of ``repeats`` copies of ``nbytes`` (each
    copy reads ``nbytes`` and writes ``nbytes``, so it moves twice that)."""
    check_positive_int(nbytes, "nbytes")
    check_positive_int(repeats, "repeats")
    source = torch.ones(max(nbytes // 4, 1), device=device)
    target = torch.empty_like(source)
    sync = _synchronizer(device)
    best = float("inf")
    for _ in range(repeats + 1):
        sync()
        start = time.perf_counter()
        target.copy_(source)
        sync()
        best = min(best, time.perf_counter() - start)
    return 2.0 * source.numel() * 4 / best


@contextmanager
def _quiet_stderr():
    """Send the process's stderr (file descriptor 2) to /dev/null: torch's profiler logs a line or two there
    from C++ when it starts and stops, different in every version, which Python cannot catch otherwise."""
    import os
    import sys

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):          # no real stderr (some embedded interpreters): nothing to quiet
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def top_operators(model: nn.Module, music_features: torch.Tensor, rows: int = 6) -> str:
    """``torch.profiler``'s table of the ``rows`` operators that took the most time (their own time, not
    counting the operators they call) in one forward pass (no grad) of ``model`` on ``music_features``."""
    from torch.profiler import ProfilerActivity, profile

    check_tensor(music_features, "music_features", ndim=3)
    check_positive_int(rows, "rows")
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if music_features.device.type == "cuda" else [])
    sort_by = "self_cuda_time_total" if music_features.device.type == "cuda" else "self_cpu_time_total"
    with _quiet_stderr(), torch.no_grad(), profile(activities=activities) as prof:
        model(music_features)
    return prof.key_averages().table(sort_by=sort_by, row_limit=rows, max_name_column_width=40)
