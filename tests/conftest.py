import pytest
import torch

from m2p_course import M2PEncoder


@pytest.fixture
def korean():
    """The package in Korean for one test (set_language), English again after it; fails the test if a
    text it showed is missing from the catalogue."""
    import matplotlib.pyplot as plt

    from m2p_course import i18n

    i18n.missing.clear()
    i18n.set_language("ko")
    yield
    i18n.set_language("en")
    plt.close("all")
    assert sorted(i18n.missing) == [], "texts shown in Korean that the catalogue lacks"


@pytest.fixture(scope="session")
def full_model():
    """The guide's full-size encoder (89 M parameters), in eval mode, seeded."""
    torch.manual_seed(0)
    return M2PEncoder().eval()


@pytest.fixture(scope="session")
def small_model():
    """A small encoder for fast behaviour tests."""
    torch.manual_seed(0)
    return M2PEncoder(music_input_dim=48, hidden_dim=64, num_heads=4, num_layers=2, face_embed_dim=32).eval()


def _build_wheel(tmp_path, prepare=None):
    """Copy the package's sources to tmp_path/src, let ``prepare(source)`` change the copy, build a
    wheel offline (no dependencies, no isolation) and return its path."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    source = tmp_path / "src"
    shutil.copytree(root / "m2p_course", source / "m2p_course", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    if prepare is not None:
        prepare(source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, text=True)
    (wheel,) = (tmp_path / "dist").glob("m2p_course-*.whl")
    return wheel


@pytest.fixture
def build_wheel():
    """``build_wheel(tmp_path, prepare=None) -> Path`` of a wheel built from a copy of the sources."""
    return _build_wheel
