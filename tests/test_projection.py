"""Stage 2, the music projection: the guide's layers, its shapes and its parameters."""

import pytest
import torch
from torch import nn

from m2p_course import MusicProjection


def layer_list(seq):
    """(type, in, out) of each layer; LayerNorm's in is its normalized_shape."""
    return [(type(m).__name__, getattr(m, "in_features", getattr(m, "normalized_shape", None)),
             getattr(m, "out_features", None)) for m in seq]


def test_layers_match_the_guide(full_model):
    proj = full_model.music_proj
    assert isinstance(proj, MusicProjection)
    assert layer_list(proj) == [
        ("Linear", 4800, 2048), ("LayerNorm", (2048,), None), ("GELU", None, None), ("Dropout", None, None),
        ("Linear", 2048, 1024), ("LayerNorm", (1024,), None), ("GELU", None, None), ("Dropout", None, None),
    ]
    assert all(m.p == 0.1 for m in proj if isinstance(m, nn.Dropout))
    assert sum(p.numel() for p in proj.parameters()) == 11_936_768


def test_shapes_follow_the_sizes():
    proj = MusicProjection(input_dim=35, hidden_dim=16, dropout=0.0)
    assert (proj.input_dim, proj.hidden_dim) == (35, 16)
    assert proj[0].out_features == 32 and proj[4].out_features == 16
    assert proj(torch.randn(3, 7, 35)).shape == (3, 7, 16)
    assert proj(torch.randn(7, 35)).shape == (7, 16)       # any leading dims: it works frame by frame


def test_frames_are_projected_independently():
    torch.manual_seed(0)
    proj = MusicProjection(input_dim=12, hidden_dim=8).eval()
    x = torch.randn(2, 5, 12)
    whole = proj(x)
    one_frame = proj(x[:, 3:4])
    torch.testing.assert_close(whole[:, 3:4], one_frame)


def test_output_is_layer_normalised_then_gelu():
    torch.manual_seed(0)
    proj = MusicProjection(input_dim=12, hidden_dim=8).eval()
    x = torch.randn(4, 12)
    before_gelu = nn.Sequential(*list(proj)[:6])(x)            # up to the second LayerNorm
    torch.testing.assert_close(before_gelu.mean(-1), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(proj(x), nn.functional.gelu(before_gelu))


def test_dropout_is_active_only_in_training():
    torch.manual_seed(0)
    proj = MusicProjection(input_dim=12, hidden_dim=64, dropout=0.5)
    x = torch.randn(4, 12)
    assert torch.equal(proj.eval()(x), proj.eval()(x))
    assert not torch.equal(proj.train()(x), proj.train()(x))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(input_dim=0), ValueError, "input_dim"),
    (dict(hidden_dim=2.5), TypeError, "hidden_dim"),
    (dict(dropout=1.0), ValueError, r"^dropout must be a finite number in \[0, 1\), got 1.0$"),
    (dict(dropout="0.1"), TypeError, r"^dropout must be a finite number in \[0, 1\), got str '0.1'$"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        MusicProjection(**kwargs)
