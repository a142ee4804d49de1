"""The whole M2P encoder: music features in, pose logits and a face embedding out.

::

    music features [B, T, 4800]
      -> music_proj      MusicProjection 4800 -> 2048 -> 1024          [B, T, 1024]
      -> pos_encoding    + sinusoidal table [T, 1024]                  [B, T, 1024]
      -> transformer     6 x TransformerEncoderLayer(1024, 8 heads)    [B, T, 1024]
      -> pose_head       1024 -> 512 -> 256 -> 134                     [B, T, 134]
      -> face_head       mean over T, 1024 -> 512 -> 512, L2-normalised [B, 512]
"""

from __future__ import annotations

import torch
from torch import nn

from .checks import (
    check_bool,
    check_music_features,
    check_padding_mask,
    check_positive_int,
    check_real,
    check_temperature,
    check_tensor,
)
from .heads import FaceHead, PoseHead
from .positional import SinusoidalPositionalEncoding
from .projection import MusicProjection
from .soft_argmax import soft_argmax2d, spatial_softmax2d
from .storage import load_module, save_module
from .transformer import build_transformer_encoder

__all__ = ["M2PEncoder"]


class M2PEncoder(nn.Module):
    """The guide's Music-to-Pose encoder, layer for layer.

    ``forward(music_features [B, T, music_input_dim], padding_mask [B, T] bool or None)
    -> (pose_logits, face_embed)`` with pose_logits ``[B, T, pose_channels]`` (or
    ``[B, T, pose_channels, H, W]`` when ``heatmap_size=(H, W)``) and face_embed
    ``[B, face_embed_dim]`` of unit length. ``padding_mask`` True marks padded frames: attention
    and the face head's time-mean ignore them; the pose logits at padded frames are meaningless.

    Sizes follow ``hidden_dim`` as the guide's numbers do: projection middle 2 x hidden,
    pose head hidden/2 and hidden/4, face head hidden/2, feed-forward 4 x hidden (4096 for
    the guide's 1024) unless ``dim_feedforward`` is given. So ``M2PEncoder(hidden_dim=64,
    num_layers=2)`` is a small model for fast demos.

    Performance: the transformer's attention runs through ``scaled_dot_product_attention``
    (fused kernels, no ``[B, heads, T, T]`` matrix kept; see ``m2p_course.transformer``), with
    torch's own modules and parameter names. ``gradient_checkpointing=True`` recomputes each
    transformer layer in the backward pass instead of keeping its activations (training only).
    The value checks at the door (NaN/Inf, an all-padded row) need a device sync, so they are
    skipped inside ``torch.compile``'d graphs; the shape, dtype and device checks always run.
    """

    def __init__(self, music_input_dim: int = 4800, hidden_dim: int = 1024, pose_channels: int = 134,
                 face_embed_dim: int = 512, num_heads: int = 8, num_layers: int = 6,
                 dim_feedforward: int | None = None, dropout: float = 0.1,
                 heatmap_size: tuple[int, int] | None = None, gradient_checkpointing: bool = False):
        super().__init__()
        if dim_feedforward is None:
            dim_feedforward = 4 * hidden_dim
        check_real(dropout, "dropout", 0, 1, high_open=True)
        self.music_input_dim = check_positive_int(music_input_dim, "music_input_dim")
        self.hidden_dim = check_positive_int(hidden_dim, "hidden_dim")
        self.pose_channels = check_positive_int(pose_channels, "pose_channels")
        self.face_embed_dim = check_positive_int(face_embed_dim, "face_embed_dim")

        self.music_proj = MusicProjection(music_input_dim, hidden_dim, dropout)
        self.pos_encoding = SinusoidalPositionalEncoding(hidden_dim)
        self.transformer = build_transformer_encoder(hidden_dim, num_heads, dim_feedforward, dropout, num_layers,
                                                     gradient_checkpointing=gradient_checkpointing)
        self.pose_head = PoseHead(hidden_dim, pose_channels, dropout, heatmap_size)
        self.face_head = FaceHead(hidden_dim, face_embed_dim, dropout)
        self.heatmap_size = self.pose_head.heatmap_size
        self.config = dict(music_input_dim=music_input_dim, hidden_dim=hidden_dim, pose_channels=pose_channels,
                           face_embed_dim=face_embed_dim, num_heads=num_heads, num_layers=num_layers,
                           dim_feedforward=dim_feedforward, dropout=dropout, heatmap_size=self.heatmap_size,
                           gradient_checkpointing=gradient_checkpointing)

    @property
    def gradient_checkpointing(self) -> bool:
        """Recompute each transformer layer in the backward pass (training with grad only)."""
        return self.transformer.gradient_checkpointing

    @gradient_checkpointing.setter
    def gradient_checkpointing(self, value: bool) -> None:
        self.transformer.gradient_checkpointing = check_bool(value, "gradient_checkpointing")
        self.config["gradient_checkpointing"] = value

    def save_pretrained(self, directory, dtype: torch.dtype | None = None):
        """Write config.json + model.safetensors to ``directory`` (no pickle); see ``m2p_course.storage``.

        ``dtype=torch.float16`` or ``torch.bfloat16`` stores the weights at half the size. Returns the
        directory as a Path.
        """
        return save_module(self, directory, dtype=dtype)

    @classmethod
    def from_pretrained(cls, directory, device: torch.device | str | None = None,
                        dtype: torch.dtype = torch.float32) -> M2PEncoder:
        """The model ``save_pretrained`` wrote to ``directory``, rebuilt from its config, in eval mode.

        The config's shapes are checked against model.safetensors' header first (the model built on
        the meta device), so a config that does not fit the weights is a ValueError naming the
        tensor, before any memory is allocated.
        """
        return load_module(cls, directory, device=device, dtype=dtype)

    def forward(self, music_features: torch.Tensor, padding_mask: torch.Tensor | None = None):
        x = check_music_features(music_features, self.music_input_dim)
        self._check_device_and_dtype(x)
        batch, length, _ = x.shape
        if padding_mask is not None:
            padding_mask = check_padding_mask(padding_mask, batch, length)
            if padding_mask.device != x.device:
                raise ValueError(f"padding_mask is on {padding_mask.device} but music_features on {x.device}")

        h = self.music_proj(x)                                            # [B, T, hidden]
        h = self.pos_encoding(h)                                          # [B, T, hidden]
        h = self.transformer(h, src_key_padding_mask=padding_mask)        # [B, T, hidden]
        pose_logits = self.pose_head(h)                                   # [B, T, 134] (or [..., H, W])
        face_embed = self.face_head(h, padding_mask)                      # [B, 512]
        return pose_logits, face_embed

    def get_pose_heatmap(self, pose_logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Probabilities from pose logits.

        * guide's model (``heatmap_size=None``): ``softmax(logits / temperature)`` over the
          134 channels, ``[B, T, 134]``: a distribution over *which joint*, summing to 1 per frame.
        * spatial model: a softmax over the H x W cells of each joint, ``[B, T, 134, H, W]``.
        """
        temperature = check_temperature(temperature)
        self._check_pose_logits(pose_logits)
        if self.heatmap_size is None:
            return torch.softmax(pose_logits / temperature, dim=-1)
        return spatial_softmax2d(pose_logits, temperature)

    def get_pose_coordinates(self, pose_logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """``[B, T, 134, H, W] -> [B, T, 134, 2]`` (x, y in [-1, 1]) by soft-argmax.

        Only a model with a spatial pose head has coordinates to give: built with
        ``heatmap_size=None`` (the guide's model) this raises ``ValueError``.
        """
        temperature = check_temperature(temperature)
        if self.heatmap_size is None:
            raise ValueError(
                f"This model's pose logits are [B, T, {self.pose_channels}]: one score per joint and no spatial "
                "axis, so there is no (x, y) to take a soft-argmax over (a softmax over the channels says "
                "'which joint', not 'where'). Build the encoder with heatmap_size=(H, W), e.g. "
                f"M2PEncoder(heatmap_size=(16, 16)), to get per-joint heatmap logits "
                f"[B, T, {self.pose_channels}, H, W] and coordinates [B, T, {self.pose_channels}, 2]."
            )
        self._check_pose_logits(pose_logits)
        return soft_argmax2d(pose_logits, temperature)

    def _check_pose_logits(self, pose_logits) -> None:
        tail = (self.pose_channels,) if self.heatmap_size is None else (self.pose_channels, *self.heatmap_size)
        check_tensor(pose_logits, "pose_logits", min_ndim=len(tail) + 1)
        if tuple(pose_logits.shape[-len(tail):]) != tail:
            expected = "[B, T, " + ", ".join(map(str, tail)) + "]"
            raise ValueError(f"pose_logits must end in {tail} ({expected}), got shape {tuple(pose_logits.shape)}")

    def _check_device_and_dtype(self, x: torch.Tensor) -> None:
        param = next(self.parameters())
        if x.device != param.device:
            raise ValueError(f"music_features are on {x.device} but the model is on {param.device}; "
                             f"move one of them, e.g. music_features.to({str(param.device)!r})")
        if x.dtype != param.dtype and not torch.is_autocast_enabled(x.device.type):
            raise TypeError(f"music_features have dtype {x.dtype} but the model's weights are {param.dtype}; "
                            f"convert with music_features.to({param.dtype})")
