"""Notebook 06's exercises accept their solutions and catch the typical mistakes."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from m2p_course import PoseHead, count_parameters, index
from m2p_course.exercises import Outcome, ____, ex06 as ex


def test_q1_reference_is_the_real_index():
    assert ex.q1.answer() == index("right_hand_index_4") == 121


@pytest.mark.parametrize("answer, fragment", [
    (100, "LEFT hand"),
    (101, "in the LEFT hand (92-112)"),
    (92, "in the LEFT hand (92-112)"),
    (112, "in the LEFT hand (92-112)"),
    (113, "right hand's wrist"),
    (120, "starts with its wrist"),
    (122, "one too far"),
    (117, "thumb's tip"),
    (118, "base of the index finger"),
    (4, "body's right wrist"),
    (133, "PINKY"),
    (134, "from 0 to 133"),
    (-1, "from 0 to 133"),
    (50, "body, feet or face"),
    (125, "count from the right hand's wrist"),
    (121.0, "an int"),
    (True, "an int"),
    (np.True_, "an int"),
    (torch.tensor(True), "an int"),
    (torch.tensor(121.0), "an int"),
    (torch.tensor([121]), "an int"),
    ("121", "an int"),
])
def test_q1_rejects_typical_mistakes(answer, fragment, feedback):
    result = feedback(ex.q1, answer)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


@pytest.mark.parametrize("answer", [121, np.int64(121), np.int32(121), torch.tensor(121), index("right_hand_index_4")])
def test_q1_accepts_the_index_as_any_integer_type(answer, feedback):
    result = feedback(ex.q1, answer)
    assert result.outcome is Outcome.CORRECT
    assert "+ 1 (step past the wrist)" in result.message


def test_q2_reference_equals_pose_head_in_eval_mode():
    torch.manual_seed(0)
    head = PoseHead(hidden_dim=64).eval()
    h = torch.randn(3, 7, 64)
    weights = [p for layer in (head[0], head[3], head[6]) for p in (layer.weight, layer.bias)]
    with torch.no_grad():
        assert torch.allclose(ex.q2.answer()(h, *weights), head(h), atol=1e-6)


def _gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def _head(act=F.gelu, last=lambda y: y, biases=True, first=True, second=True):
    def fn(h, w1, b1, w2, b2, w3, b3):
        if not biases:
            b1 = b2 = b3 = 0
        a1 = act if first else (lambda x: x)
        a2 = act if second else (lambda x: x)
        return last(a2(a1(h @ w1.T + b1) @ w2.T + b2) @ w3.T + b3)
    return fn


def _dropout_in_eval(h, w1, b1, w2, b2, w3, b3):
    h = F.dropout(F.gelu(h @ w1.T + b1), 0.1, training=True)
    return F.gelu(h @ w2.T + b2) @ w3.T + b3


def _weights_not_transposed(h, w1, b1, w2, b2, w3, b3):
    return F.gelu(F.gelu(h @ w1 + b1) @ w2 + b2) @ w3 + b3


def _last_layer_forgotten(h, w1, b1, w2, b2, w3, b3):
    return F.gelu(F.gelu(h @ w1.T + b1) @ w2.T + b2)


@pytest.mark.parametrize("fn, fragment", [
    (_head(last=lambda y: torch.softmax(y, dim=-1)), "no softmax"),
    (_head(last=F.gelu), "no GELU after the last Linear"),
    (_head(act=torch.relu), "that is ReLU"),
    (_head(act=_gelu_tanh), "tanh approximation"),
    (_head(first=False, second=False), "the GELUs are missing"),
    (_head(first=False), "after the first Linear is missing"),
    (_head(second=False), "after the second Linear is missing"),
    (_head(biases=False), "adds its bias"),
    (_dropout_in_eval, "leave it out"),
    (_weights_not_transposed, "raised RuntimeError"),
    (_last_layer_forgotten, "expected shape"),
    (_head(last=lambda y: y * 1.5), "values differ"),
    (lambda h, *params: h.sum(-1), "expected shape"),
    (lambda h, *params: h.mean(), "expected shape"),
    (lambda h, *params: [0.0] * 134, "return a tensor"),
    ("pose_head", "expected a function"),
])
def test_q2_rejects_typical_mistakes(fn, fragment, feedback):
    result = feedback(ex.q2, fn)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


def test_q2_needs_one_frame_to_work_too(feedback):
    def batched_only(h, w1, b1, w2, b2, w3, b3):
        if h.dim() != 3:
            raise ValueError("expected [B, T, hidden]")
        return ex.q2.answer()(h, w1, b1, w2, b2, w3, b3)
    result = feedback(ex.q2, batched_only)
    assert result.outcome is Outcome.INCORRECT and "ValueError" in result.message
    assert "pose_head(one frame [32], ...)" in result.message and "single frame [hidden]" in result.message


def test_q2_names_a_hard_coded_1024(feedback):
    def hard_coded(h, w1, b1, w2, b2, w3, b3):
        flat = h.reshape(-1, 1024)
        return ex.q2.answer()(flat, w1, b1, w2, b2, w3, b3).reshape(*h.shape[:-1], 134)
    result = feedback(ex.q2, hard_coded)
    assert result.outcome is Outcome.INCORRECT and "RuntimeError" in result.message
    assert "hidden = 32" in result.message and "don't write 1024" in result.message


def test_q2_unpacking_three_dimensions_is_named(feedback):
    def three_dims(h, w1, b1, w2, b2, w3, b3):
        batch, frames, hidden = h.shape
        return ex.q2.answer()(h, w1, b1, w2, b2, w3, b3)
    result = feedback(ex.q2, three_dims)
    assert result.outcome is Outcome.INCORRECT and "single frame [hidden]" in result.message


def test_q2_unfinished_functions_are_not_attempted():
    def unfinished(h, w1, b1, w2, b2, w3, b3):
        raise NotImplementedError
    assert ex.q2.evaluate(unfinished).outcome is Outcome.NOT_ATTEMPTED
    assert ex.q2.evaluate(lambda *args: ____).outcome is Outcome.NOT_ATTEMPTED


def test_q3_reference_is_the_real_parameter_count():
    with torch.device("meta"):
        head = PoseHead(1024)
    assert ex.q3.answer() == count_parameters(head) == 690_566


@pytest.mark.parametrize("answer, fragment", [
    (1024 * 512 + 512 * 256 + 256 * 134, "only the weight matrices"),
    (1024 * 512 + 1024 + 512 * 256 + 512 + 256 * 134 + 256, "one number per OUTPUT"),
    (1024 * 512 + 512 + 512 * 256 + 256, "last Linear(256, 134) is missing"),
    (690_566 + 2 * 512 + 2 * 256, "no LayerNorm"),
    (1024 * 134 + 134, "single Linear(1024, 134)"),
    (690_000, "close but not exact"),
    (88_992_134, "far off"),
    (690_566.0, "an int"),
    (False, "an int"),
    (torch.tensor(690_566.0), "an int"),
    (str(690_566), "an int"),
])
def test_q3_rejects_typical_mistakes(answer, fragment, feedback):
    result = feedback(ex.q3, answer)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


@pytest.mark.parametrize("answer", [690_566, np.int64(690_566), torch.tensor(690_566)])
def test_q3_accepts_the_count_as_any_integer_type(answer):
    assert ex.q3.evaluate(answer).outcome is Outcome.CORRECT


def test_q3_reference_counts_what_the_guide_prints():
    assert ex.q3.answer() == sum(i * o + o for i, o in ((1024, 512), (512, 256), (256, 134)))
    assert math.isclose(ex.q3.answer() / 88_992_134, 0.00776, rel_tol=1e-2)
