import math

import numpy as np
import pytest
import torch
from torch import nn

from m2p_course.exercises import Outcome, ____, ex12 as ex
from m2p_course.inference import crossfade_plan
from m2p_course.train import _lr_factor

# -----------------------------------------------------------------------------
# q1: the adapter's parameters


def test_q1_reference_is_the_parameter_count_of_the_adapter():
    assert ex.q1.answer() == sum(p.numel() for p in nn.Linear(35, 4800).parameters()) == 172_800


@pytest.mark.parametrize("answer", [172_800, np.int64(172_800), torch.tensor(172_800)])
def test_q1_accepts_whole_numbers(answer):
    assert ex.q1.evaluate(answer).outcome is Outcome.CORRECT


@pytest.mark.parametrize("answer, message", [
    (35 * 4800, "weight matrix alone"),
    (35 * 4800 + 35, "OUTPUT feature (4800)"),
    (35 + 4800, "multiply"),
    (4096 * 4800 + 4800, "that is nn.Linear(4096, 4800)"),
    (35 * 4800 * 4, "BYTES"),
    (172_800 * 4, "BYTES"),
    (172_800.0, "exact whole number"),
    (True, "exact whole number"),
    ("172800", "exact whole number"),
    (1_000, "far off"),
    (172_000, "close but not exact"),
])
def test_q1_rejects_typical_mistakes(answer, message, feedback):
    result = feedback(ex.q1, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


# -----------------------------------------------------------------------------
# q2: num_windows


@pytest.mark.parametrize("case", [*ex._Q2_CASES, (5400, 120, 60), (240, 120, 30), (10, 4, 2)])
def test_q2_reference_counts_crossfade_plans_windows(case):
    spans, _ = crossfade_plan(*case)
    assert ex.q2.answer()(*case) == len(spans)


@pytest.mark.parametrize("fn", [
    ex.q2.answer(),
    lambda t, w, o: 1 if t <= w else 1 + math.ceil((t - w) / (w - o)),
    lambda t, w, o: len(crossfade_plan(t, w, o)[0]),
    lambda t, w, o: torch.tensor(ex.q2.answer()(t, w, o)),
])
def test_q2_accepts_equivalent_forms(fn):
    assert ex.q2.evaluate(fn).outcome is Outcome.CORRECT


@pytest.mark.parametrize("fn, message", [
    (lambda t, w, o: t // w, "ignores the overlap"),
    (lambda t, w, o: -(-t // w), "tiles the song without overlap"),
    (lambda t, w, o: t // (w - o), "counts window starts"),
    (lambda t, w, o: -(-t // (w - o)), "one window too many when the last one"),
    (lambda t, w, o: max(1, (t - w) // (w - o) + 1), "round UP"),
    (lambda t, w, o: 1 if t <= w else (t - w) // (w - o) + 2, "one window too many when the windows fit"),
    (lambda t, w, o: 0 if t <= w else ex.q2.answer()(t, w, o), "ONE window"),
    (lambda t, w, o: 3, "should be"),
    (lambda t, w, o: "sixty", "a whole number of windows"),
])
def test_q2_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q2, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


def test_q2_placeholder_returned_is_not_attempted():
    assert ex.q2.evaluate(lambda t, w, o: ____).outcome is Outcome.NOT_ATTEMPTED


# -----------------------------------------------------------------------------
# q3: warmup_factor


def test_q3_reference_is_the_warm_up_of_train_py():
    for step in range(10):
        assert ex.q3.answer()(step, 10) == pytest.approx(_lr_factor(step, 10, 1000))


@pytest.mark.parametrize("fn", [
    ex.q3.answer(),
    lambda s, w: min(1.0, (s + 1) / w),
    lambda s, w: torch.tensor(min(1.0, (s + 1) / w)),
])
def test_q3_accepts_equivalent_forms(fn):
    assert ex.q3.evaluate(fn).outcome is Outcome.CORRECT


@pytest.mark.parametrize("fn, message", [
    (lambda s, w: min(1.0, s / w), "factor of 0"),
    (lambda s, w: (s + 1) / w, "stay at 1.0"),
    (lambda s, w: min(1.0, (s + 2) / w), "off by one"),
    (lambda s, w: 1.0, "no warm-up"),
    (lambda s, w: min(1.0, (s + 1) / (2 * w)), "expected"),
    (lambda s, w: "1", "should return a number"),
    (lambda s, w: True, "should return a number"),
])
def test_q3_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q3, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


# -----------------------------------------------------------------------------
# q4: batch_norm_by_hand


def test_q4_reference_equals_torchs_batch_norm_in_training():
    x = ex._q4_input()
    norm = nn.BatchNorm1d(x.shape[-1]).train()
    expected = norm(x.transpose(1, 2)).transpose(1, 2)
    torch.testing.assert_close(ex.q4.answer()(x), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("fn", [
    ex.q4.answer(),
    lambda x: nn.BatchNorm1d(x.shape[-1])(x.transpose(1, 2)).transpose(1, 2),
    lambda x: torch.nn.functional.batch_norm(x.reshape(-1, x.shape[-1]), None, None, training=True).view_as(x),
    lambda x: ex._normalised(x.double(), (0, 1)),
])
def test_q4_accepts_equivalent_forms(fn):
    assert ex.q4.evaluate(fn).outcome is Outcome.CORRECT


def _in_place(x):
    return x.sub_(x.mean(dim=(0, 1), keepdim=True))


@pytest.mark.parametrize("fn, message", [
    (lambda x: nn.functional.layer_norm(x, x.shape[-1:]), "that is LayerNorm"),
    (lambda x: ex._normalised(x, (2,)), "that is LayerNorm"),
    (lambda x: ex._normalised(x, (1,)), "InstanceNorm"),
    (lambda x: ex._normalised(x, (0,)), "over the batch only"),
    (lambda x: ex._normalised(x, (0, 1), unbiased=True), "biased variance"),
    (lambda x: ex._normalised(x, (0, 1, 2)), "one mean and variance for everything"),
    (lambda x: (x - x.mean(dim=(0, 1), keepdim=True)) / x.std(dim=(0, 1), keepdim=True), "biased variance"),
    (lambda x: x - x.mean(dim=(0, 1), keepdim=True), "the values differ"),
    (lambda x: ex._normalised(x, (0, 1)).mean(dim=1), "the input's shape"),
    (lambda x: ex._normalised(x, (0, 1)).numpy(), "should return a tensor"),
    (_in_place, "in place"),
])
def test_q4_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q4, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


def test_q4_placeholder_returned_is_not_attempted():
    assert ex.q4.evaluate(lambda x: ____).outcome is Outcome.NOT_ATTEMPTED
