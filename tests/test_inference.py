"""Tests of chunked inference: windows, cross-fade weights, and the dance of a tiny spatial model."""

import numpy as np
import pytest
import torch

from m2p_course.inference import crossfade_plan, predict_dance
from m2p_course.model import M2PEncoder

WINDOW, OVERLAP = 120, 30  # predict_dance's defaults (TrainConfig.window)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return M2PEncoder(music_input_dim=8, hidden_dim=16, num_layers=1, num_heads=2, heatmap_size=(4, 4),
                      dropout=0).eval()


def features(num_frames, seed=0):
    return np.random.default_rng(seed).standard_normal((num_frames, 8)).astype(np.float32)


def one_pass(model, x):
    """The model on x [T, 8] in one forward pass: [T, 134, 2]."""
    with torch.no_grad():
        logits, _ = model(torch.as_tensor(x)[None])
        return model.get_pose_coordinates(logits)[0].numpy()


# ---------------------------------------------------------------- the plan

def test_plan_of_a_short_song_is_one_window():
    for num_frames in (1, 100, WINDOW):
        spans, weights = crossfade_plan(num_frames, WINDOW, OVERLAP)
        assert spans == [(0, num_frames)]
        np.testing.assert_array_equal(weights, np.ones((1, num_frames)))


def test_plan_of_three_and_a_half_windows():
    spans, weights = crossfade_plan(840, 240, 60)
    assert spans == [(0, 240), (180, 420), (360, 600), (540, 780), (720, 840)]   # the last one shorter
    assert weights.shape == (5, 840)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=0, atol=1e-12)      # every frame sums to 1
    for k, (start, stop) in enumerate(spans):
        assert (weights[k, :start] == 0).all() and (weights[k, stop:] == 0).all()
        assert (weights[k, start:stop] > 0).all()                                  # both windows count
    # shared frames 180..239: window 1 rises linearly 1/61 .. 60/61, window 0 falls
    np.testing.assert_allclose(weights[1, 180:240], np.arange(1, 61) / 61)
    np.testing.assert_allclose(weights[0, 180:240], 1 - np.arange(1, 61) / 61)
    assert (weights[1, 240:360] == 1).all()                                        # one window only
    # no jump: inside the song no weight changes by more than one ramp step from a frame to the next
    steps = np.abs(np.diff(weights, axis=1))
    assert steps.max() == pytest.approx(1 / 61)


def test_plan_without_overlap_is_a_hard_cut():
    spans, weights = crossfade_plan(500, 200, 0)
    assert spans == [(0, 200), (200, 400), (400, 500)]
    np.testing.assert_array_equal(weights.sum(axis=0), 1.0)
    assert set(np.unique(weights)) == {0.0, 1.0}


def test_the_last_window_is_longer_than_the_overlap():
    for num_frames in range(241, 700, 7):
        spans, _ = crossfade_plan(num_frames, WINDOW, OVERLAP)
        start, stop = spans[-1]
        assert stop == num_frames and stop - start > OVERLAP
        assert spans[-2][1] - start == OVERLAP


# ---------------------------------------------------------------- the dance

@pytest.mark.parametrize("num_frames", [100, WINDOW, 840])
def test_predict_dance_shapes(model, num_frames):
    poses = predict_dance(model, features(num_frames))
    assert poses.shape == (num_frames, 134, 2) and poses.dtype == np.float32
    assert np.isfinite(poses).all() and np.abs(poses).max() <= 1.0


@pytest.mark.parametrize("num_frames", [100, WINDOW])
def test_a_short_song_is_one_pass(model, num_frames):
    x = features(num_frames, seed=1)
    np.testing.assert_allclose(predict_dance(model, x), one_pass(model, x), atol=1e-6)
    np.testing.assert_allclose(predict_dance(model, torch.from_numpy(x)), one_pass(model, x), atol=1e-6)


def test_chunked_equals_each_window_alone_away_from_the_seams(model):
    x = features(840, seed=2)
    poses = predict_dance(model, x, window=240, overlap=60)
    spans, weights = crossfade_plan(840, 240, 60)
    alone = [one_pass(model, x[start:stop]) for start, stop in spans]           # the last is 120 frames
    for k, (start, _) in enumerate(spans):
        only = np.flatnonzero(weights[k] == 1)                                   # frames of window k only
        assert len(only) > 0
        np.testing.assert_allclose(poses[only], alone[k][only - start], atol=1e-5)
    # the shared frames are the linear blend of the two windows
    for k in range(len(spans) - 1):
        shared = np.arange(spans[k + 1][0], spans[k][1])
        a, b = alone[k][shared - spans[k][0]], alone[k + 1][shared - spans[k + 1][0]]
        alpha = weights[k + 1, shared][:, None, None]
        np.testing.assert_allclose(poses[shared], (1 - alpha) * a + alpha * b, atol=1e-5)
    # and the two windows really disagree there (so the blend matters)
    assert np.abs(alone[0][180:240] - alone[1][:60]).max() > 1e-3


def test_no_jump_at_the_seams(model):
    """Entering a shared stretch moves the dance by 1/(overlap + 1) of the windows' disagreement.

    At the first shared frame t the output is (60 a[t] + b[t]) / 61 after a[t - 1], so its jump is the
    window's own motion plus (b - a) / 61; a hard cut (out[t] = b[t]) would jump by the whole b[t] - a[t-1].
    """
    x = features(840, seed=3)
    poses = predict_dance(model, x)
    spans, _ = crossfade_plan(840, WINDOW, OVERLAP)
    for k in range(len(spans) - 1):
        a, b = one_pass(model, x[slice(*spans[k])]), one_pass(model, x[slice(*spans[k + 1])])
        for t in (spans[k + 1][0], spans[k][1]):                        # entering and leaving the shared frames
            ta, tb = t - spans[k][0], t - spans[k + 1][0]
            if t == spans[k][1]:                                         # leaving: last blend to b alone
                own = b[tb] - b[tb - 1]
                disagreement = b[tb - 1] - a[ta - 1]
            else:
                own = a[ta] - a[ta - 1]
                disagreement = b[tb] - a[ta]
            jump = poses[t] - poses[t - 1]
            np.testing.assert_allclose(jump, own + disagreement / (OVERLAP + 1), atol=1e-5)
            assert np.abs(jump - own).max() <= np.abs(disagreement).max() / (OVERLAP + 1) + 1e-5


def test_batch_size_and_input_kind_do_not_change_the_dance(model):
    x = features(1000, seed=4)
    reference = predict_dance(model, x, batch_size=8)
    np.testing.assert_allclose(predict_dance(model, x, batch_size=1), reference, atol=1e-5)
    np.testing.assert_allclose(predict_dance(model, x.astype(np.float64), batch_size=3), reference, atol=1e-5)
    np.testing.assert_allclose(predict_dance(model.double(), x, batch_size=2), reference, atol=1e-5)
    model.float()


def test_temperature_reaches_the_soft_argmax(model):
    x = features(50, seed=5)
    sharp, soft = predict_dance(model, x, temperature=0.1), predict_dance(model, x, temperature=10.0)
    assert np.abs(sharp).mean() > np.abs(soft).mean()       # a hot softmax pulls every joint to the centre


def test_runs_in_eval_mode_and_restores_every_flag():
    torch.manual_seed(0)
    model = M2PEncoder(music_input_dim=8, hidden_dim=16, num_layers=1, num_heads=2, heatmap_size=(4, 4),
                       dropout=0.5)
    model.train()
    model.face_head.eval()                                     # a mixed state, restored as it was
    x = features(300, seed=6)
    first, second = predict_dance(model, x), predict_dance(model, x)
    np.testing.assert_array_equal(first, second)              # no dropout: eval mode inside
    assert model.training and model.music_proj.training and not model.face_head.training
    model.eval()
    np.testing.assert_allclose(predict_dance(model, x), first, atol=1e-6)
    with pytest.raises(ValueError):
        predict_dance(model.train(), x[:, :4])
    assert model.training                                      # restored after an error too


# ---------------------------------------------------------------- errors

def test_the_guide_model_has_no_dance():
    guide = M2PEncoder(music_input_dim=8, hidden_dim=16, num_layers=1, num_heads=2)
    with pytest.raises(ValueError, match=r"spatial M2PEncoder \(built with heatmap_size=\(H, W\)\)"):
        predict_dance(guide, features(10))
    with pytest.raises(TypeError, match="model must be an M2PEncoder, got Linear"):
        predict_dance(torch.nn.Linear(8, 2), features(10))


@pytest.mark.parametrize("kwargs, err, msg", [
    (dict(music_features=[[0.0] * 8]), TypeError, r"numpy array or torch tensor \[T, 8\].*got list"),
    (dict(music_features=np.zeros((10, 8), dtype=np.int64)), TypeError, "floating-point array.*got dtype int64"),
    (dict(music_features=np.zeros((1, 10, 8), dtype=np.float32)), ValueError, "2-D .*3-D shape .*once per song"),
    (dict(music_features=np.zeros((10, 7), dtype=np.float32)), ValueError,
     r"music_input_dim is 8, got shape \(10, 7\)"),
    (dict(music_features=np.zeros((0, 8), dtype=np.float32)), ValueError, "at least one frame"),
    (dict(music_features=np.full((10, 8), np.nan, dtype=np.float32)), ValueError, "NaN or Inf"),
    (dict(overlap=120), ValueError, r"overlap must be smaller than window \(120 frames\), got overlap=120"),
    (dict(overlap=61), ValueError, "at most window // 2 = 60"),
    (dict(overlap=-1), ValueError, "overlap must be >= 0, got -1"),
    (dict(window=0), ValueError, "window must be a positive int"),
    (dict(window=24.0), TypeError, "window must be a positive int, got float"),
    (dict(batch_size=0), ValueError, "batch_size must be a positive int"),
    (dict(temperature=0), ValueError, "temperature must be a finite number > 0"),
])
def test_predict_dance_errors(model, kwargs, err, msg):
    args = dict(music_features=features(10)) | kwargs
    with pytest.raises(err, match=msg):
        predict_dance(model, **args)
    if set(kwargs) <= {"window", "overlap"}:                  # the plan checks them the same way
        with pytest.raises(err, match=msg):
            crossfade_plan(500, **kwargs)


def test_crossfade_plan_errors():
    with pytest.raises(ValueError, match="num_frames must be a positive int"):
        crossfade_plan(0)
