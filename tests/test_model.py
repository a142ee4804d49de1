"""The whole encoder: the guide's usage and parameter count, its checks at the door, padding, and
that it learns (one batch of the synthetic dataset, overfitted)."""

import pytest
import torch

from m2p_course import (
    EDGE_BASELINE_RECIPE,
    ArcFaceLoss,
    M2PEncoder,
    SinusoidalPositionalEncoding,
    SyntheticDanceDataset,
    pad_collate,
)


def test_guide_usage_example(full_model):
    torch.manual_seed(0)
    music = torch.randn(2, 24, 4800)
    with torch.no_grad():
        pose_logits, face_embed = full_model(music)
        heatmap = full_model.get_pose_heatmap(pose_logits)
    assert pose_logits.shape == (2, 24, 134)
    assert face_embed.shape == (2, 512)
    assert heatmap.shape == (2, 24, 134)
    assert torch.allclose(heatmap.sum(-1), torch.ones(2, 24), atol=1e-5)
    assert torch.allclose(face_embed.norm(dim=-1), torch.ones(2), atol=1e-5)


def test_parameter_counts(full_model):
    assert isinstance(full_model.pos_encoding, SinusoidalPositionalEncoding)
    def linear(i, o):
        return i * o + o
    proj = linear(4800, 2048) + 2 * 2048 + linear(2048, 1024) + 2 * 1024
    attn = 3 * linear(1024, 1024) + linear(1024, 1024)
    layer = attn + linear(1024, 4096) + linear(4096, 1024) + 2 * (2 * 1024)
    pose = linear(1024, 512) + linear(512, 256) + linear(256, 134)
    face = linear(1024, 512) + linear(512, 512)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(full_model.music_proj) == proj == 11_936_768
    assert count(full_model.transformer) == 6 * layer
    assert count(full_model.pose_head) == pose
    assert count(full_model.face_head) == face
    assert count(full_model.pos_encoding) == 0
    assert count(full_model) == proj + 6 * layer + pose + face == 88_992_134


def test_small_config_follows_hidden_dim():
    model = M2PEncoder(music_input_dim=35, hidden_dim=64, num_layers=2)
    assert model.music_proj[0].out_features == 128 and model.music_proj[4].out_features == 64
    assert [model.pose_head[i].out_features for i in (0, 3, 6)] == [32, 16, 134]
    assert model.face_head[0].out_features == 32 and model.face_head[3].out_features == 512
    assert model.transformer.layers[0].linear1.out_features == 256
    assert len(model.transformer.layers) == 2
    pose, face = model.eval()(torch.randn(3, 7, 35))
    assert pose.shape == (3, 7, 134) and face.shape == (3, 512)


def test_dim_feedforward_can_be_set():
    model = M2PEncoder(hidden_dim=64, num_layers=1, dim_feedforward=100, music_input_dim=8)
    assert model.transformer.layers[0].linear1.out_features == 100


def test_long_sequence_works(small_model):
    with torch.no_grad():
        pose, face = small_model(torch.randn(1, 6000, 48))
    assert pose.shape == (1, 6000, 134) and face.shape == (1, 32)


def test_guide_dimension_message(full_model):
    with pytest.raises(ValueError, match=r"^Expected music features dimension 4800, got 4096$"):
        full_model(torch.randn(2, 24, 4096))


@pytest.mark.parametrize("bad, error, match", [
    (torch.randn(24, 48), ValueError, r"3-D \[B, T, 48\], got 2-D"),
    (torch.randn(1, 2, 24, 48), ValueError, r"3-D .* got 4-D"),
    (torch.ones(2, 24, 48, dtype=torch.int64), TypeError, r"floating-point .* torch.int64"),
    (torch.randn(0, 24, 48), ValueError, r"B > 0 and T > 0, got shape \(0, 24, 48\)"),
    (torch.randn(2, 0, 48), ValueError, r"B > 0 and T > 0, got shape \(2, 0, 48\)"),
    (torch.full((2, 4, 48), float("nan")), ValueError, r"NaN or Inf"),
    (torch.full((2, 4, 48), float("inf")), ValueError, r"NaN or Inf"),
    (torch.randn(2, 4, 48, dtype=torch.float64), TypeError,
     r"dtype torch.float64 but the model's weights are torch.float32"),
    ([[0.0] * 48], TypeError, r"torch.Tensor .* got list"),
])
def test_bad_music_features(small_model, bad, error, match):
    with pytest.raises(error, match=match):
        small_model(bad)


@pytest.mark.parametrize("mask, error, match", [
    (torch.zeros(2, 5, dtype=torch.bool), ValueError, r"shape \[B, T\] = \(2, 4\), got \(2, 5\)"),
    (torch.zeros(4, dtype=torch.bool), ValueError, r"shape \[B, T\]"),
    (torch.zeros(2, 4), TypeError, r"torch.bool .* got torch.float32"),
    (torch.ones(2, 4, dtype=torch.bool), ValueError, r"every frame as padded in batch row\(s\) \[0, 1\]"),
    ("no", TypeError, r"bool torch.Tensor"),
])
def test_bad_padding_mask(small_model, mask, error, match):
    with pytest.raises(error, match=match):
        small_model(torch.randn(2, 4, 48), padding_mask=mask)


@pytest.mark.parametrize("temperature, error", [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError),
                                                ("1", TypeError), (True, TypeError)])
def test_bad_temperature(small_model, temperature, error):
    logits = torch.randn(2, 4, 134)
    with pytest.raises(error, match="temperature"):
        small_model.get_pose_heatmap(logits, temperature=temperature)


def test_heatmap_rejects_wrong_logits(small_model):
    with pytest.raises(ValueError, match=r"pose_logits must end in \(134,\)"):
        small_model.get_pose_heatmap(torch.randn(2, 4, 133))


def test_coordinates_need_a_spatial_head(full_model):
    with pytest.raises(ValueError, match=r"no spatial axis.*heatmap_size=\(H, W\)"):
        full_model.get_pose_coordinates(torch.randn(2, 24, 134))


def test_spatial_head_heatmaps_and_coordinates():
    torch.manual_seed(0)
    model = M2PEncoder(music_input_dim=48, hidden_dim=64, num_heads=4, num_layers=1, heatmap_size=(8, 6)).eval()
    with torch.no_grad():
        logits, face = model(torch.randn(2, 5, 48))
        heatmap = model.get_pose_heatmap(logits, temperature=0.5)
        coords = model.get_pose_coordinates(logits)
    assert logits.shape == (2, 5, 134, 8, 6)
    assert heatmap.shape == (2, 5, 134, 8, 6)
    assert torch.allclose(heatmap.sum(dim=(-2, -1)), torch.ones(2, 5, 134), atol=1e-5)
    assert coords.shape == (2, 5, 134, 2)
    assert coords.abs().max() <= 1.0
    assert model.pose_head[6].out_features == 134 * 8 * 6


def test_heads_must_divide_hidden():
    with pytest.raises(ValueError, match="divisible by the number of heads 7"):
        M2PEncoder(hidden_dim=64, num_heads=7)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(hidden_dim=0), ValueError, "hidden_dim"),
    (dict(num_layers=-1), ValueError, "num_layers"),
    (dict(music_input_dim=2.5), TypeError, "music_input_dim"),
    (dict(dropout=1.5), ValueError, r"^dropout must be a finite number in \[0, 1\), got 1.5$"),
    (dict(dropout="0.1"), TypeError, r"^dropout must be a finite number in \[0, 1\), got str '0.1'$"),
    (dict(heatmap_size=(0, 4)), ValueError, "heatmap height"),
])
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        M2PEncoder(**kwargs)


def test_padding_does_not_change_valid_frames(small_model):
    torch.manual_seed(1)
    short = torch.randn(1, 10, 48)
    padded = torch.cat([short, 100 * torch.randn(1, 6, 48)], dim=1)
    mask = torch.zeros(1, 16, dtype=torch.bool)
    mask[:, 10:] = True
    with torch.no_grad():
        pose_a, face_a = small_model(short)
        pose_b, face_b = small_model(padded, padding_mask=mask)
        pose_c, face_c = small_model(padded)  # without the mask the padding leaks in
    assert torch.allclose(pose_a, pose_b[:, :10], atol=1e-5)
    assert torch.allclose(face_a, face_b, atol=1e-5)
    assert not torch.allclose(face_a, face_c, atol=1e-3)


def test_padding_mask_in_a_mixed_batch(small_model):
    torch.manual_seed(2)
    a, b = torch.randn(1, 6, 48), torch.randn(1, 9, 48)
    batch = torch.cat([torch.cat([a, torch.zeros(1, 3, 48)], dim=1), b])
    mask = torch.tensor([[False] * 6 + [True] * 3, [False] * 9])
    with torch.no_grad():
        pose, face = small_model(batch, padding_mask=mask)
        pose_a, face_a = small_model(a)
        pose_b, face_b = small_model(b)
    assert torch.allclose(pose[0, :6], pose_a[0], atol=1e-5)
    assert torch.allclose(pose[1], pose_b[0], atol=1e-5)
    assert torch.allclose(face, torch.cat([face_a, face_b]), atol=1e-5)


def test_deterministic_with_seed():
    def build_and_run():
        torch.manual_seed(123)
        model = M2PEncoder(music_input_dim=16, hidden_dim=32, num_heads=4, num_layers=1).eval()
        with torch.no_grad():
            return model(torch.randn(2, 3, 16))
    (p1, f1), (p2, f2) = build_and_run(), build_and_run()
    assert torch.equal(p1, p2) and torch.equal(f1, f2)


def test_gradients_flow_to_every_parameter():
    model = M2PEncoder(music_input_dim=48, hidden_dim=64, num_heads=4, num_layers=2, face_embed_dim=32).train()
    pose, face = model(torch.randn(2, 5, 48))
    (pose.square().mean() + face.sum()).backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing


def test_device_mismatch_is_a_clear_error(small_model):
    with pytest.raises(ValueError, match="music_features are on meta but the model is on cpu"):
        small_model(torch.empty(1, 2, 48, device="meta"))


def test_overfits_one_batch_of_synthetic_dances():
    """End to end: SyntheticDanceDataset -> pad_collate -> a small spatial-head encoder -> soft-argmax
    coordinates and ArcFace; 30 Adam steps on one padded batch drive both losses down."""
    data = SyntheticDanceDataset(num_clips=4, seconds=2.0, seed=0, recipe=EDGE_BASELINE_RECIPE, cache_dir=False)
    items = [data[i] for i in range(4)]
    items[1] = {**items[1], "music": items[1]["music"][:40], "pose": items[1]["pose"][:40]}  # a shorter clip
    batch = pad_collate(items)
    assert batch["music"].shape == (4, 60, 35) and batch["padding_mask"].sum().item() == 20
    assert batch["dancer"].tolist() == [0, 1, 2, 3]

    torch.manual_seed(0)
    model = M2PEncoder(music_input_dim=35, hidden_dim=32, num_heads=4, num_layers=1, face_embed_dim=16,
                       dropout=0.0, heatmap_size=(6, 6))
    arcface = ArcFaceLoss(num_classes=4, embedding_dim=16, scale=16.0, margin=0.2)
    optimizer = torch.optim.Adam([*model.parameters(), *arcface.parameters()], lr=1e-2)
    valid = ~batch["padding_mask"]
    history = []
    for _ in range(30):
        logits, face = model(batch["music"], padding_mask=batch["padding_mask"])
        coords = model.get_pose_coordinates(logits)                         # [4, 60, 134, 2]
        pose_loss = (coords - batch["pose"]).abs().mean(dim=(-2, -1))[valid].mean()
        face_loss = arcface(face, batch["dancer"])
        loss = pose_loss + 0.1 * face_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append((loss.item(), pose_loss.item(), face_loss.item()))
    (loss0, pose0, face0), (loss1, pose1, face1) = history[0], history[-1]
    assert loss1 < loss0 / 5          # measured: 0.87 -> 0.09
    assert pose1 < pose0 / 2          # 0.26 -> 0.09 (mean |error| in the [-1, 1] frame)
    assert face1 < face0 / 20         # 6.1 -> 0.001: the four dancers are told apart


# -----------------------------------------------------------------------------
# performance: gradient checkpointing and torch.compile


def _tiny(**kwargs):
    torch.manual_seed(0)
    return M2PEncoder(music_input_dim=16, hidden_dim=32, num_heads=4, num_layers=2, face_embed_dim=8, **kwargs)


def _grads(model, music, mask=None, seed=0, owner=None):
    """Gradients of a small loss, by parameter name (``owner``: the eager module a compiled one wraps)."""
    owner = model if owner is None else owner
    torch.manual_seed(seed)
    owner.zero_grad()
    pose, face = model(music, padding_mask=mask)
    (pose.square().mean() + face[:, 0].sum()).backward()
    return {name: p.grad.clone() for name, p in owner.named_parameters()}


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_gradient_checkpointing_gives_the_same_gradients(dropout):
    """Recomputed layers replay the same dropout masks: the same gradients with dropout too."""
    music = torch.randn(2, 9, 16)
    mask = torch.zeros(2, 9, dtype=torch.bool)
    mask[1, 6:] = True
    plain, checkpointed = _tiny(dropout=dropout).train(), _tiny(dropout=dropout, gradient_checkpointing=True).train()
    assert checkpointed.config["gradient_checkpointing"] and not plain.config["gradient_checkpointing"]
    expected, got = _grads(plain, music, mask), _grads(checkpointed, music, mask)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], atol=1e-6, rtol=1e-5, msg=name)


def test_gradient_checkpointing_keeps_under_a_third_of_the_activations():
    from m2p_course.transformer import SavedActivations

    music = torch.randn(1, 200, 16)
    kept = {}
    for flag in (False, True):
        torch.manual_seed(0)
        model = M2PEncoder(music_input_dim=16, hidden_dim=64, num_heads=4, num_layers=3, pose_channels=8,
                           face_embed_dim=8, dropout=0.0, gradient_checkpointing=flag).train()
        with SavedActivations(model) as saved:
            pose, face = model(music)
        (pose.mean() + face.sum()).backward()
        kept[flag] = saved.bytes
    assert kept[True] < 0.3 * kept[False], kept   # 0.23x here; 0.19x at the full size (benchmarks/)


def test_gradient_checkpointing_only_in_training_with_grad():
    model = _tiny(dropout=0.0, gradient_checkpointing=True)
    music = torch.randn(2, 5, 16)
    calls = []
    hook = torch.utils.checkpoint.checkpoint
    try:
        torch.utils.checkpoint.checkpoint = lambda *a, **k: calls.append(1) or hook(*a, **k)
        import m2p_course.transformer as transformer_module
        saved, transformer_module.checkpoint = transformer_module.checkpoint, torch.utils.checkpoint.checkpoint
        try:
            model.eval()(music)
            with torch.no_grad():
                model.train()(music)
            assert calls == []
            model.train()(music)
            assert len(calls) == 2                          # one per layer
        finally:
            transformer_module.checkpoint = saved
    finally:
        torch.utils.checkpoint.checkpoint = hook


def test_gradient_checkpointing_can_be_switched():
    model = _tiny()
    model.gradient_checkpointing = True
    assert model.transformer.gradient_checkpointing and model.config["gradient_checkpointing"]
    with pytest.raises(TypeError, match="gradient_checkpointing must be a bool"):
        model.gradient_checkpointing = 1


@pytest.mark.parametrize("heatmap_size", [None, (16, 16)])
def test_compiles_as_one_graph_forward_and_backward(heatmap_size):
    """torch.compile(fullgraph=True): no graph break, so no value check (a device sync) inside the graph.

    The aot_eager backend traces forward and backward exactly as inductor would receive them
    (graph breaks are found by the capture, not the backend) in seconds instead of a minute.
    """
    torch.manual_seed(0)
    model = M2PEncoder(music_input_dim=16, hidden_dim=32, num_heads=4, num_layers=1, face_embed_dim=8,
                       dropout=0.0, heatmap_size=heatmap_size).train()
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    music = torch.randn(2, 7, 16)
    mask = torch.zeros(2, 7, dtype=torch.bool)
    mask[0, 5:] = True
    for padding_mask in (None, mask):
        expected, got = _grads(model, music, padding_mask), _grads(compiled, music, padding_mask, owner=model)
        for name in expected:
            torch.testing.assert_close(got[name], expected[name], atol=1e-5, rtol=1e-4, msg=name)
    with torch.no_grad():
        pose, face = compiled.eval()(music, padding_mask=mask)
        pose_eager, face_eager = model(music, padding_mask=mask)
    torch.testing.assert_close(pose, pose_eager, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(face, face_eager, atol=1e-5, rtol=1e-5)
    # the static checks still run while compiling (a wrong width is a shape, known at trace time); with
    # fullgraph=True dynamo reports the ValueError inside its own error, the message intact
    with pytest.raises(Exception, match=r"Expected music features dimension 16, got 12"):
        compiled(torch.randn(2, 7, 12))
