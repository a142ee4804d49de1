"""The first cell of every notebook: seed everything, pick a device, say what is in use."""

from __future__ import annotations

import platform
import random
import sys

import numpy as np
import torch

from .i18n import _, set_language

__all__ = ["seed_everything", "get_device", "versions", "setup", "in_colab"]


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU).

    Not PYTHONHASHSEED: Python reads it once, at start-up, so setting it in a running kernel
    changes nothing (and the course's results do not depend on str hashing).
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def get_device() -> torch.device:
    """The GPU if there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def in_colab() -> bool:
    return "google.colab" in sys.modules


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries the course uses (those installed)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("torch", "numpy", "librosa", "matplotlib", "ipywidgets", "m2p-course"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def setup(seed: int = 0, verbose: bool = True, lang: str = "en") -> torch.device:
    """Seed everything, pick the device, choose the language and (``verbose``) print the versions.

    ``lang``: the language of everything the package prints for a student from now on (exercises'
    feedback, hints and solutions, widgets' labels): "en" (English) or "ko" (Korean); see
    ``m2p_course.set_language``. Returns the device.
    """
    set_language(lang)
    seed_everything(seed)
    device = get_device()
    if verbose:
        print(" | ".join(f"{k} {v}" for k, v in versions().items()))
        print(_("device: {device}, seed: {seed}").format(device=device, seed=seed))
    return device
