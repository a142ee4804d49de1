import pytest
import torch

from m2p_course import M2PEncoder, trace_shapes


def test_full_model_trace_matches_guide(full_model):
    trace = trace_shapes(full_model, (2, 24, 4800))
    assert trace.shape_of("music_proj") == (2, 24, 1024)
    assert trace.shape_of("pos_encoding") == (2, 24, 1024)
    assert trace.shape_of("transformer.layers[5]") == (2, 24, 1024)
    assert trace.shape_of("pose_head") == (2, 24, 134)
    assert trace.shape_of("face_head (mean over T)") == (2, 1024)
    assert trace.shape_of("face_head") == (2, 512)
    assert trace.shape_of("pose heatmap") == (2, 24, 134)
    assert trace.total_params == sum(p.numel() for p in full_model.parameters())
    table = str(trace)
    assert "88,992,134" in table and "[2, 24, 134]" in table


def test_trace_at_5400_frames_allocates_nothing():
    # the speed goal is measured in benchmarks/bench_model.py; here: no real tensor is made
    trace = trace_shapes({}, (2, 5400, 4800))
    assert trace.shape_of("pose_head") == (2, 5400, 134)
    assert trace.shape_of("transformer.layers[5]") == (2, 5400, 1024)


def test_trace_spatial_model_and_tensor_input():
    model = M2PEncoder(music_input_dim=35, hidden_dim=64, num_layers=2, heatmap_size=(8, 8))
    trace = trace_shapes(model, torch.randn(3, 10, 35))
    assert trace.shape_of("pose_head") == (3, 10, 134, 8, 8)
    assert trace.shape_of("pose coordinates") == (3, 10, 134, 2)
    assert [r.stage for r in trace].count("transformer.layers[1]") == 1


def test_trace_does_not_touch_the_model(small_model):
    before = {k: v.clone() for k, v in small_model.state_dict().items()}
    trace_shapes(small_model, (1, 4, 48))
    assert all(torch.equal(before[k], v) for k, v in small_model.state_dict().items())


@pytest.mark.parametrize("shape, error", [((2, 24), ValueError), ((2, 0, 4800), ValueError),
                                          ((2, 24.0, 4800), TypeError), ("2,24,4800", ValueError)])
def test_trace_errors(shape, error):
    with pytest.raises(error):
        trace_shapes({}, shape)


def test_trace_reports_wrong_dimension():
    with pytest.raises(ValueError, match="Expected music features dimension 4800, got 4096"):
        trace_shapes({}, (2, 24, 4096))


def test_trace_rejects_other_models():
    with pytest.raises(TypeError, match="M2PEncoder"):
        trace_shapes(torch.nn.Linear(2, 2), (1, 2, 2))
