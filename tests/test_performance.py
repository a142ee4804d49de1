"""m2p_course.performance: stage FLOPs, the tensor-memory counter, memory predicted on fake tensors."""

import math

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from m2p_course import M2PEncoder
from m2p_course.performance import (
    STAGES,
    PeakMemory,
    fake_encoder,
    measure_memory,
    predict_memory,
    stage_flops,
    stage_times,
)
from m2p_course.transformer import SavedActivations

TINY = dict(music_input_dim=48, hidden_dim=32, num_heads=4, num_layers=2)


@pytest.mark.parametrize("config, length, batch", [
    (dict(), 300, 2),                                                              # the guide's model
    (dict(hidden_dim=64, num_heads=4, num_layers=2, heatmap_size=(4, 4), face_embed_dim=32), 120, 3),
])
def test_stage_flops_equal_torchs_flop_counter(config, length, batch):
    # on the meta device attention runs as plain matrix products, which torch's counter sees
    with torch.device("meta"):
        model = M2PEncoder(**config).eval()
        music = torch.randn(batch, length, 4800)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(music)
    flops = stage_flops(length, batch, **config)
    assert tuple(flops) == STAGES
    assert sum(flops.values()) == counter.get_total_flops()
    assert flops["attention scores"] == counter.get_flop_counts()["Global"][torch.ops.aten.bmm]


def test_stage_flops_grow_as_the_guide_says():
    short, long = stage_flops(300), stage_flops(600)
    assert long["attention scores"] == 4 * short["attention scores"]        # T^2
    assert long["feed-forward"] == 2 * short["feed-forward"]                # T
    assert long["face head"] == short["face head"]                          # once per clip
    # per frame, attention scores (4 T d per layer) overtake the projections (8 d^2) at T = 2 d
    at = stage_flops(2048)
    assert at["attention scores"] == at["attention projections"]


@pytest.mark.parametrize("bad, error, message", [
    (dict(length=0), ValueError, "length must be a positive int"),
    (dict(length=10, batch=1.5), TypeError, "batch must be"),
])
def test_stage_flops_bad_input(bad, error, message):
    with pytest.raises(error, match=message):
        stage_flops(**bad)


def _real_pass(config, batch, length, training, checkpointing, dtype):
    torch.manual_seed(0)
    model = M2PEncoder(**config, gradient_checkpointing=checkpointing)
    measured = measure_memory(model, torch.randn(batch, length, config["music_input_dim"]), training=training,
                              dtype=dtype)
    return measured.peak, measured.kept_for_backward


@pytest.mark.parametrize("training, checkpointing", [(False, False), (True, False), (True, True)])
def test_predict_memory_is_what_the_real_pass_allocates(training, checkpointing):
    predicted = predict_memory(TINY, 2, 50, training=training, checkpointing=checkpointing)
    peak, kept = _real_pass(TINY, 2, 50, training, checkpointing, None)
    assert predicted.peak == peak
    assert predicted.kept_for_backward == kept
    assert predicted.weights == sum(p.numel() * 4 for p in M2PEncoder(**TINY).parameters())
    assert (kept > 0) == training


def test_predict_memory_under_autocast_is_within_a_percent():
    # the autocast cache of cast weights is handled a little differently for fake tensors
    predicted = predict_memory(TINY, 2, 50, training=True, dtype=torch.bfloat16)
    peak, kept = _real_pass(TINY, 2, 50, True, False, torch.bfloat16)
    assert predicted.peak == pytest.approx(peak, rel=0.01)
    assert predicted.kept_for_backward == pytest.approx(kept, rel=0.01)
    assert predicted.peak < predict_memory(TINY, 2, 50, training=True).peak


def test_predict_memory_full_size_without_the_memory():
    # the guide's model at the whole song: the training step keeps 6 layers of [8, T, T] scores and more
    # (the CPU has no fused attention with dropout); checkpointing keeps only each layer's input
    plain = predict_memory(None, 1, 5400, training=True)
    checkpointed = predict_memory(None, 1, 5400, training=True, checkpointing=True)
    scores = 8 * 5400 * 5400 * 4
    assert plain.weights == 88_992_134 * 4
    assert plain.kept_for_backward > 6 * 2 * scores                     # the scores and their dropout mask
    assert checkpointed.kept_for_backward < 0.05 * plain.kept_for_backward
    assert checkpointed.peak < plain.peak / 4
    assert plain.largest[0][1] == scores
    inference = predict_memory(None, 1, 5400)                           # the fused kernel: no T x T matrix
    assert inference.kept_for_backward == 0
    assert inference.largest[0][1] < scores / 8
    assert "GB" in str(inference)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(config=[1]), TypeError, "config must be a dict"),
    (dict(config=dict(hidden=3)), TypeError, r"config has names M2PEncoder does not take: \['hidden'\]"),
    (dict(batch=0), ValueError, "batch must be a positive int"),
    (dict(length=2.5), TypeError, "length must be"),
    (dict(training=1), TypeError, "training must be a bool, got int 1"),
    (dict(dtype=torch.int8), ValueError, "dtype must be None, torch.float32"),
    (dict(device="gpu0"), ValueError, "device must be a torch device or its name"),
    (dict(device="meta"), ValueError, "device must be 'cpu' or 'cuda', got 'meta'"),
])
def test_predict_memory_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        predict_memory(**{"config": TINY, **kwargs})


def test_peak_memory_counts_new_tensors_and_frees():
    x = torch.zeros(1000)                                    # made before: not counted
    with PeakMemory() as memory:
        y = x + 1                                            # 4000 bytes
        z = y.view(10, 100)                                  # a view: nothing new
        y.mul_(2)                                            # in place: nothing new
        w = torch.ones(2000, dtype=torch.float64)            # 16000 bytes
        del w                                                # freed
        v = torch.ones(10)                                   # 40 bytes
    assert memory.peak == 4000 + 16000
    assert memory.now == 4000 + 40
    assert memory.largest[0] == ("ones", 16000)
    del z, v


def test_fake_encoder_has_the_guides_parameters_and_no_memory():
    model, mode = fake_encoder()
    assert sum(p.numel() for p in model.parameters()) == 88_992_134
    with mode:
        pose, face = model.eval()(torch.empty(1, 30, 4800))
    assert tuple(pose.shape) == (1, 30, 134) and tuple(face.shape) == (1, 512)


def test_stage_times_cover_every_stage_and_leave_the_model_as_it_was():
    model = M2PEncoder(**TINY).train()
    times = stage_times(model, torch.randn(1, 40, 48), repeats=2)
    assert list(times) == ["music_proj", "pos_encoding", "transformer", "pose_head", "face_head"]
    assert all(t > 0 and math.isfinite(t) for t in times.values())
    assert model.training
    assert not model.music_proj._forward_hooks and not model.music_proj._forward_pre_hooks
    with pytest.raises(ValueError, match="music_features must have 3 dimensions, got 2"):
        stage_times(model, torch.randn(40, 48))


def test_gemm_rate_is_a_rate_and_checks_its_input():
    from m2p_course.performance import gemm_rate

    rate = gemm_rate(torch.float32, n=64, k=32, m=48, repeats=2)
    assert math.isfinite(rate) and rate > 0
    with pytest.raises(TypeError, match="dtype must be a floating torch.dtype, got torch.int32"):
        gemm_rate(torch.int32)
    with pytest.raises(ValueError, match="repeats must be a positive int"):
        gemm_rate(repeats=0)


def test_memory_bandwidth_is_a_rate_and_checks_its_input():
    from m2p_course.performance import memory_bandwidth

    rate = memory_bandwidth(nbytes=2**20, repeats=2)
    assert math.isfinite(rate) and rate > 0
    with pytest.raises(ValueError, match="nbytes must be a positive int"):
        memory_bandwidth(nbytes=0)


def test_top_operators_names_the_linear_layers(capfd):
    from m2p_course.performance import top_operators

    table = top_operators(M2PEncoder(**TINY).eval(), torch.randn(1, 40, 48), rows=4)
    assert "aten::addmm" in table and "Self CPU" in table
    assert len([line for line in table.splitlines() if line.strip().startswith("aten::")]) == 4
    assert "profiler" not in capfd.readouterr().err          # torch's log lines on stderr are dropped
    with pytest.raises(ValueError, match="rows must be a positive int"):
        top_operators(M2PEncoder(**TINY), torch.randn(1, 4, 48), rows=0)


def test_predict_memory_on_cuda_without_a_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)      # as on a machine with no usable GPU
    with pytest.raises(ValueError, match=r"torch.cuda.is_available\(\) is False here"):
        predict_memory(TINY, 1, 10, device="cuda")


def test_measure_memory_counts_a_hand_written_step_and_leaves_the_mode():
    torch.manual_seed(0)
    model = M2PEncoder(**TINY).eval()
    music = torch.randn(2, 30, 48)
    measured = measure_memory(model, music, training=True, optimizer=False)
    assert not model.training and all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=True)
    model.train()
    with PeakMemory() as by_hand:
        with SavedActivations(model) as saved:
            pose, face = model(music)
            loss = pose.float().square().mean() + face.float().square().mean()
        loss.backward()
        del pose, face, loss
    assert (measured.peak, measured.kept_for_backward) == (by_hand.peak, saved.bytes)
    with pytest.raises(ValueError, match="music_features must have 3 dimensions"):
        measure_memory(model, torch.randn(30, 48))
