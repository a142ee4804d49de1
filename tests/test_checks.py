"""The shared input checks: what each accepts, what it returns, and its one message style."""

import math

import numpy as np
import pytest
import torch

from m2p_course.checks import (
    as_numpy_poses,
    check_frame_indices,
    check_int,
    check_music_features,
    check_padding_mask,
    check_positive_int,
    check_real,
    check_temperature,
    check_tensor,
)

# -----------------------------------------------------------------------------
# check_real


@pytest.mark.parametrize("value, low, high, kwargs, expected", [
    (0.5, 0, 1, {}, 0.5),
    (0, 0, 1, {}, 0.0),                      # closed ends are inside
    (1, 0, 1, {}, 1.0),
    (np.float32(0.25), 0, 1, {}, 0.25),      # NumPy scalars are numbers
    (np.int64(3), 1, None, {}, 3.0),
    (-1e9, None, 0, {}, -1e9),               # no lower bound
    (1e9, None, None, {}, 1e9),              # no bounds: any finite number
])
def test_check_real_accepts_and_returns_a_float(value, low, high, kwargs, expected):
    out = check_real(value, "x", low, high, **kwargs)
    assert out == expected and type(out) is float


@pytest.mark.parametrize("value, low, high, kwargs, message", [
    (1.0, 0, 1, dict(high_open=True), r"^dropout must be a finite number in \[0, 1\), got 1.0$"),
    (0.0, 0, 1, dict(low_open=True), r"^dropout must be a finite number in \(0, 1\], got 0.0$"),
    (0.0, 0, None, dict(low_open=True), r"^dropout must be a finite number > 0, got 0.0$"),
    (-0.5, 0, None, {}, r"^dropout must be a finite number >= 0, got -0.5$"),
    (3.0, None, 2.5, dict(high_open=True), r"^dropout must be a finite number < 2.5, got 3.0$"),
    (3.0, None, 2.5, {}, r"^dropout must be a finite number <= 2.5, got 3.0$"),
    (math.nan, None, None, {}, r"^dropout must be a finite number, got nan$"),
    (math.inf, 0, None, {}, r"^dropout must be a finite number >= 0, got inf$"),
    (-math.inf, None, None, {}, r"^dropout must be a finite number, got -inf$"),
])
def test_check_real_out_of_range_is_a_value_error(value, low, high, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_real(value, "dropout", low, high, **kwargs)


@pytest.mark.parametrize("value, came", [
    ("0.5", "str '0.5'"), (True, "bool True"), (None, "NoneType None"), (1j, r"complex 1j"),
    (torch.tensor(0.5), "Tensor"), ([0.5], r"list \[0.5\]"),
])
def test_check_real_rejects_what_is_not_a_real_number(value, came):
    with pytest.raises(TypeError, match=rf"^p must be a finite number in \[0, 1\], got {came}"):
        check_real(value, "p", 0, 1)


def test_check_temperature_is_check_real_above_zero():
    assert check_temperature(2) == 2.0 and type(check_temperature(2)) is float
    with pytest.raises(ValueError, match=r"^temperature must be a finite number > 0, got 0.0$"):
        check_temperature(0)
    with pytest.raises(TypeError, match=r"^temperature must be a finite number > 0, got str '1'$"):
        check_temperature("1")


# -----------------------------------------------------------------------------
# integers


def test_check_int_and_check_positive_int():
    assert check_int(np.int32(5), "n", 0, 10) == 5 and type(check_int(np.int32(5), "n")) is int
    with pytest.raises(ValueError, match=r"^n must be in \[0, 10\], got 11$"):
        check_int(11, "n", 0, 10)
    with pytest.raises(ValueError, match=r"^n must be >= 2, got 1$"):
        check_int(1, "n", 2)
    with pytest.raises(ValueError, match=r"^n must be <= 2, got 3$"):
        check_int(3, "n", None, 2)
    with pytest.raises(TypeError, match=r"^n must be an int, got bool True$"):
        check_int(True, "n")
    assert check_positive_int(np.int64(3), "n") == 3
    with pytest.raises(ValueError, match=r"^n must be a positive int \(> 0\), got 0$"):
        check_positive_int(0, "n")
    with pytest.raises(TypeError, match=r"^n must be a positive int, got float 2.0$"):
        check_positive_int(2.0, "n")


# -----------------------------------------------------------------------------
# check_frame_indices


@pytest.mark.parametrize("frames", [[0, 5, 9], np.array([0, 5, 9], dtype=np.int32), torch.tensor([0, 5, 9]),
                                    (0, 5, 9), range(0, 10, 5)])
def test_check_frame_indices_accepts_lists_arrays_and_tensors(frames):
    out = check_frame_indices(frames, "beats", 10)
    assert out.dtype == np.int64 and out.ndim == 1
    assert out.tolist() == list(np.asarray(frames if not isinstance(frames, range) else list(frames)))


def test_check_frame_indices_empty_and_fractional():
    empty = check_frame_indices([], "beats", 10)
    assert empty.shape == (0,) and empty.dtype == np.int64
    frac = check_frame_indices([0.5, 8.25], "beats", 10, integral=False)
    assert frac.dtype == np.float64 and frac.tolist() == [0.5, 8.25]
    assert check_frame_indices([3, 1000], "beats").tolist() == [3, 1000]     # no upper bound given


@pytest.mark.parametrize("frames, kwargs, error, message", [
    ([0, 10], {}, ValueError,
     r"^beats must be frame indices in \[0, 9\] \(a clip of 10 frames\), got values from 0 to 10$"),
    ([-1, 3], {}, ValueError, r"^beats must be frame indices in \[0, 9\] .*, got values from -1 to 3$"),
    ([1.5], {}, TypeError, r"^beats must be a 1-D sequence of frame indices \(ints\), got dtype float64$"),
    ([True, False], {}, TypeError, r"got dtype bool$"),
    ([[1, 2]], {}, ValueError, r"^beats must be a 1-D sequence of frame indices \(ints\), got shape \(1, 2\)$"),
    (3, {}, TypeError, r"^beats must be a 1-D sequence of frame indices \(ints\), got int 3$"),
    (None, {}, TypeError, r"got NoneType None$"),
    ("0 5", {}, TypeError, r"got str '0 5'$"),
    ([1.0, math.nan], dict(integral=False), ValueError, r"^beats must be finite frame indices, got 1 NaN/Inf$"),
    ([9.5], dict(integral=False), ValueError, r"in \[0, 9\] .*, got values from 9.5 to 9.5$"),
])
def test_check_frame_indices_errors(frames, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_frame_indices(frames, "beats", 10, **kwargs)


def test_check_frame_indices_without_num_frames_still_rejects_negatives():
    with pytest.raises(ValueError, match=r"^beats must be frame indices >= 0, got values from -2 to 4$"):
        check_frame_indices([4, -2], "beats")


# -----------------------------------------------------------------------------
# as_numpy_poses


def test_as_numpy_poses_converts_torch_and_dtypes():
    pose = torch.arange(12, dtype=torch.float64).reshape(2, 3, 2)
    out = as_numpy_poses(pose, "pose")
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out, pose.numpy().astype(np.float32))
    grad = torch.ones(3, 2, requires_grad=True) * 2                  # needs a detach
    assert as_numpy_poses(grad, "pose").tolist() == [[2.0, 2.0]] * 3
    half = torch.full((3, 2), 0.5, dtype=torch.bfloat16)               # numpy has no bfloat16
    assert as_numpy_poses(half, "pose", dtype=np.float64).dtype == np.float64
    ints = np.ones((3, 2), dtype=np.int16)
    assert as_numpy_poses(ints, "pose").dtype == np.float32
    same = np.zeros((3, 2), dtype=np.float32)
    assert as_numpy_poses(same, "pose") is same                        # no copy when nothing changes


@pytest.mark.parametrize("poses, error, message", [
    ([[0.0, 0.0]], TypeError, r"^poses must be a numpy array or torch tensor of coordinates, got list$"),
    (np.zeros((3, 2), dtype=bool), TypeError, r"^poses must hold real numbers \(float\), got dtype bool$"),
    (torch.zeros(3, 2, dtype=torch.bool), TypeError, r"got dtype torch.bool$"),
    (np.zeros((3, 2), dtype=np.complex64), TypeError, r"got dtype complex64$"),
    (np.array([[0.0, np.inf], [np.nan, 0.0]]), ValueError, r"^poses must be finite coordinates, got 2 NaN/Inf values$"),
])
def test_as_numpy_poses_errors(poses, error, message):
    with pytest.raises(error, match=message):
        as_numpy_poses(poses, "poses")


# -----------------------------------------------------------------------------
# tensors at the model's door


def test_check_tensor():
    x = torch.zeros(2, 3)
    assert check_tensor(x, "x", ndim=2) is x
    with pytest.raises(TypeError, match=r"^x must be a torch.Tensor, got ndarray$"):
        check_tensor(np.zeros(3), "x")
    with pytest.raises(ValueError, match=r"^x must have 3 dimensions, got 2 \(shape \(2, 3\)\)$"):
        check_tensor(x, "x", ndim=3)
    with pytest.raises(ValueError, match=r"^x must have at least 3 dimensions, got 2"):
        check_tensor(x, "x", min_ndim=3)
    with pytest.raises(TypeError, match=r"^x must be a floating-point tensor, got dtype torch.int64$"):
        check_tensor(torch.zeros(2, dtype=torch.long), "x")
    assert check_tensor(torch.zeros(2, dtype=torch.long), "x", floating=False).dtype == torch.long
    with pytest.raises(ValueError, match=r"^x contains NaN or Inf values$"):
        check_tensor(torch.tensor([0.0, math.inf]), "x")
    assert check_tensor(torch.tensor([math.nan]), "x", finite=False).isnan().all()
    meta = torch.empty(2, 3, device="meta")                             # no values to check on meta
    assert check_tensor(meta, "x", ndim=2) is meta


def test_check_music_features():
    x = torch.randn(2, 5, 48)
    assert check_music_features(x, 48) is x
    with pytest.raises(ValueError, match=r"^Expected music features dimension 48, got 35$"):   # the guide's message
        check_music_features(torch.randn(2, 5, 35), 48)
    with pytest.raises(ValueError, match=r"^music_features must be 3-D \[B, T, 48\], got 2-D shape \(5, 48\)$"):
        check_music_features(torch.randn(5, 48), 48)
    with pytest.raises(ValueError, match=r"^music_features needs B > 0 and T > 0, got shape \(2, 0, 48\)$"):
        check_music_features(torch.randn(2, 0, 48), 48)
    with pytest.raises(TypeError, match=r"^music_features must be a torch.Tensor \[B, T, 48\], got list$"):
        check_music_features([[0.0] * 48], 48)


def test_check_padding_mask():
    mask = torch.tensor([[False, True], [False, False]])
    assert check_padding_mask(mask, 2, 2) is mask
    with pytest.raises(ValueError, match=r"every frame as padded in batch row\(s\) \[1\]"):
        check_padding_mask(torch.tensor([[False, True], [True, True]]), 2, 2)
    with pytest.raises(TypeError,
                       match=r"^padding_mask must have dtype torch.bool \(True = padded frame\), got torch.int64$"):
        check_padding_mask(torch.zeros(2, 2, dtype=torch.long), 2, 2)
    with pytest.raises(ValueError, match=r"^padding_mask must have shape \[B, T\] = \(2, 3\), got \(2, 2\)$"):
        check_padding_mask(mask, 2, 3)
    assert check_padding_mask(torch.ones(2, 2, dtype=torch.bool, device="meta"), 2, 2).is_meta


@pytest.mark.parametrize("value", [True, False])
def test_check_bool_returns_a_bool(value):
    from m2p_course.checks import check_bool

    assert check_bool(value, "flag") is value


@pytest.mark.parametrize("value", [1, 0, "yes", None, np.bool_(True), torch.tensor(True)])
def test_check_bool_rejects_what_is_not_a_python_bool(value):
    from m2p_course.checks import check_bool

    with pytest.raises(TypeError, match=r"flag must be a bool, got "):
        check_bool(value, "flag")
