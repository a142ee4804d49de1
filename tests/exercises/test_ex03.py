"""Notebook 03's exercises accept their solutions and catch the typical mistakes."""

import math

import pytest
import torch

from m2p_course import positional_encoding
from m2p_course.exercises import Outcome, ex03 as ex


def test_q1_reference_matches_the_package_table():
    # dims 1022 and 1023 of the package's table are sin and cos of 2*pi*t / wavelength
    wavelength = ex.q1.answer()
    t = torch.tensor([0.0, 1000.0, 5000.0])
    pe = positional_encoding(5001, 1024)[t.long()]
    angle = 2 * math.pi * t.double() / wavelength
    assert torch.allclose(pe[:, 1022].double(), torch.sin(angle), atol=1e-5)
    assert torch.allclose(pe[:, 1023].double(), torch.cos(angle), atol=1e-5)


@pytest.mark.parametrize("answer, fragment", [
    (2 * math.pi * 10000, "never reach"),
    (10000 ** (1022 / 1024), "frames per RADIAN"),
    (10000 ** (-1022 / 1024), "the frequency omega"),
    (2 * math.pi * 10000 ** (1023 / 1024), "even index"),
    (2 * math.pi * 10000 ** (511 / 1024), "not i = 511"),
    (2 * math.pi * 10000 ** (1022 / 1024) / 30, "in seconds"),
    (6.283, "is not it"),
    ("61712", "expected a number"),
    (True, "expected a number"),
])
def test_q1_rejects_typical_mistakes(answer, fragment, feedback):
    result = feedback(ex.q1, answer)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


def test_q1_accepts_a_rounded_value_and_a_tensor():
    assert ex.q1.evaluate(61712).outcome is Outcome.CORRECT
    assert ex.q1.evaluate(torch.tensor(61711.7)).outcome is Outcome.CORRECT


def _table(length, d_model, *, swap=False, own_exponent=False, pair_index=False, start=0, all_sin=False,
           halves=False):
    t = torch.arange(start, start + length, dtype=torch.float32).unsqueeze(1)
    dims = torch.arange(d_model, dtype=torch.float32)
    if own_exponent:
        exponent = dims
    elif pair_index:
        exponent = torch.div(dims, 2, rounding_mode="floor")
    else:
        exponent = dims - dims % 2
    angles = t / 10000 ** (exponent / d_model)
    if all_sin:
        return torch.sin(angles)
    table = torch.empty(length, d_model)
    table[:, 0::2] = (torch.cos if swap else torch.sin)(angles[:, 0::2])
    table[:, 1::2] = (torch.sin if swap else torch.cos)(angles[:, 1::2])
    if halves:
        table = torch.cat([table[:, 0::2], table[:, 1::2]], dim=1)
    return table


@pytest.mark.parametrize("fn, fragment", [
    (lambda length, d: _table(length, d, swap=True), "not the other way round"),
    (lambda length, d: _table(length, d, own_exponent=True), "ONE frequency"),
    (lambda length, d: _table(length, d, pair_index=True), "pair index i"),
    (lambda length, d: _table(length, d, start=1), "positions start at 0"),
    (lambda length, d: _table(length, d, all_sin=True), "must be a cos"),
    (lambda length, d: _table(length, d, halves=True), "interleave"),
    (lambda length, d: _table(length, d).T, "expected shape"),
    (lambda length, d: torch.zeros(length, d), "differs from the package's table"),
    (lambda length, d: _table(length, d).tolist(), "should return a tensor"),
])
def test_q2_rejects_typical_mistakes(fn, fragment, feedback):
    result = feedback(ex.q2, fn)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


def test_q2_accepts_a_float64_table():
    assert ex.q2.evaluate(lambda length, d: _table(length, d).double()).outcome is Outcome.CORRECT


def _rotate(pe_row, k, sign):
    d_model = pe_row.shape[-1]
    omega = 10000 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    angle = sign * k * omega
    s, c = pe_row[0::2].double(), pe_row[1::2].double()
    out = torch.empty(d_model, dtype=torch.float64)
    out[0::2] = s * torch.cos(angle) + c * torch.sin(angle)
    out[1::2] = c * torch.cos(angle) - s * torch.sin(angle)
    return out


def _shift_one_frequency(pe_row, k):
    out = pe_row.clone()
    s, c = pe_row[0::2], pe_row[1::2]
    out[0::2] = s * math.cos(k) + c * math.sin(k)        # every pair rotated by pair 0's angle
    out[1::2] = c * math.cos(k) - s * math.sin(k)
    return out


@pytest.mark.parametrize("fn, fragment", [
    (lambda pe_row, k: _rotate(pe_row, k, -1), "the wrong way"),
    (_shift_one_frequency, "its own frequency"),
    (lambda pe_row, k: pe_row, "is not PE["),
    (lambda pe_row, k: pe_row[:-1], "expected shape"),
    (lambda pe_row, k: 0, "should return a tensor"),
])
def test_q3_rejects_typical_mistakes(fn, fragment, feedback):
    result = feedback(ex.q3, fn)
    assert result.outcome is Outcome.INCORRECT
    assert fragment in result.message


def test_q3_accepts_a_float64_rotation():
    assert ex.q3.evaluate(lambda pe_row, k: _rotate(pe_row, k, +1)).outcome is Outcome.CORRECT
