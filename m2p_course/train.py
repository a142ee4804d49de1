"""Training: a spatial-head M2P encoder learns the synthetic dances from their music.

The loop (``train``) fits on one screen; everything it calls is a small function here:

* ``TrainConfig``        every choice, with the defaults the shipped model was trained with
* ``load_data``          held-in and held-out ``SyntheticDanceDataset`` s (different songs)
* ``build_model``        ``M2PEncoder(heatmap_size=...)`` and the ``ArcFaceLoss`` for the dancers
* ``random_crops``       a batch of random windows, the same on every process for a seed
* ``dance_loss``         L1 on the soft-argmax coordinates + L1 on their velocity + ArcFace
* ``evaluate``           keypoint error vs the mean pose, BAS vs the ground truth's, dancer
                         identification by the nearest class centroid of the face embeddings

One process or many: under ``torchrun --nproc_per_node=N`` the same code wraps the model in
``DistributedDataParallel`` (gloo on CPU, nccl on GPU); each process takes batch_size / N of
every global batch, so the averaged gradient is the one-process gradient of the same batch.
Only rank 0 evaluates and writes.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .arcface import ArcFaceLoss
from .checks import check_bool, check_int, check_real
from .i18n import _
from .model import M2PEncoder
from .soft_argmax import coordinate_grid
from .storage import file_sha256

__all__ = ["TrainConfig", "load_data", "build_model", "random_crops", "dance_loss", "evaluate", "train",
           "TrainResult"]

PRECISIONS = ("fp32", "bf16", "fp16")


@dataclass(frozen=True)
class TrainConfig:
    """Every training choice. The defaults are the course's base recipe, on synthetic songs only; the shipped
    model's (``m2p_course.pretrained``) is the ``training.json`` beside its weights: these defaults with more
    songs, the real recordings, a lower lr, ``speed_weight`` and ``beat_only`` (``m2p-course train --like-shipped``)."""

    # model: a small spatial-head encoder (the guide's architecture at hidden 128, 2 layers)
    hidden_dim: int = 128
    num_layers: int = 2
    num_heads: int = 4
    face_embed_dim: int = 64
    heatmap: int = 4                 # H = W of each joint's heatmap (soft-argmax is exact between the cells)
    dropout: float = 0.0             # measured: 0.1 left a 6-minute run at 0.91 of the mean pose's error, 0 at 0.77
    # data: training songs and held-out songs (other seeds: songs never heard in training)
    train_clips: int = 160
    val_clips: int = 16
    seconds: float = 12.0            # length of each synthetic song
    window: int = 120                # frames per training crop (4 s at 30 fps); inference uses the same
    data_seed: int = 0
    val_seed: int = 1_000_000
    real_music: bool = False         # add the training recordings' pairs (m2p_course.real_music): they must be
                                     # fetched first (tools/fetch_recordings.py); the shipped model was trained so
    # optimisation
    batch_size: int = 16             # the global batch: split over the processes
    lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100
    grad_clip: float = 1.0
    velocity_weight: float = 2.0     # L1 on frame-to-frame motion: keeps the hits on the beats sharp
    speed_weight: float = 0.0        # L1 on each joint's speed |d pose/dt|, whatever its direction: a model unsure
                                     # of the move still slows down on the beat and moves between beats
    heatmap_weight: float = 0.1      # KL to a Gaussian heatmap at the true position
    heatmap_sigma: float = 1.0       # its width, in cells
    start_at_mean_pose: bool = True  # the pose head's bias starts at the training set's mean pose
    arcface_weight: float = 0.1
    arcface_scale: float = 16.0
    arcface_margin: float = 0.3
    precision: str = "fp32"          # "bf16": autocast (CPU or GPU); "fp16": autocast + GradScaler (GPU)
    seed: int = 0
    eval_every: int = 500            # steps between validations (an "epoch": 8000 crops, 50 of each song)
    feature_dropout: float = 0.0     # per crop, each of the timbre / harmony / onset groups is zeroed with this
                                     # chance (``drop_feature_groups``): the beat and the tempo must carry the dance
    beat_only: float = 0.0           # per crop, the chance that every one of those groups is zeroed at once: the
                                     # model must dance from the beat alone, which any music has

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int":
                check_int(value, f.name, 0 if f.name.endswith(("seed", "steps")) else 1)
            elif f.type == "float":
                check_real(value, f.name, 0)
            elif f.type == "bool":
                check_bool(value, f.name)
        check_real(self.dropout, "dropout", 0, 1, high_open=True)
        check_real(self.feature_dropout, "feature_dropout", 0, 1, high_open=True)
        check_real(self.beat_only, "beat_only", 0, 1)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.window > int(self.seconds * 30):
            raise ValueError(f"window ({self.window} frames) must fit in a song of {self.seconds:g} s at 30 fps")

    def model_kwargs(self, music_input_dim: int, num_dancers: int) -> dict:
        return dict(music_input_dim=music_input_dim, hidden_dim=self.hidden_dim, num_layers=self.num_layers,
                    num_heads=self.num_heads, face_embed_dim=self.face_embed_dim, dropout=self.dropout,
                    heatmap_size=(self.heatmap, self.heatmap))


# -----------------------------------------------------------------------------
# data


class MixedDanceDataset:
    """Synthetic clips, then the real recordings' clips, as one dataset (items of the same shape)."""

    def __init__(self, synthetic, recorded):
        self.parts = (synthetic, recorded)
        self.num_dancers = synthetic.num_dancers
        self.num_recorded = len(recorded)

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)

    def __getitem__(self, i: int) -> dict:
        first = len(self.parts[0])
        return self.parts[0][i] if i < first else self.parts[1][i - first]


def load_data(config: TrainConfig, cache_dir=None, recordings_dir=None):
    """(train, val): SyntheticDanceDatasets of different seeds, so the validation songs are unheard.

    With ``config.real_music`` the training set also holds the clips of every training recording
    (``RecordingDanceDataset``, role "train" of m2p_course.recordings, from ``recordings_dir``); the
    validation set stays synthetic. The evaluation recordings are never among them.
    """
    from .synthetic.dataset import SyntheticDanceDataset

    kwargs = dict(seconds=config.seconds, cache_dir=cache_dir)
    train_set = SyntheticDanceDataset(config.train_clips, seed=config.data_seed, **kwargs)
    val_set = SyntheticDanceDataset(config.val_clips, seed=config.val_seed, **kwargs)
    if config.real_music:
        from .real_music import RecordingDanceDataset
        from .recordings import available_recordings, default_recordings_dir, recordings

        found = available_recordings("train", recordings_dir)
        if len(found) < len(recordings("train")):
            where = recordings_dir or default_recordings_dir()
            raise FileNotFoundError(f"real_music needs the {len(recordings('train'))} training recordings in {where}, "
                                    f"found {len(found)}: run `python tools/fetch_recordings.py` first")
        recorded = RecordingDanceDataset(found, recordings_dir, seconds=config.seconds, cache_dir=cache_dir)
        train_set = MixedDanceDataset(train_set, recorded)
    return train_set, val_set


def stacked(dataset) -> dict:
    """Every clip of a dataset as tensors: music [N, T, D], pose [N, T, 134, 2], dancer [N]."""
    items = [dataset[i] for i in range(len(dataset))]
    return {"music": torch.stack([it["music"] for it in items]),
            "pose": torch.stack([it["pose"] for it in items]),
            "dancer": torch.stack([it["dancer"] for it in items]),
            "beat_frames": [it["beat_frames"].numpy() for it in items]}


KEPT_GROUPS = ("beat", "local_tempo")   # never dropped: what a dance must follow on any music


def drop_feature_groups(music: torch.Tensor, p: float, generator: torch.Generator, recipe=None,
                        beat_only: float = 0.0) -> torch.Tensor:
    """music [B, T, context * frame_dim] (the recipe's offset-major columns) -> a copy in which, for each
    crop, every group but the beat and the tempo is zeroed (its mean, as the groups are z-scored) with
    probability p, across the whole context window; and, with probability ``beat_only``, all of them at
    once (the crop keeps only its beats and its tempo).

    Real recordings sound nothing like the synthesiser; the beat tracker's output and the tempo do not
    care. Without their timbre, harmony and onsets now and then, the model must learn to dance from
    what every recording has.
    """
    from .features import DEFAULT_RECIPE

    recipe = DEFAULT_RECIPE if recipe is None else recipe
    check_real(p, "p", 0, 1)
    check_real(beat_only, "beat_only", 0, 1)
    if p == 0 and beat_only == 0:
        return music
    b, t, dim = music.shape
    if dim != recipe.dim:
        raise ValueError(f"music must have the recipe's {recipe.dim} columns, got shape {tuple(music.shape)}")
    keep = torch.ones(b, recipe.frame_dim, dtype=music.dtype)
    alone = torch.rand(b, generator=generator) < beat_only if beat_only > 0 else torch.zeros(b, dtype=torch.bool)
    for group in recipe.groups:
        if group.name in KEPT_GROUPS:
            continue
        cols = recipe.group_columns(group.name)
        dropped = (torch.rand(b, generator=generator) < p) if p > 0 else torch.zeros(b, dtype=torch.bool)
        keep[dropped | alone, cols] = 0.0
    return (music.view(b, t, recipe.context, recipe.frame_dim) * keep[:, None, None, :]).view(b, t, dim)


def random_crops(data: dict, batch_size: int, window: int, generator: torch.Generator) -> dict:
    """A batch of ``batch_size`` random windows: music [B, window, D], pose [B, window, 134, 2], dancer [B]."""
    clips, length = data["music"].shape[:2]
    which = torch.randint(clips, (batch_size,), generator=generator)
    start = torch.randint(length - window + 1, (batch_size,), generator=generator)
    frames = start[:, None] + torch.arange(window)                        # [B, window]
    return {"music": data["music"][which[:, None], frames],
            "pose": data["pose"][which[:, None], frames],
            "dancer": data["dancer"][which]}


# -----------------------------------------------------------------------------
# model and loss


def build_model(config: TrainConfig, music_input_dim: int = 4800, num_dancers: int = 4):
    """(M2PEncoder with a spatial head, ArcFaceLoss over the dancers), seeded by config.seed."""
    torch.manual_seed(config.seed)
    model = M2PEncoder(**config.model_kwargs(music_input_dim, num_dancers))
    arcface = ArcFaceLoss(num_dancers, config.face_embed_dim, scale=config.arcface_scale,
                          margin=config.arcface_margin)
    return model, arcface


def heatmap_target(pose: torch.Tensor, height: int, width: int, sigma: float) -> torch.Tensor:
    """pose [..., 2] in [-1, 1] -> [..., H, W]: a Gaussian of `sigma` cells around each joint, summing to 1."""
    xs, ys = coordinate_grid(height, width, device=pose.device, dtype=pose.dtype)
    cell = 2.0 / max(width - 1, 1)
    dx2 = (pose[..., 0:1] - xs).pow(2)                                   # [..., W]
    dy2 = (pose[..., 1:2] - ys).pow(2)                                   # [..., H]
    logits = -(dy2[..., :, None] + dx2[..., None, :]) / (2 * (sigma * cell) ** 2)
    return torch.softmax(logits.flatten(-2), dim=-1).view(logits.shape)


def start_at_mean_pose(model: M2PEncoder, mean_pose: torch.Tensor, sigma: float) -> None:
    """Set the pose head's last bias so that the untrained model already answers the mean pose.

    The bias becomes the log of a Gaussian heatmap around each joint of ``mean_pose`` [134, 2] and the
    last layer's weights shrink 10x: training starts from the mean pose instead of spending its
    first hundred steps finding it, and every gradient goes into how the dance moves.
    """
    last = model.pose_head[-1]
    target = heatmap_target(mean_pose.to(last.bias), *model.heatmap_size, sigma)     # [134, H, W]
    with torch.no_grad():
        last.bias.copy_(target.clamp_min(1e-4).log().flatten())
        last.weight.mul_(0.1)


def dance_loss(logits, coords, face_embed, pose, dancer, arcface, config: TrainConfig) -> tuple[torch.Tensor, dict]:
    """logits [B, T, 134, H, W]; coords, pose [B, T, 134, 2]; face_embed [B, E]; dancer [B] -> (loss, parts).

    position: mean |coords - pose| (L1 in the [-1, 1] frame) of the soft-argmax coordinates
    velocity: mean |d coords/dt - d pose/dt| (frame differences): without it a model that is
              unsure where the next beat falls smears the motion and the hits disappear
    speed:    with speed_weight > 0, mean ||d coords/dt|| - ||d pose/dt||| per joint: the speed
              alone, whatever the direction. Unsure of the move (real music's chords are hard to
              hear), L1 on positions and velocities is least by standing still; the speed still
              asks for a body that slows down on the beat and moves between beats
    heatmap:  KL(target || softmax(logits)) per joint, the target a Gaussian of heatmap_sigma cells
              at the true position: every cell gets a gradient, not only the expected value
    arcface:  ArcFaceLoss(face_embed, dancer): who is dancing, from the music alone
    """
    position = (coords - pose).abs().mean()
    moved, moves = coords.diff(dim=1), pose.diff(dim=1)
    velocity = (moved - moves).abs().mean()
    loss = position + config.velocity_weight * velocity
    parts = {"position": position.item(), "velocity": velocity.item()}
    if config.speed_weight > 0:
        speed = (_speed(moved) - _speed(moves)).abs().mean()
        loss = loss + config.speed_weight * speed
        parts["speed"] = speed.item()
    if config.heatmap_weight > 0:
        target = heatmap_target(pose, *logits.shape[-2:], config.heatmap_sigma).flatten(-2)
        log_prob = torch.log_softmax(logits.float().flatten(-2), dim=-1)
        heatmap = (target * (target.clamp_min(1e-12).log() - log_prob)).sum(-1).mean()
        loss = loss + config.heatmap_weight * heatmap
        parts["heatmap"] = heatmap.item()
    identity = arcface(face_embed.float(), dancer)
    loss = loss + config.arcface_weight * identity
    parts["arcface"] = identity.item()
    return loss, parts


def _speed(moves: torch.Tensor) -> torch.Tensor:
    """[B, T - 1, 134, 2] frame differences -> [B, T - 1, 134] their lengths (smooth at 0, for the gradient)."""
    return (moves.float().pow(2).sum(-1) + 1e-8).sqrt()


def forward_coords(model, music, padding_mask=None):
    """music [B, T, D] -> (logits [B, T, 134, H, W], coords [B, T, 134, 2] by soft-argmax, face_embed [B, E])."""
    logits, face_embed = model(music, padding_mask)
    inner = model.module if hasattr(model, "module") else model
    return logits, inner.get_pose_coordinates(logits.float()), face_embed


# -----------------------------------------------------------------------------
# validation


@torch.no_grad()
def evaluate(model, train_data: dict, val_data: dict, window: int, mean_pose: torch.Tensor) -> dict:
    """Held-out figures of a model (eval mode inside, restored after).

    keypoint_error:    mean distance of each predicted joint to the truth ([-1, 1] frame)
    mean_pose_error:   the same for always answering the training set's mean pose
    bas, bas_truth:    mean Beat Alignment Score of the predicted and of the true dances
    dancer_accuracy:   each held-out clip's face embedding given the dancer of the nearest class
                       centroid of the training clips' embeddings (cosine)
    """
    from .inference import predict_dance
    from .synthetic.metrics import beat_alignment_score

    was_training = model.training
    model.eval()
    try:
        preds = np.stack([predict_dance(model, music, window=window, overlap=window // 4)
                          for music in val_data["music"]])
        truth = val_data["pose"].numpy()
        error = float(np.linalg.norm(preds - truth, axis=-1).mean())
        mean_error = float(np.linalg.norm(mean_pose.numpy() - truth, axis=-1).mean())
        bas = [beat_alignment_score(p, b) for p, b in zip(preds, val_data["beat_frames"], strict=True)]
        bas_truth = [beat_alignment_score(p, b) for p, b in zip(truth, val_data["beat_frames"], strict=True)]

        device = next(model.parameters()).device

        def embed(music):
            return torch.cat([model(music[i:i + 8, :window].to(device))[1].float().cpu()
                              for i in range(0, len(music), 8)])

        train_embed, val_embed = embed(train_data["music"]), embed(val_data["music"])
        classes = train_data["dancer"].unique()
        centroids = F.normalize(torch.stack([train_embed[train_data["dancer"] == c].mean(0) for c in classes]), dim=1)
        guess = classes[(val_embed @ centroids.T).argmax(dim=1)]
        accuracy = float((guess == val_data["dancer"]).float().mean())
    finally:
        model.train(was_training)
    return {"keypoint_error": error, "mean_pose_error": mean_error, "error_ratio": error / mean_error,
            "bas": float(np.mean(bas)), "bas_truth": float(np.mean(bas_truth)),
            "bas_ratio": float(np.mean(bas) / np.mean(bas_truth)), "dancer_accuracy": accuracy}


# -----------------------------------------------------------------------------
# processes


def _distributed() -> tuple[int, int]:
    """(rank, world_size); starts the process group when launched by torchrun."""
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), dist.get_world_size()) if world > 1 else (0, 1)


def _device(rank: int) -> torch.device:
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", rank))
        torch.cuda.set_device(local % torch.cuda.device_count())
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _broadcast_int(value: int, world: int, device) -> int:
    if world == 1:
        return value
    import torch.distributed as dist

    t = torch.tensor([value], device=device)
    dist.broadcast(t, 0)
    return int(t.item())


@dataclass
class TrainResult:
    """What ``train`` returns: the model (eval mode), the final metrics, the per-step history, the rank."""

    model: M2PEncoder
    metrics: dict
    history: dict
    rank: int = 0


def _lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warm-up over `warmup` steps, then a cosine down to 5% of the rate at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))


def train_step(model, arcface, batch: dict, optimizer, scheduler, scaler, config: TrainConfig) -> tuple[float, dict]:
    """One optimisation step on one batch (this process's share of it): returns (loss, its parts)."""
    autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.precision)
    device_type = batch["music"].device.type
    with torch.autocast(device_type, dtype=autocast_dtype or torch.float32, enabled=autocast_dtype is not None):
        logits, coords, face_embed = forward_coords(model, batch["music"])       # [b, T, 134, 2], [b, E]
        loss, parts = dance_loss(logits, coords, face_embed, batch["pose"], batch["dancer"], arcface, config)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return loss.item(), parts


def train(config: TrainConfig = TrainConfig(), *, steps: int | None = None, minutes: float | None = None,
          out=None, progress: bool = True, cache_dir=None, data=None, resume=None) -> TrainResult:
    """Train a model; with ``out``, rank 0 writes the model (config.json, model.safetensors), the state to
    resume from, training.json, metrics.json and loss.png, at every evaluation (a checkpoint) and at the end.

    steps / minutes: exactly one; with minutes the number of steps is set from the speed of the first 10,
                     and set again after 200 (before the cosine has gone far), when the start-up no longer counts.
    out:             checked before anything else: created, and a file written there and removed
    data:            optional (train, val) datasets, to reuse ones already built
    resume:          a folder written by an earlier ``train(out=...)`` (finished, or interrupted after a
                     checkpoint): continue it up to ``steps``, or without steps (and minutes) to the
                     number of steps that run had planned; it follows the same steps as one run would
    """
    if resume is None and (steps is None) == (minutes is None):
        raise ValueError(f"give exactly one of steps or minutes, got steps={steps!r}, minutes={minutes!r}")
    if resume is not None and minutes is not None:
        raise ValueError("resume continues a run up to a number of steps: give steps, not minutes (or neither, "
                         "to finish the steps the run had planned)")
    if out is not None and _rank_from_environment() == 0:
        check_writable(out)                           # an unwritable folder fails now, not after training
    if resume is not None:
        check_run_folder(resume)
    run = _Run(config, cache_dir, data, resume)
    if resume is not None and steps is None and minutes is None:
        steps = run.planned_total(resume)
    bar = _progress(steps, progress and run.rank == 0, initial=run.step)
    run.plan_steps(steps)
    while run.step < run.total:
        batch = run.next_batch()                      # this process's share of the global batch
        loss, parts = train_step(run.wrapped, run.arcface, batch, run.optimizer, run.scheduler, run.scaler, config)
        run.record(loss, parts)
        if steps is None and run.step in (10, 200):  # minutes: the number of steps from the speed so far (the
            run.plan_minutes(minutes)                 # first 10 include the start-up; by 200 the warm-up is done)
            bar.total = run.total                     # before this step's checkpoint, which keeps it
        bar.update(1)
        bar.set_postfix(loss=f"{run.history['loss'][-1]:.4f}")
        if run.rank == 0 and (run.step % config.eval_every == 0 or run.step == run.total):
            figures = evaluate(run.model, run.synthetic_train, run.val_data, config.window, run.mean_pose)
            run.history["val"].append({"step": run.step, **figures})
            bar.write(f"step {run.step}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))
            if out is not None and run.step < run.total:
                run.save(out, run.metrics())         # a checkpoint: an interrupted run resumes from here
    bar.close()
    metrics = run.metrics()
    if out is not None and run.rank == 0:
        run.save(out, metrics)
    run.model.eval()
    return TrainResult(run.model, metrics, run.history, run.rank)


class _Run:
    """Everything one training run holds (model, optimizer, data, random streams, history), built
    fresh or resumed from a folder, so that ``train`` itself stays one screen."""

    def __init__(self, config: TrainConfig, cache_dir, data, resume):
        from .env import seed_everything

        self.config = config
        self.rank, self.world = _distributed()
        self.device = _device(self.rank)
        if config.batch_size % self.world:
            raise ValueError(f"batch_size {config.batch_size} must divide over the {self.world} processes")
        seed_everything(config.seed + self.rank)      # dropout differs per process, the batches do not
        train_set, val_set = data if data is not None else load_data(config, cache_dir)
        self.train_data, self.val_data = stacked(train_set), stacked(val_set)
        # the dancers' centroids for evaluation come from the synthetic clips alone (a recording's dancer is
        # its tempo band's; the held-out songs are synthetic)
        synthetic = len(train_set) - getattr(train_set, "num_recorded", 0)
        self.synthetic_train = {k: v[:synthetic] for k, v in self.train_data.items()}
        self.mean_pose = self.train_data["pose"].mean(dim=(0, 1))
        self.model, arcface = build_model(config, self.train_data["music"].shape[-1], train_set.num_dancers)
        if config.start_at_mean_pose:
            start_at_mean_pose(self.model, self.mean_pose, config.heatmap_sigma)
        self.model, arcface = self.model.to(self.device), arcface.to(self.device)
        self.params = list(self.model.parameters()) + list(arcface.parameters())
        self.optimizer = torch.optim.AdamW(self.params, lr=config.lr, weight_decay=config.weight_decay)
        self.total, self.planned = 10**9, False      # the number of steps: known from steps, or after 10 steps
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: _lr_factor(s, config.warmup_steps, self.total))
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=config.precision == "fp16")
        self.crops = torch.Generator().manual_seed(config.seed)   # the same batches on every process
        self.history = {"step": [], "loss": [], "position": [], "velocity": [], "speed": [], "heatmap": [],
                        "arcface": [], "val": []}
        self.step, self.start, self.saved_total = 0, time.perf_counter(), None
        if resume is not None:
            self._resume(Path(resume), arcface)
        self.wrapped, self.arcface = self.model, arcface
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.wrapped, self.arcface = DistributedDataParallel(self.model), DistributedDataParallel(arcface)

    def plan_steps(self, steps):
        if steps is not None:
            self.total, self.planned = steps, True

    def plan_minutes(self, minutes: float) -> None:
        per_step = (time.perf_counter() - self.start) / self.step
        self.total = _broadcast_int(max(self.step + 1, int(minutes * 60 / per_step)), self.world, self.device)
        self.planned = True

    def planned_total(self, folder) -> int:
        """The number of steps the resumed run had planned (its --steps, or what its --minutes came to)."""
        if self.saved_total is None:
            raise ValueError(f"cannot resume {folder} without steps: it was saved at step {self.step}, before a "
                             "--minutes run sets its number of steps (after 10 steps); give the steps to train to")
        return self.saved_total

    def next_batch(self) -> dict:
        batch = random_crops(self.train_data, self.config.batch_size, self.config.window, self.crops)
        if self.config.feature_dropout > 0 or self.config.beat_only > 0:
            batch["music"] = drop_feature_groups(batch["music"], self.config.feature_dropout, self.crops,
                                                 beat_only=self.config.beat_only)
        share = self.config.batch_size // self.world
        mine = slice(self.rank * share, (self.rank + 1) * share)
        return {k: v[mine].to(self.device) for k, v in batch.items()}

    def record(self, loss: float, parts: dict) -> None:
        self.step += 1
        self.history["step"].append(self.step)
        self.history["loss"].append(_mean_over_processes(loss, self.world, self.device))
        for k, v in parts.items():
            self.history[k].append(v)

    def metrics(self) -> dict:
        c = self.config
        last = dict(self.history["val"][-1]) if self.history["val"] else {}
        last.pop("step", None)
        return {"steps": self.step, "final_loss": float(np.mean(self.history["loss"][-10:])),
                "seconds": time.perf_counter() - self.start, "world_size": self.world, "batch_size": c.batch_size,
                "precision": c.precision, "device": str(self.device), **last}

    def save(self, out, metrics: dict) -> None:
        """The run so far, as a folder ``resume`` continues from. The training state goes last, with a
        fingerprint of each file it belongs with: a save cut short cannot pass for a whole checkpoint."""
        from .checkpoint import save_training_state
        from .storage import write_tensors

        write_run(out, self.model, self.config, metrics, self.history)
        arcface = self.arcface.module if hasattr(self.arcface, "module") else self.arcface
        write_tensors(Path(out) / "arcface.safetensors", arcface.state_dict())
        extra = {"crops": self.crops.get_state().tolist(), "torch_rng": torch.get_rng_state().tolist(),
                 "seconds": metrics["seconds"], "total": self.total if self.planned else None,
                 "files": {name: file_sha256(Path(out) / name) for name in _FINGERPRINTED}}
        save_training_state(out, self.optimizer, self.scheduler, step=self.step, extra=extra)

    def _resume(self, folder: Path, arcface) -> None:
        from safetensors.torch import load_file

        from .checkpoint import load_pretrained, load_training_state

        saved, mine = json.loads(_read(folder / "training.json")), asdict(self.config)
        saved = {**{k: v for k, v in asdict(TrainConfig()).items() if k not in saved}, **saved}  # fields newer
        # than the run (speed_weight, beat_only) had their defaults then
        if saved != mine:
            changed = sorted(k for k in set(saved) | set(mine) if saved.get(k) != mine.get(k))
            raise ValueError(f"cannot resume {folder}: its training.json differs from this run's config in {changed}")
        state = load_training_state(folder, self.optimizer, self.scheduler)
        for name, digest in state["extra"].get("files", {}).items():
            if file_sha256(folder / name) != digest:
                raise ValueError(f"cannot resume {folder}: its {name} is not the one saved with its training state "
                                 f"(step {state['step']}); a save was cut short or the file was changed since")
        self.model.load_state_dict(load_pretrained(folder).state_dict())
        arcface.load_state_dict(load_file(str(folder / "arcface.safetensors")))
        self.step = state["step"]
        self.crops.set_state(torch.tensor(state["extra"]["crops"], dtype=torch.uint8))
        torch.set_rng_state(torch.tensor(state["extra"]["torch_rng"], dtype=torch.uint8))
        history = json.loads(_read(folder / "metrics.json"))["history"]
        self.history = {k: history.get(k, []) for k in self.history}   # "speed" is newer than some runs
        self.start -= state["extra"]["seconds"]
        self.saved_total = state["extra"].get("total")


RUN_FILES = ("config.json", "model.safetensors", "arcface.safetensors", "training.json", "metrics.json",
             "optimizer.safetensors", "training_state.json")
"""What ``train(out=...)`` writes and ``resume`` reads back (and loss.png, a picture)."""
_FINGERPRINTED = ("config.json", "model.safetensors", "arcface.safetensors", "metrics.json")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(f"cannot resume: {path} is missing (resume takes a folder written by "
                                "m2p-course train --out)") from None


def check_run_folder(folder) -> Path:
    """FileNotFoundError unless ``folder`` holds every file ``resume`` needs: checked before the data is built."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot resume {folder}: no such folder (resume takes a folder written by "
                                "m2p-course train --out)")
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"cannot resume {folder}: it has no {', '.join(missing)} (a folder written by "
                                "m2p-course train --out holds " + ", ".join(RUN_FILES) + ")")
    return folder


def check_writable(folder) -> Path:
    """Create ``folder`` if needed and write (then remove) a file there: a clear error now if it cannot be
    written, instead of one after the whole training run. Returns the folder as a Path."""
    import tempfile

    folder = Path(folder)
    try:
        blocking = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
        if blocking is None:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".m2p-write-check-"):
                pass
    except OSError as error:
        raise _unwritable(folder, error) from None
    if blocking is not None:
        where = "it is a file" if blocking == folder else f"{blocking} is a file"
        raise NotADirectoryError(f"cannot write the run to {folder}: {where}, not a folder; training writes its "
                                 "model, checkpoints and figures into a folder, so give another --out")
    return folder


def _unwritable(folder: Path, error: OSError) -> OSError:
    """The OSError ``check_writable`` raises: PermissionError for no permission or a read-only disk."""
    import errno

    kind = PermissionError if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else type(error)
    why = error.strerror or str(error)
    return kind(f"cannot write the run to {folder}: {why} ({error.filename or folder}); checked before the "
                "first step, so no training was lost. Give an --out folder you can write to")


def _rank_from_environment() -> int:
    """This process's rank as torchrun sets it (0 alone): known before the process group starts."""
    return int(os.environ.get("RANK", "0"))


def _mean_over_processes(value: float, world: int, device) -> float:
    if world == 1:
        return value
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t.item() / world)


class _NoBar:
    total = None

    def update(self, n):
        pass

    def set_postfix(self, **kwargs):
        pass

    def write(self, text):
        pass

    def close(self):
        pass


def _progress(total, enabled: bool, initial: int = 0):
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="training", unit="step")


def write_run(out, model, config: TrainConfig, metrics: dict, history: dict) -> Path:
    """config.json + model.safetensors (the model), training.json (TrainConfig), metrics.json, loss.png."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    _write_text(out / "training.json", json.dumps(asdict(config), indent=2) + "\n")
    _write_text(out / "metrics.json", json.dumps({**metrics, "history": history}, indent=1) + "\n")
    save_loss_figure(history, out / "loss.png")
    return out


def _write_text(path: Path, text: str) -> None:
    from .storage import write_atomic

    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def save_loss_figure(history: dict, path) -> Path:
    """The training loss and its parts per step, and the validation figures: a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.2))
    FigureCanvasAgg(fig)
    ax, bx = fig.subplots(1, 2)
    for name in ("loss", "position", "velocity", "speed"):
        if len(history.get(name) or []) == len(history["step"]):
            ax.plot(history["step"], history[name], label=name, lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title("training loss")
    ax.legend(frameon=False)
    val = history["val"]
    if val:
        s = [v["step"] for v in val]
        bx.plot(s, [v["error_ratio"] for v in val], "o-", label="keypoint error / mean pose's")
        bx.plot(s, [v["bas_ratio"] for v in val], "s-", label="BAS / ground truth's")
        bx.plot(s, [v["dancer_accuracy"] for v in val], "^-", label="dancer identified")
        bx.set_ylim(0, 1.1)
        bx.legend(frameon=False, fontsize=8)
    bx.set_xlabel("step")
    bx.set_title("held-out songs")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=90)
    return path


def with_overrides(config: TrainConfig, **overrides) -> TrainConfig:
    """A copy of config with the given fields changed (None values are ignored)."""
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})


# -----------------------------------------------------------------------------
# the command line: m2p-course train


def add_arguments(parser) -> None:
    """The options of ``m2p-course train`` (cli.py adds the sub-command)."""
    budget = parser.add_mutually_exclusive_group()                 # one of them, or --resume alone
    budget.add_argument("--minutes", type=float, help=_("train for about this long (steps set from the speed)"))
    budget.add_argument("--steps", type=int, help=_("train for exactly this many steps"))
    parser.add_argument("--out", type=Path, required=True,
                        help=_("folder for the model, metrics.json and loss.png, checked for writing before training "
                               "starts; a checkpoint goes there at every evaluation"))
    parser.add_argument("--batch-size", type=int, default=None,
                        help=_("the global batch, split over the processes (default {batch_size})").format(
                            batch_size=TrainConfig.batch_size))
    parser.add_argument("--seed", type=int, default=None, help=_("default {seed}").format(seed=TrainConfig.seed))
    parser.add_argument("--precision", choices=PRECISIONS, default=None,
                        help=_("fp32 (default), bf16 (autocast, CPU or GPU) or fp16 (GPU, with a GradScaler)"))
    recipe = parser.add_mutually_exclusive_group()
    recipe.add_argument("--config", type=Path, default=None,
                        help=_("a JSON file of TrainConfig fields (e.g. a run's training.json); options override it"))
    recipe.add_argument("--like-shipped", action="store_true",
                        help=_("the shipped model's recipe, the training.json beside its weights (it trains on the "
                               "real recordings too: fetch them first); options override it"))
    parser.add_argument("--resume", type=Path, default=None,
                        help=_("continue a run written by --out (finished, or interrupted after a checkpoint: one "
                               "is written at every evaluation) up to --steps, or without --steps to the steps it "
                               "had planned"))
    parser.add_argument("--cache-dir", type=Path, default=None, help=_("where the synthetic dataset is cached"))
    parser.add_argument("--real-music", action="store_true", default=None,
                        help=_("also train on the real recordings' pairs (fetch them first: tools/fetch_recordings.py; "
                               "folder: $M2P_RECORDINGS or ~/.cache/m2p_course/recordings)"))
    parser.add_argument("--quiet", action="store_true", help=_("no progress bar"))


def config_from_args(args) -> TrainConfig:
    base = TrainConfig()
    source, option = args.config, "--config"
    if getattr(args, "like_shipped", False):
        from .checkpoint import PRETRAINED_DIR

        source, option = PRETRAINED_DIR / "training.json", "--like-shipped"
    if source is not None:
        try:
            values = json.loads(Path(source).read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"{option} {source}: no such file") from None
        except json.JSONDecodeError as err:
            raise ValueError(f"{option} {source} is not valid JSON: {err}") from None
        known = {f.name for f in fields(TrainConfig)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{option} {source} has unknown fields {unknown}; TrainConfig's are {sorted(known)}")
        base = replace(base, **values)
    return with_overrides(base, batch_size=args.batch_size, seed=args.seed, precision=args.precision,
                          real_music=getattr(args, "real_music", None))


def run_command(args) -> int:
    """``m2p-course train``: train, then (rank 0) print where everything went and the held-out figures."""
    if args.steps is None and args.minutes is None and args.resume is None:
        raise ValueError("give --steps N or --minutes M (or --resume DIR alone, to finish the steps that run had "
                         "planned)")
    if args.minutes is not None and args.resume is not None:
        raise ValueError("--resume continues a run up to a number of steps: give --steps, not --minutes (or "
                         "neither, to finish the steps the run had planned)")
    config = config_from_args(args)
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    if args.minutes is not None and not args.minutes > 0:
        raise ValueError(f"--minutes must be > 0, got {args.minutes}")
    try:
        result = train(config, steps=args.steps, minutes=args.minutes, out=args.out, progress=not args.quiet,
                       cache_dir=args.cache_dir, resume=args.resume)
    except BaseException:
        _finish_distributed(together=False)         # the others may never get here: leave without waiting
        raise
    if result.rank == 0:
        m = result.metrics
        print(_("trained {steps} steps in {seconds:.0f} s on {processes} process(es), final loss {loss:.4f}").format(
            steps=m["steps"], seconds=m["seconds"], processes=m["world_size"], loss=m["final_loss"]))
        if "error_ratio" in m:
            print(_("held-out songs: keypoint error {error:.4f} = {error_ratio:.2f} x the mean pose's; BAS {bas:.3f} = "
                    "{bas_ratio:.2f} x the ground truth's; dancers identified {accuracy:.0%}").format(
                error=m["keypoint_error"], error_ratio=m["error_ratio"], bas=m["bas"], bas_ratio=m["bas_ratio"],
                accuracy=m["dancer_accuracy"]))
        for name in ("config.json", "model.safetensors", "metrics.json", "loss.png"):
            print(_("wrote {path}").format(path=Path(args.out) / name))
    _finish_distributed()
    return 0


def _finish_distributed(together: bool = True) -> None:
    """End the process group, if torchrun started one. ``together``: first wait for every process (rank 0
    evaluates and writes after the last step while the others are done), so that no process tears its
    connections down while another still holds them; gloo aborts a process that exits mid-way
    ("terminate called without an active exception")."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        if together:
            dist.barrier()
        dist.destroy_process_group()
