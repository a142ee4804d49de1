import pytest
import torch

from m2p_course import M2PEncoder


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
