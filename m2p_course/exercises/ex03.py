"""Exercises of notebook 03, the sinusoidal positional encoding.

q1  the longest wavelength of the guide's table, in frames      a number
q2  write sinusoidal_table(length, d_model)                     a function
q3  write shift(pe_row, k): PE[t + k] from PE[t] alone          a function
"""

from __future__ import annotations

import math

import torch

from ..i18n import N_, _
from ..positional import positional_encoding
from .core import Incorrect, Question, call_student, expect_shape

__all__ = ["q1", "q2", "q3"]

_BASE = 10000.0

# -----------------------------------------------------------------------------
# q1: the longest wavelength for d_model = 1024

_D = 1024
LONGEST_WAVELENGTH = 2 * math.pi * _BASE ** ((_D - 2) / _D)       # 61,711.7 frames

_WAVELENGTH_MISTAKES = (
    (2 * math.pi * _BASE, N_("that is the limit 2*pi*10000 which the wavelengths approach but never reach: the "
                             "last pair is dims (1022, 1023), so the exponent is 1022/1024.")),
    (_BASE ** ((_D - 2) / _D), N_("that is 1 / omega, frames per RADIAN; one full cycle is 2*pi radians.")),
    (_BASE ** (-(_D - 2) / _D), N_("that is the frequency omega (radians per frame); the wavelength is 2*pi / "
                                   "omega.")),
    (2 * math.pi * _BASE ** ((_D - 1) / _D), N_("the pair (1022, 1023) shares one frequency, whose exponent uses "
                                                "the even index: 2i / d_model = 1022 / 1024.")),
    (2 * math.pi * _BASE ** (511 / _D), N_("the exponent is 2i / d_model with 2i = 1022 (the dim), not i = 511 "
                                           "(the pair).")),
    (LONGEST_WAVELENGTH / 30, N_("that is in seconds (at 30 fps); the question asks for frames.")),
)


def _check_wavelength(answer) -> str:
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        raise Incorrect(_("expected a number of frames, got {type} {answer!r}").format(
            type=type(answer).__name__, answer=answer))
    if math.isclose(answer, LONGEST_WAVELENGTH, rel_tol=1e-3):
        return (_("{longest_wavelength:,.0f} frames = {value:.0f} minutes at 30 fps, while the shortest is 2*pi = "
                  "6.3 frames (0.21 s): from faster than a beat to longer than any song.").format(
            longest_wavelength=LONGEST_WAVELENGTH, value=LONGEST_WAVELENGTH / 30 / 60))
    for value, message in _WAVELENGTH_MISTAKES:
        if math.isclose(answer, value, rel_tol=1e-3):
            raise Incorrect(_(message))
    raise Incorrect(_("{answer:,.6g} frames is not it: pair i has frequency omega_i = 1 / 10000^(2i / d_model) and "
                      "wavelength 2*pi / omega_i; the last pair of 1024 dims is i = 511.").format(answer=answer))


q1 = Question(
    "q1",
    N_("""
    In the guide's table (d_model = 1024), how many frames long is one full cycle of the SLOWEST
    sin/cos pair, dims 1022 and 1023? Give a number (a float is fine).
    """),
    _check_wavelength,
    [N_("Pair i (dims 2i and 2i+1) turns at omega_i = 1 / 10000^(2i / d_model) radians per frame."),
     N_("A full cycle is 2*pi radians, so the wavelength is 2*pi / omega_i = 2*pi * 10000^(2i / d_model)."),
     N_("2 * math.pi * 10000 ** (1022 / 1024)")],
    N_("answer = 2 * math.pi * 10000 ** (1022 / 1024)   # about 61,712 frames, 34 minutes at 30 fps"),
    answer=lambda: LONGEST_WAVELENGTH,
)

# -----------------------------------------------------------------------------
# q2: sinusoidal_table(length, d_model)


def _table(length: int, d_model: int, omega_of_dim, sin_even: bool = True, start: int = 0) -> torch.Tensor:
    """A table built with a given frequency for every dim (for the typical mistakes)."""
    t = torch.arange(start, start + length, dtype=torch.float64).unsqueeze(1)
    angles = t * omega_of_dim(torch.arange(d_model, dtype=torch.float64))
    even, odd = (torch.sin, torch.cos) if sin_even else (torch.cos, torch.sin)
    table = torch.empty(length, d_model, dtype=torch.float64)
    table[:, 0::2] = even(angles[:, 0::2])
    table[:, 1::2] = odd(angles[:, 1::2])
    return table


def _table_variants(length: int, d_model: int):
    pair_omega = lambda dim: _BASE ** (-(dim - dim % 2) / d_model)   # noqa: E731  the right frequencies
    yield _("even dims get sin and odd dims get cos, not the other way round."), \
        _table(length, d_model, pair_omega, sin_even=False)
    yield _("dims 2i and 2i+1 form a pair with ONE frequency, 10000^(-2i / d_model); you gave the cos dim its own "
            "exponent (2i+1) / d_model."), _table(length, d_model, lambda dim: _BASE ** (-dim / d_model))
    yield _("the exponent is 2i / d_model where 2i is the even dim of the pair; you used the pair index i."), \
        _table(length, d_model, lambda dim: _BASE ** (-(dim // 2) / d_model))
    yield _("positions start at 0: the first row is PE[0] = [0, 1, 0, 1, ...]."), \
        _table(length, d_model, pair_omega, start=1)
    yield _("every odd dim must be a cos (you used sin everywhere)."), \
        torch.sin(torch.arange(length, dtype=torch.float64).unsqueeze(1)
                  * pair_omega(torch.arange(d_model, dtype=torch.float64)))
    right = _table(length, d_model, pair_omega)
    yield _("interleave the pairs (sin in dims 0, 2, 4, ...; cos in 1, 3, 5, ...), not [all sins | all cosines]."), \
        torch.cat([right[:, 0::2], right[:, 1::2]], dim=1)


def _check_table(fn) -> str:
    for length, d_model in ((24, 1024), (50, 16)):
        out = call_student(fn, length, d_model)
        if not isinstance(out, torch.Tensor):
            raise Incorrect(_("sinusoidal_table should return a tensor, got {type}").format(type=type(out).__name__))
        expect_shape(out, (length, d_model), f"sinusoidal_table({length}, {d_model})")
        expected = positional_encoding(length, d_model).double()
        out = out.detach().double().cpu()
        if not torch.allclose(out, expected, atol=1e-4):
            for message, variant in _table_variants(length, d_model):
                if torch.allclose(out, variant, atol=1e-4):
                    raise Incorrect(message)
            err = (out - expected).abs().max().item()
            raise Incorrect(_("sinusoidal_table({length}, {d_model}) differs from the package's table (largest "
                              "difference {err:.3g}).").format(length=length, d_model=d_model, err=err))
    return _("equal to m2p_course.positional_encoding.")


def _table_solution(length: int, d_model: int) -> torch.Tensor:
    t = torch.arange(length, dtype=torch.float32).unsqueeze(1)             # [T, 1]
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)                # [d/2]
    omega = 1.0 / _BASE ** (two_i / d_model)                                # [d/2]
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(t * omega)
    table[:, 1::2] = torch.cos(t * omega)
    return table


q2 = Question(
    "q2",
    N_("""
    Write sinusoidal_table(length, d_model) -> [length, d_model] (d_model even) with
    PE[t, 2i] = sin(t * omega_i), PE[t, 2i+1] = cos(t * omega_i), omega_i = 1 / 10000^(2i / d_model).
    """),
    _check_table,
    [N_("Positions as a column [T, 1] and frequencies as a row [d/2]: their product is every angle [T, d/2]."),
     N_("torch.arange(0, d_model, 2) gives the even dims 2i; fill table[:, 0::2] with sin and table[:, 1::2] with "
        "cos.")],
    N_("""
    def sinusoidal_table(length, d_model):
        t = torch.arange(length, dtype=torch.float32).unsqueeze(1)       # [T, 1]
        two_i = torch.arange(0, d_model, 2, dtype=torch.float32)          # [d/2]
        omega = 1.0 / 10000 ** (two_i / d_model)                          # [d/2]
        table = torch.zeros(length, d_model)
        table[:, 0::2] = torch.sin(t * omega)
        table[:, 1::2] = torch.cos(t * omega)
        return table
    """),
    answer=lambda: _table_solution,
)

# -----------------------------------------------------------------------------
# q3: shift(pe_row, k) = PE[t + k], a rotation of each pair


def _exact_row(t: int, d_model: int) -> torch.Tensor:
    omega = _BASE ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    row = torch.empty(d_model, dtype=torch.float64)
    row[0::2] = torch.sin(t * omega)
    row[1::2] = torch.cos(t * omega)
    return row


def _check_shift(fn) -> str:
    for d_model in (16, 1024):
        for t, k in ((0, 1), (5, 7), (17, -3), (40, 25)):
            out = call_student(fn, _exact_row(t, d_model).float(), k)
            if not isinstance(out, torch.Tensor):
                raise Incorrect(_("shift should return a tensor, got {type}").format(type=type(out).__name__))
            expect_shape(out, (d_model,), f"shift(PE[{t}] [{d_model}], {k})")
            out = out.detach().double().cpu()
            if torch.allclose(out, _exact_row(t + k, d_model), atol=1e-4):
                continue
            if torch.allclose(out, _exact_row(t - k, d_model), atol=1e-4):
                raise Incorrect(_("shift(PE[{t}], {k}) gave PE[{value}]: you rotated the wrong way. With s = "
                                  "sin(wt), c = cos(wt): sin(w(t+k)) = s cos(wk) + c sin(wk), cos(w(t+k)) = c "
                                  "cos(wk) - s sin(wk).").format(t=t, k=k, value=t - k))
            raise Incorrect(_("shift(PE[{t}], {k}) is not PE[{value}] (d_model={d_model}): rotate each (sin, cos) "
                              "pair by the angle k * omega_i of its own frequency.").format(
                t=t, k=k, value=t + k, d_model=d_model))
    return _("PE[t + k] is PE[t] rotated pair by pair by angles that depend on k only: a linear map M_k.")


def _shift_solution(pe_row: torch.Tensor, k: int) -> torch.Tensor:
    d_model = pe_row.shape[-1]
    omega = 1.0 / _BASE ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    cos_k, sin_k = torch.cos(k * omega).float(), torch.sin(k * omega).float()
    s, c = pe_row[0::2], pe_row[1::2]
    out = torch.empty_like(pe_row)
    out[0::2] = s * cos_k + c * sin_k          # sin(w(t + k))
    out[1::2] = c * cos_k - s * sin_k          # cos(w(t + k))
    return out


q3 = Question(
    "q3",
    N_("""
    Write shift(pe_row, k): given ONE row PE[t] ([d_model], d_model even) and an offset k (an int,
    maybe negative), return PE[t + k] without knowing t. Use the angle-addition formulas on each
    (sin, cos) pair.
    """),
    _check_shift,
    [N_("For pair i, s = PE[t, 2i] = sin(w t) and c = PE[t, 2i+1] = cos(w t), with w = 1 / 10000^(2i / d_model)."),
     N_("sin(a + b) = sin a cos b + cos a sin b;  cos(a + b) = cos a cos b - sin a sin b;  here a = w t, b = w k."),
     N_("out[0::2] = s * cos(k w) + c * sin(k w);  out[1::2] = c * cos(k w) - s * sin(k w)")],
    N_("""
    def shift(pe_row, k):
        d_model = pe_row.shape[-1]
        omega = 1.0 / 10000 ** (torch.arange(0, d_model, 2) / d_model)
        s, c = pe_row[0::2], pe_row[1::2]
        out = torch.empty_like(pe_row)
        out[0::2] = s * torch.cos(k * omega) + c * torch.sin(k * omega)   # sin(w (t + k))
        out[1::2] = c * torch.cos(k * omega) - s * torch.sin(k * omega)   # cos(w (t + k))
        return out
    """),
    answer=lambda: _shift_solution,
)
