"""Copy a training run into the package as the shipped model, ``m2p_course/weights/dancer/``.

    python tools/ship_pretrained.py RUN_DIR

RUN_DIR is a folder written by ``m2p-course train --out RUN_DIR``. Writes, and nothing else:

    config.json         the model's config (as from_pretrained reads it)
    model.safetensors   its weights stored as float16 (half the size; loaded back as float32)
    training.json       the TrainConfig that trained it
    metrics.json        the run's final figures (no per-step history) plus the training set's mean
                        pose [134, 2], the baseline the keypoint error is measured against

then loads the result back with ``pretrained()`` and prints how far float16 storage moved the
coordinates of one held-out song.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    from m2p_course import M2PEncoder, pretrained
    from m2p_course.checkpoint import PRETRAINED_DIR
    from m2p_course.inference import predict_dance
    from m2p_course.train import TrainConfig, load_data

    run = Path(argv[0])
    model = M2PEncoder.from_pretrained(run)
    training = json.loads((run / "training.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    metrics.pop("history", None)
    config = TrainConfig(**training)
    train_set, val_set = load_data(config)
    poses = np.concatenate([train_set[i]["pose"].numpy() for i in range(len(train_set))])
    metrics["mean_pose"] = np.round(poses.mean(axis=0), 6).tolist()

    if PRETRAINED_DIR.exists():
        shutil.rmtree(PRETRAINED_DIR)
    model.save_pretrained(PRETRAINED_DIR, dtype=torch.float16)
    (PRETRAINED_DIR / "training.json").write_text(json.dumps(training, indent=2) + "\n")
    (PRETRAINED_DIR / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")

    shipped = pretrained()
    music = val_set[0]["music"]
    moved = np.abs(predict_dance(shipped, music, window=config.window)
                   - predict_dance(model, music, window=config.window))
    size = (PRETRAINED_DIR / "model.safetensors").stat().st_size
    print(f"wrote {PRETRAINED_DIR} (model.safetensors {size / 1e6:.1f} MB); float16 storage moves the coordinates "
          f"of a held-out song by {moved.mean():.1e} on average, {moved.max():.1e} at most")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
