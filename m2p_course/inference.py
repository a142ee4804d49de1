"""A trained model dances a whole song: chunked inference with cross-faded seams.

The model was trained on windows of ``window`` frames (by default 120, 4 s at 30 fps: the training
crops, ``TrainConfig.window``), and
attention costs grow with T^2, so a long song is cut into windows of ``window`` frames that
overlap by ``overlap`` frames::

    frames   0 ........................................................ T
    window 0 [=========\\
    window 1        /==========\\
    window 2                /==========\\
    window 3                        /=======]   the last one may be shorter

Each window is danced on its own (its own positions 0..window-1, as in training); where two
windows overlap, the first fades out and the second fades in linearly, so there is no jump
at a seam. Frames covered by one window only are exactly that window's prediction.

``crossfade_plan`` gives the windows and their weights (tested on their own);
``predict_dance`` runs the model on them and blends.
"""

from __future__ import annotations

import numpy as np
import torch

from .checks import check_int, check_positive_int, check_temperature, check_tensor

__all__ = ["predict_dance", "crossfade_plan"]


def crossfade_plan(num_frames: int, window: int = 120, overlap: int = 30) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The windows of a song of ``num_frames`` frames and each window's weight per frame.

    Returns ``(spans, weights)``: spans ``[(start, stop), ...]`` (N windows, ``stop`` exclusive)
    and weights ``[N, num_frames]`` float64, window k's weight of frame t (0 outside the window).

    * num_frames <= window: one window ``(0, num_frames)``, weight 1.
    * otherwise windows start every ``window - overlap`` frames; each is ``window`` frames
      long except the last, which stops at ``num_frames`` (it is always longer than ``overlap``).
    * in the ``overlap`` frames shared by windows k and k+1, window k+1's weight rises
      linearly ``1/(overlap+1), 2/(overlap+1), ..., overlap/(overlap+1)`` and window k's falls
      by the same steps, so the weights of every frame sum to exactly 1 and both windows count
      at every shared frame.

    ``overlap`` must be at most ``window // 2``, so that each frame lies in at most two windows.
    """
    num_frames = check_positive_int(num_frames, "num_frames")
    window, overlap = _check_window(window, overlap)
    if num_frames <= window:
        return [(0, num_frames)], np.ones((1, num_frames))
    stride = window - overlap
    spans = []
    start = 0
    while True:
        stop = min(start + window, num_frames)
        spans.append((start, stop))
        if stop == num_frames:
            break
        start += stride
    weights = np.zeros((len(spans), num_frames))
    ramp = np.arange(1, overlap + 1) / (overlap + 1)                      # [overlap], rising
    for k, (start, stop) in enumerate(spans):
        weights[k, start:stop] = 1.0
        if k > 0:                                                          # fade in over the shared frames
            weights[k, start:start + overlap] = ramp
        if k < len(spans) - 1:                                             # fade out
            weights[k, stop - overlap:stop] = 1.0 - ramp
    return spans, weights


def _check_window(window, overlap) -> tuple[int, int]:
    window = check_positive_int(window, "window")
    overlap = check_int(overlap, "overlap", 0)
    if overlap >= window:
        raise ValueError(f"overlap must be smaller than window ({window} frames), got overlap={overlap}")
    if 2 * overlap > window:
        raise ValueError(f"overlap must be at most window // 2 = {window // 2} frames, so that each frame lies in "
                         f"at most two windows, got overlap={overlap} with window={window}")
    return window, overlap


def _as_features(music_features, dim: int) -> torch.Tensor:
    """Check one song's features [T, dim] (numpy or torch, floating, finite); return a CPU or device tensor."""
    expected = f"[T, {dim}] (one song's music features)"
    if isinstance(music_features, np.ndarray):
        if not np.issubdtype(music_features.dtype, np.floating):
            raise TypeError(f"music_features must be a floating-point array {expected}, "
                            f"got dtype {music_features.dtype}")
        x = torch.from_numpy(np.ascontiguousarray(music_features))
    elif isinstance(music_features, torch.Tensor):
        x = music_features.detach()
    else:
        raise TypeError(f"music_features must be a numpy array or torch tensor {expected}, "
                        f"got {type(music_features).__name__}")
    if x.dim() != 2:
        hint = "; for a batch, call predict_dance once per song" if x.dim() == 3 else ""
        raise ValueError(f"music_features must be 2-D {expected}, got {x.dim()}-D shape {tuple(x.shape)}{hint}")
    if x.shape[1] != dim:
        raise ValueError(f"music_features must be {expected}: the model's music_input_dim is {dim}, "
                         f"got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"music_features must have at least one frame, got shape {tuple(x.shape)}")
    return check_tensor(x, "music_features")


def _check_model(model):
    from .model import M2PEncoder

    if not isinstance(model, M2PEncoder):
        raise TypeError(f"model must be an M2PEncoder, got {type(model).__name__}")
    if model.heatmap_size is None:
        raise ValueError("model must be a spatial M2PEncoder (built with heatmap_size=(H, W)) to dance: the "
                         "guide's model (heatmap_size=None) gives one score per joint and no (x, y) coordinates")
    return model


def predict_dance(model, music_features, window: int = 120, overlap: int = 30, batch_size: int = 8,
                  temperature: float = 1.0) -> np.ndarray:
    """A spatial M2PEncoder dances one song: music features [T, D] -> poses [T, 134, 2] float32 numpy.

    model:          an ``M2PEncoder`` with ``heatmap_size`` set (else ValueError); D = model.music_input_dim.
    music_features: [T, D] numpy array or torch tensor, floating and finite (any device, any float dtype:
                    each batch of windows is moved to the model's device and dtype).
    window:         frames per window, the length the model was trained on (120 = 4 s at 30 fps).
    overlap:        frames shared by consecutive windows and cross-faded linearly (0 .. window // 2).
    batch_size:     windows per forward pass.
    temperature:    the soft-argmax temperature of ``get_pose_coordinates``.

    Returns (x, y) per keypoint in the course's normalised frame ([-1, 1], y down), as the
    dataset's "pose". T <= window is one forward pass over the whole song. Longer songs: the
    windows of ``crossfade_plan`` (the last one shorter, never padded), all full ones batched,
    under ``torch.inference_mode()``. The model runs in eval mode (no dropout) and every
    submodule's train/eval flag is restored afterwards, even when an error is raised.
    """
    model = _check_model(model)
    x = _as_features(music_features, model.music_input_dim)
    window, overlap = _check_window(window, overlap)
    batch_size = check_positive_int(batch_size, "batch_size")
    temperature = check_temperature(temperature)
    param = next(model.parameters())
    spans, weights = crossfade_plan(x.shape[0], window, overlap)

    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        out = np.zeros((x.shape[0], model.pose_channels, 2), dtype=np.float64)
        # windows of the same length run together: all the full ones, then the shorter last one
        by_length: dict[int, list[int]] = {}
        for k, (start, stop) in enumerate(spans):
            by_length.setdefault(stop - start, []).append(k)
        with torch.inference_mode():
            for group in by_length.values():
                for first in range(0, len(group), batch_size):
                    chunk = group[first:first + batch_size]
                    batch = torch.stack([x[spans[k][0]:spans[k][1]] for k in chunk])       # [b, L, D]
                    batch = batch.to(device=param.device, dtype=param.dtype)
                    pose_logits, _ = model(batch)                                          # [b, L, 134, H, W]
                    coords = model.get_pose_coordinates(pose_logits, temperature)          # [b, L, 134, 2]
                    coords = coords.float().cpu().numpy().astype(np.float64)
                    for k, c in zip(chunk, coords, strict=True):
                        start, stop = spans[k]
                        out[start:stop] += weights[k, start:stop, None, None] * c
    finally:
        for module, training in modes:
            module.training = training
    return out.astype(np.float32)
