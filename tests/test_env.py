import os
import random

import numpy as np
import pytest
import torch

from m2p_course import get_device, seed_everything, setup, versions


def test_seed_everything_repeats_every_generator():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()
    seed_everything(5)
    first = draw()
    seed_everything(5)
    assert draw() == first
    seed_everything(6)
    assert draw() != first


@pytest.mark.parametrize("cuda, expected", [(True, "cuda"), (False, "cpu")])
def test_get_device_prefers_the_gpu(monkeypatch, cuda, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert get_device() == torch.device(expected)


def test_seed_everything_leaves_the_environment_alone(monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    seed_everything(3)
    assert "PYTHONHASHSEED" not in os.environ


def test_device_and_versions(capsys):
    found = versions()
    assert found["torch"] == torch.__version__.split("+")[0] or found["torch"] == torch.__version__
    assert {"python", "numpy", "librosa", "ipywidgets", "m2p-course"} <= set(found)
    assert setup(seed=1) == get_device()
    out = capsys.readouterr().out
    assert "torch" in out and "seed: 1" in out
