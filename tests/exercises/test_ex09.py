import numpy as np
import pytest
import torch

from m2p_course import M2PEncoder, masked_mean, pad_collate
from m2p_course.exercises import Outcome, ex09 as ex


def test_q1_answer_is_what_pad_collate_makes():
    items = [{"music": torch.zeros(n, 8), "pose": torch.zeros(n, 134, 2)} for n in (60, 150, 240)]
    mask = pad_collate(items)["padding_mask"]
    assert ex.q1.answer() == (tuple(mask.shape), int(mask.sum()))


@pytest.mark.parametrize("answer", [((3, 240), 270), [[3, 240], 270], (torch.Size([3, 240]), torch.tensor(270)),
                                    ((np.int64(3), 240), np.int64(270)),
                                    # a count computed with floats: 240 * 3 - 450.0, or mask.float().sum()
                                    ((3, 240), 270.0), ((3, 240), np.float64(270)), ((3, 240), torch.tensor(270.0))])
def test_q1_accepts_equivalent_forms(answer):
    assert ex.q1.evaluate(answer).outcome is Outcome.CORRECT


@pytest.mark.parametrize("answer, message", [
    (((240, 3), 270), "batch comes first"),
    (((3, 240, 4800), 270), "no feature axis"),
    (((3, 450), 270), "LONGEST clip"),
    (((3, 8), 270), "not seconds"),
    (((3, 60), 270), "nothing is cut"),
    (((3, 100), 270), "One row per clip"),
    (((3, 240), 450), "REAL frames"),
    (((3, 240), 720), "every entry"),
    (((3, 240), 180), "middle clip"),
    (((3, 240), 9), "not seconds"),
    (((3, 240), 240), "needs no padding"),
    (((3, 240), 271), "add them up"),
    (((3, 240), 270.5), "whole number"),
    (((3, 240), float("nan")), "whole number"),
    (((3, 240), True), "whole number"),
    (((3.0, 240), 270), "whole number"),
    (((3, 240),), "expected a pair"),
    (("3, 240", 270), "expected a tuple"),
])
def test_q1_rejects_typical_mistakes(answer, message, feedback):
    result = feedback(ex.q1, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


def test_q2_reference_is_the_package_masked_mean_and_the_face_head_pooling():
    h, mask = ex._q2_inputs()
    assert torch.allclose(ex.q2.answer()(h, mask), masked_mean(h, mask), atol=1e-6)
    # and the face embedding of a padded clip equals that of the clip alone, as the success message says
    torch.manual_seed(0)
    model = M2PEncoder(music_input_dim=8, hidden_dim=16, num_heads=2, num_layers=1).eval()
    x = torch.randn(1, 5, 8)
    padded = torch.cat([x, torch.zeros(1, 3, 8)], dim=1)
    mask = torch.tensor([[False] * 5 + [True] * 3])
    with torch.no_grad():
        assert torch.allclose(model(padded, padding_mask=mask)[1], model(x)[1], atol=1e-5)


def _double(h, mask):
    valid = (~mask).unsqueeze(-1).double()                     # float64 throughout: a correct answer
    return (h.double() * valid).sum(dim=1) / valid.sum(dim=1)


@pytest.mark.parametrize("fn", [
    ex.q2.answer(),
    _double,
    lambda h, m: h.masked_fill(m.unsqueeze(-1), 0.0).sum(1) / (~m).sum(1, keepdim=True),
    lambda h, m: torch.stack([h[b][~m[b]].mean(dim=0) for b in range(h.shape[0])]),
])
def test_q2_accepts_equivalent_forms(fn):
    assert ex.q2.evaluate(fn).outcome is Outcome.CORRECT


def _in_place(h, mask):
    h.masked_fill_(mask.unsqueeze(-1), 0.0)
    return h.sum(1) / (~mask).sum(1, keepdim=True)


@pytest.mark.parametrize("fn, message", [
    (lambda h, m: h.mean(dim=1), "plain mean"),
    (lambda h, m: (h * (~m).unsqueeze(-1)).sum(1) / h.shape[1], "divided by T_max"),
    (lambda h, m: (h * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True), "PADDED frames"),
    (lambda h, m: (h * (~m).unsqueeze(-1)).sum(1), "sum over the real frames"),
    (lambda h, m: (h * (~m).unsqueeze(-1)).sum(1, keepdim=True) / (~m).sum(1)[:, None, None], "keepdim"),
    # the count without keepdim: [B, C] / [B] does not broadcast
    (lambda h, m: (h * (~m).unsqueeze(-1)).sum(1) / (~m).sum(1), "sum(dim=1, keepdim=True)"),
    (lambda h, m: (h * (~m).unsqueeze(-1)).sum(1).long(), "floating-point"),
    (lambda h, m: h.double().mean(dim=1), "plain mean"),           # float64 and wrong: still named
    (lambda h, m: h.mean(dim=-1), "over the features"),
    (lambda h, m: h.mean(dim=0), "over the batch"),
    (lambda h, m: h[:, 0], "largest difference"),
    (_in_place, "in place"),
    (lambda h, m: h.numpy().mean(1), "should return a tensor"),
    (lambda h, m: 1 / 0, "raised ZeroDivisionError"),
    ("not a function", "expected a function"),
])
def test_q2_rejects_typical_mistakes(fn, message, feedback):
    result = feedback(ex.q2, fn)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result


def test_q2_placeholder_returned_is_not_attempted():
    from m2p_course.exercises import ____
    assert ex.q2.evaluate(lambda h, m: ____).outcome is Outcome.NOT_ATTEMPTED


def test_q3_answer_matches_the_batch_explorer_memory():
    from m2p_course.widgets import batch_memory
    short, long = batch_memory([240]).rows, batch_memory([5400]).rows
    hidden = next(i for i, row in enumerate(short) if row.name.startswith("hidden"))
    attention = next(i for i, row in enumerate(short) if row.name.startswith("attention"))
    growth = (long[hidden].padded / short[hidden].padded, long[attention].padded / short[attention].padded)
    assert ex.q3.answer() == pytest.approx(growth)


@pytest.mark.parametrize("answer", [(22.5, 506.25), [22.5, 506.25], (5400 / 240, (5400 / 240) ** 2),
                                    (torch.tensor(22.5), np.float64(506.25))])
def test_q3_accepts_equivalent_forms(answer):
    assert ex.q3.evaluate(answer).outcome is Outcome.CORRECT


@pytest.mark.parametrize("answer, message", [
    ((22.5, 22.5), "T twice"),
    ((506.25, 506.25), "T once"),
    ((506.25, 22.5), "swapped"),
    ((22.5, 45), "not doubled"),
    ((5160, 5160 ** 2), "not a difference"),
    ((20, 506.25), "hidden states growth 20"),
    ((22.5, 500), "attention growth 500"),
    (("22.5", 506.25), "expected a number"),
    ((22.5,), "expected a pair"),
    (22.5, "expected a pair"),
])
def test_q3_rejects_typical_mistakes(answer, message, feedback):
    result = feedback(ex.q3, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message, result
