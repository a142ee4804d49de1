import math

import pytest
import torch
from torch import nn

from m2p_course.attention import attention_memory_bytes
from m2p_course.exercises import Outcome, ____, ex04 as ex


def test_q1_function_returning_placeholder_is_not_attempted():
    def attention(q, k, v):
        return ____
    assert ex.q1.evaluate(attention).outcome is Outcome.NOT_ATTEMPTED


def test_q1_solution_text_runs_and_matches_torch():
    namespace = {"math": math, "torch": torch}
    exec(ex.q1._solution, namespace)
    q, k, v = torch.randn(2, 3, 8), torch.randn(2, 4, 8), torch.randn(2, 4, 5)
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(namespace["attention"](q, k, v), expected, atol=1e-5)
    assert ex.q1.evaluate(namespace["attention"]).outcome is Outcome.CORRECT


def scores(q, k):
    return q @ k.transpose(-2, -1)


@pytest.mark.parametrize("wrong, words", [
    (lambda q, k, v: torch.softmax(scores(q, k), -1) @ v, "sqrt(d_k)"),
    (lambda q, k, v: torch.softmax(scores(q, k) / q.size(-1), -1) @ v, "not by d_k"),
    (lambda q, k, v: torch.softmax(scores(q, k) / math.sqrt(q.size(-1)), -2) @ v, "dim=-1"),
    (lambda q, k, v: torch.softmax(scores(q, k) / math.sqrt(q.size(-1)), -1), "returned the weights"),
    (lambda q, k, v: (torch.softmax(scores(q, k) / math.sqrt(q.size(-1)), -1) @ v, None), "not a tuple"),
    (lambda q, k, v: scores(q, k) / math.sqrt(q.size(-1)) @ v, "values differ"),
    pytest.param(lambda q, k, v: torch.softmax(q @ k.T, -1) @ v, "raised",
                 marks=pytest.mark.filterwarnings("ignore:The use of `x.T`")),
    (lambda q, k, v: 3, "torch.Tensor"),
])
def test_q1_rejects_typical_mistakes(wrong, words, feedback):
    result = feedback(ex.q1, wrong)
    assert result.outcome is Outcome.INCORRECT and words in result.message


@pytest.mark.parametrize("wrong, words", [
    (torch.tensor([[True] * 6, [True] * 4 + [False] * 2]), "inverted"),
    (torch.tensor([[0.0] * 6, [0.0] * 4 + [1.0] * 2]), "torch.bool"),
    (torch.tensor([[False] * 6, [False] * 4 + [True] * 2]).T, "not [T, B]"),
    (torch.tensor([[False] * 6, [False] * 3 + [True] * 3]), "4 real frames"),
    (torch.zeros(2, 4, dtype=torch.bool), "expected shape (2, 6)"),
    ([[False] * 6, [False] * 4 + [True] * 2], "torch.Tensor"),
])
def test_q2_rejects_typical_mistakes(wrong, words, feedback):
    result = feedback(ex.q2, wrong)
    assert result.outcome is Outcome.INCORRECT and words in result.message


def test_q2_mask_is_what_nn_multihead_attention_uses():
    """The reference mask gives the padded keys zero weight in PyTorch's own attention."""
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = torch.randn(2, 6, 8)
    _, weights = mha(x, x, x, key_padding_mask=ex.q2.answer())
    assert torch.equal(weights[1, :, 4:], torch.zeros(6, 2))
    assert bool((weights[0] > 0).all())


def test_q3_answer_is_the_real_parameter_count():
    mha = nn.MultiheadAttention(1024, 8)
    assert ex.q3.answer() == sum(p.numel() for p in mha.parameters()) == 4_198_400


@pytest.mark.parametrize("wrong, words", [
    (4 * 1024 * 1024, "biases"),
    (3 * 1024 * 1024 + 3 * 1024, "output projection"),
    (8 * 4_198_400, "do not multiply"),
    (4_198_400 // 8, "one eighth"),
    (4_198_401, "expected 4198400"),
    (4_198_400.0, "expected an int"),
    ("4198400", "expected an int"),
])
def test_q3_rejects_typical_mistakes(wrong, words, feedback):
    result = feedback(ex.q3, wrong)
    assert result.outcome is Outcome.INCORRECT and words in result.message


def test_q4_answer_matches_attention_memory_bytes():
    assert ex.q4.answer() == attention_memory_bytes(5400, batch=1, heads=8, layers=6) == 5_598_720_000
    assert ex.q4.evaluate(5.59872e9).outcome is Outcome.CORRECT


@pytest.mark.parametrize("wrong, words", [
    (8 * 5400 ** 2 * 4, "one layer"),
    (6 * 5400 ** 2 * 4, "8 heads"),
    (6 * 8 * 5400 ** 2, "4 bytes"),
    (6 * 8 * 5400 * 4, "square"),
    (5.2, "expected 5598720000"),
    ("5.2 GiB", "number of bytes"),
])
def test_q4_rejects_typical_mistakes(wrong, words, feedback):
    result = feedback(ex.q4, wrong)
    assert result.outcome is Outcome.INCORRECT and words in result.message
