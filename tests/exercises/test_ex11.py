import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from m2p_course import attention_memory_bytes, stage_flops
from m2p_course.exercises import Outcome, ex11 as ex

# -----------------------------------------------------------------------------
# q1: linear_flops


def test_q1_reference_is_what_torch_counts():
    with torch.device("meta"):
        layer, x = nn.Linear(48, 20), torch.randn(3, 7, 48)
    counter = FlopCounterMode(display=False)
    with counter:
        layer(x)
    assert ex.q1.answer()(3, 7, 48, 20) == counter.get_total_flops()
    guide = stage_flops(5400)["projection"]
    assert guide == ex.q1.answer()(1, 5400, 4800, 2048) + ex.q1.answer()(1, 5400, 2048, 1024)


@pytest.mark.parametrize("fn", [
    ex.q1.answer(),
    lambda b, t, i, o: float(2 * b * t * i * o),
    lambda b, t, i, o: torch.tensor(2 * b * t * i * o),
])
def test_q1_accepts_equivalent_forms(fn):
    assert ex.q1.evaluate(fn).outcome is Outcome.CORRECT


@pytest.mark.parametrize("fn, message", [
    (lambda b, t, i, o: b * t * i * o, "multiply-adds (MACs)"),
    (lambda b, t, i, o: 2 * t * i * o, "left out the batch"),
    (lambda b, t, i, o: 2 * b * i * o, "left out T"),
    (lambda b, t, i, o: 2 * b * t * (i * o + o), "the bias"),
    (lambda b, t, i, o: 2 * b * t * (i + o), "not in + out"),
    (lambda b, t, i, o: 2 * b * t * i * i, "the weight is [out, in]"),
    (lambda b, t, i, o: 4 * b * t * i * o, "twice too many"),
    (lambda b, t, i, o: 2 * b * t * i * o + 1, "should be"),
    (lambda b, t, i, o: 2.5, "a whole number"),
    (lambda b, t, i, o: "many", "should be a number"),
])
def test_q1_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q1, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


# -----------------------------------------------------------------------------
# q2: scores_bytes


def test_q2_reference_matches_the_package_and_a_real_tensor():
    assert ex.q2.answer()(1, 8, 5400, torch.float32) == attention_memory_bytes(5400, 1, 8)
    scores = torch.empty(2, 4, 30, 30, dtype=torch.bfloat16)
    assert ex.q2.answer()(2, 4, 30, torch.bfloat16) == scores.untyped_storage().nbytes()


@pytest.mark.parametrize("fn, message", [
    (lambda b, h, t, d: b * h * t * t, "the number of scores"),
    (lambda b, h, t, d: b * h * t * t * 4, "always used 4 bytes"),
    (lambda b, h, t, d: b * h * t * d.itemsize, "T x T per head"),
    (lambda b, h, t, d: b * t * t * d.itemsize, "multiply by heads"),
    (lambda b, h, t, d: h * t * t * d.itemsize, "multiply by batch"),
    (lambda b, h, t, d: b * t * t * d.itemsize * 1024, "do not depend on the model's width"),
    (lambda b, h, t, d: b * h * t * t * d.itemsize * 8, "(bits)"),
    (lambda b, h, t, d: b * h * t * t * d.itemsize + 1, "should be"),
])
def test_q2_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q2, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


# -----------------------------------------------------------------------------
# q3: longest_window


def test_q3_reference_is_the_largest_that_fits():
    fn = ex.q3.answer()
    for budget, b, h, layers, dtype in ex.Q3_CASES:
        t, size = fn(budget, b, h, layers, dtype), torch.tensor([], dtype=dtype).element_size()
        assert layers * b * h * t * t * size <= budget < layers * b * h * (t + 1) ** 2 * size
    assert fn(16 * 10**9, 1, 8, 6, torch.float32) == 9128


@pytest.mark.parametrize("fn, message", [
    (lambda m, b, h, L, d: math.isqrt(m // (L * b * h * d.itemsize)) + 1, "round DOWN"),
    (lambda m, b, h, L, d: math.ceil(math.sqrt(m / (L * b * h * d.itemsize))), "round DOWN"),
    (lambda m, b, h, L, d: math.isqrt(m // (b * h * d.itemsize)), "ONE layer"),
    (lambda m, b, h, L, d: math.isqrt(m // (L * b * h)), "elements, not bytes"),
    (lambda m, b, h, L, d: m // (L * b * h * d.itemsize), "grow as T^2"),
    (lambda m, b, h, L, d: math.isqrt(m // (L * h * d.itemsize)), "divide by batch"),
    (lambda m, b, h, L, d: 3, "should be"),
])
def test_q3_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q3, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


# -----------------------------------------------------------------------------
# q4: scores_overtake_feed_forward


def test_q4_reference_is_where_stage_flops_cross():
    for d, ff in ex.Q4_CASES:
        t = ex.q4.answer()(d, ff)
        config = dict(hidden_dim=d, dim_feedforward=ff, num_heads=2, num_layers=1)
        at = stage_flops(t, **config)
        assert at["attention scores"] == at["feed-forward"]
        assert stage_flops(t + 1, **config)["attention scores"] > stage_flops(t + 1, **config)["feed-forward"]


@pytest.mark.parametrize("fn, message", [
    (lambda d, ff: 2 * d, "attention PROJECTIONS"),
    (lambda d, ff: 4 * d, "dim_feedforward is given"),
    (lambda d, ff: ff // 2, "TWO products per head"),
    (lambda d, ff: 2 * ff, "d -> ff and ff -> d"),
    (lambda d, ff: d, "solve for T"),
    (lambda d, ff: ff // d, "not ff/d"),
    (lambda d, ff: ff + 1, "should be"),
])
def test_q4_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q4, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result
