"""Stages 6 and 8, the heads: the guide's layers, the spatial pose head, the face head's masked mean."""

import pytest
import torch

from m2p_course import FaceHead, PoseHead, masked_mean


def layer_list(seq):
    return [(type(m).__name__, getattr(m, "in_features", None), getattr(m, "out_features", None)) for m in seq]


def test_heads_match_the_guide(full_model):
    assert isinstance(full_model.pose_head, PoseHead)
    assert layer_list(full_model.pose_head) == [
        ("Linear", 1024, 512), ("GELU", None, None), ("Dropout", None, None),
        ("Linear", 512, 256), ("GELU", None, None), ("Dropout", None, None), ("Linear", 256, 134),
    ]
    assert isinstance(full_model.face_head, FaceHead)
    assert layer_list(full_model.face_head) == [
        ("Linear", 1024, 512), ("GELU", None, None), ("Dropout", None, None), ("Linear", 512, 512),
    ]
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(full_model.pose_head) == (1024 + 1) * 512 + (512 + 1) * 256 + (256 + 1) * 134 == 690_566
    assert count(full_model.face_head) == (1024 + 1) * 512 + (512 + 1) * 512 == 787_456


def test_pose_head_shapes():
    head = PoseHead(hidden_dim=64, pose_channels=134).eval()
    assert head(torch.randn(2, 5, 64)).shape == (2, 5, 134)
    assert head.heatmap_size is None


def test_spatial_pose_head_emits_one_heatmap_per_joint():
    torch.manual_seed(0)
    head = PoseHead(hidden_dim=64, pose_channels=134, heatmap_size=(8, 6)).eval()
    x = torch.randn(2, 5, 64)
    y = head(x)
    assert y.shape == (2, 5, 134, 8, 6) and head.heatmap_size == (8, 6)
    flat = torch.nn.Sequential(*head)(x)                        # the same layers, without the reshape
    torch.testing.assert_close(y, flat.reshape(2, 5, 134, 8, 6))
    # the docstring's cost at full size: (hidden/4 + 1) x 134 x H x W
    full = PoseHead(1024, 134, heatmap_size=(8, 8))
    assert sum(p.numel() for p in full[6].parameters()) == 257 * 134 * 64 == 2_204_032


def test_face_head_is_unit_length_and_ignores_padded_frames():
    torch.manual_seed(0)
    head = FaceHead(hidden_dim=16, face_embed_dim=8).eval()
    x = torch.randn(2, 6, 16)
    emb = head(x)
    assert emb.shape == (2, 8)
    torch.testing.assert_close(emb.norm(dim=-1), torch.ones(2))
    mask = torch.tensor([[False] * 4 + [True] * 2, [False] * 6])
    junk = x.clone()
    junk[0, 4:] = 1e3
    torch.testing.assert_close(head(junk, padding_mask=mask)[0], head(x[:1, :4])[0])


def test_masked_mean():
    x = torch.arange(12.0).reshape(1, 4, 3)                   # frames [0,1,2], [3,4,5], [6,7,8], [9,10,11]
    torch.testing.assert_close(masked_mean(x), torch.tensor([[4.5, 5.5, 6.5]]))
    mask = torch.tensor([[False, False, True, True]])
    torch.testing.assert_close(masked_mean(x, mask), torch.tensor([[1.5, 2.5, 3.5]]))
    x2 = torch.stack([x[0], x[0] + 1])
    mask2 = torch.tensor([[False, True, True, True], [False, False, False, False]])
    torch.testing.assert_close(masked_mean(x2, mask2), torch.tensor([[0.0, 1.0, 2.0], [5.5, 6.5, 7.5]]))


@pytest.mark.parametrize("size", [(8,), (0, 4), (4.0, 4), "16x16"])
def test_bad_heatmap_size(size):
    with pytest.raises((TypeError, ValueError), match="heatmap"):
        PoseHead(64, heatmap_size=size)


@pytest.mark.parametrize("make, error, match", [
    (lambda: PoseHead(hidden_dim=3), ValueError, r"hidden_dim must be >= 4"),
    (lambda: PoseHead(pose_channels=0), ValueError, "pose_channels"),
    (lambda: PoseHead(dropout=-0.1), ValueError, r"^dropout must be a finite number in \[0, 1\), got -0.1$"),
    (lambda: FaceHead(face_embed_dim=1.5), TypeError, "face_embed_dim"),
    (lambda: FaceHead(dropout=True), TypeError, r"^dropout must be a finite number in \[0, 1\), got bool True$"),
])
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()
