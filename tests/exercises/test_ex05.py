import pytest
import torch
import torch.nn.functional as F
from torch import nn

from m2p_course.exercises import Outcome, ____, ex05 as ex
from m2p_course.widgets.encoder_explorer import crossover_length, encoder_flops, encoder_layer_parameters


def attn(layer, x):
    return layer.self_attn(x, x, x, need_weights=False)[0]


def ff(layer, x, act=F.gelu):
    return layer.linear2(act(layer.linear1(x)))


def pre_norm(x, layer):
    x = x + attn(layer, layer.norm1(x))
    return x + ff(layer, layer.norm2(x))


def relu_layer(x, layer):
    x = layer.norm1(x + attn(layer, x))
    return layer.norm2(x + ff(layer, x, F.relu))


def no_attn_residual(x, layer):
    x = layer.norm1(attn(layer, x))
    return layer.norm2(x + ff(layer, x))


def no_ff_residual(x, layer):
    x = layer.norm1(x + attn(layer, x))
    return layer.norm2(ff(layer, x))


def swapped_norms(x, layer):
    x = layer.norm2(x + attn(layer, x))
    return layer.norm1(x + ff(layer, x))


def ff_reads_input(x, layer):
    h = layer.norm1(x + attn(layer, x))
    return layer.norm2(h + ff(layer, x))


def attention_only(x, layer):
    return layer.norm1(x + attn(layer, x))


def not_attempted(x, layer):
    return ____


@pytest.mark.parametrize("wrong, words", [
    (pre_norm, "pre-norm"),
    (relu_layer, "not ReLU"),
    (no_attn_residual, "residual around the attention"),
    (no_ff_residual, "residual around the feed-forward"),
    (swapped_norms, "other way round"),
    (ff_reads_input, "after norm1"),
    (attention_only, "values differ"),
    (lambda x, layer: x[0], "expected shape"),
    (lambda x, layer: "x", "torch.Tensor"),
])
def test_q1_rejects_typical_mistakes(wrong, words, feedback):
    result = feedback(ex.q1, wrong)
    assert result.outcome is Outcome.INCORRECT and words in result.message


def test_q1_placeholder_function_is_not_attempted():
    assert ex.q1.evaluate(not_attempted).outcome is Outcome.NOT_ATTEMPTED


def test_q1_reference_matches_the_guide_layer_at_full_size():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(1024, 8, 4096, 0.1, activation="gelu", batch_first=True).eval()
    x = torch.randn(1, 4, 1024)
    with torch.no_grad():
        assert torch.allclose(ex.q1.answer()(x, layer), layer(x), atol=1e-5)


def test_q2_answer_is_the_real_parameter_count():
    layer = nn.TransformerEncoderLayer(512, 8, 2048, batch_first=True)
    n = sum(p.numel() for p in layer.parameters())
    assert ex.q2.answer() == n == sum(encoder_layer_parameters(512, 8, 2048).values()) == 3_152_384


@pytest.mark.parametrize("wrong, words", [
    (3_152_384 - 4 * 512, "two LayerNorms"),
    (3_152_384 - 2 * 512, "weight AND a bias"),
    (3_152_384 - (4 * 512 + 2048 + 512), "biases of the four Linear"),
    (4 * 512 ** 2 + 2 * 512 * 2048, "only the weight matrices"),
    (3_152_384 - (512 * 512 + 512), "output projection"),
    (3_152_384 - (2048 * 512 + 512), "two Linear layers"),
    (3_152_384 + 7 * (4 * 512 * 512 + 4 * 512), "do not multiply"),
    (3_152_385, "expected 3152384"),
    (3.152384e6, "expected an int"),
])
def test_q2_rejects_typical_mistakes(wrong, words, feedback):
    result = feedback(ex.q2, wrong)
    assert result.outcome is Outcome.INCORRECT and words in result.message


def test_q3_answer_is_where_the_counts_cross():
    t = ex.q3.answer()
    assert t == crossover_length(1024, 4096) == 6144
    parts = encoder_flops(t, num_layers=1)
    assert parts["scores q k^T"] + parts["weights x v"] == \
        parts["q, k, v projections"] + parts["output projection"] + parts["feed-forward"]


@pytest.mark.parametrize("wrong, words", [
    (5120, "make 4 d^2"),
    (5632, "output projection"),
    (2048, "feed-forward"),
    (12288, "two T^2 products"),
    (1024, "not T = d"),
    (6000, "expected 6144"),
    ("6144", "number of frames"),
])
def test_q3_rejects_typical_mistakes(wrong, words, feedback):
    result = feedback(ex.q3, wrong)
    assert result.outcome is Outcome.INCORRECT and words in result.message


def test_checking_leaves_the_students_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ex.q1.evaluate(ex.q1.answer())
    assert torch.equal(torch.rand(3), expected)


def test_q1_solution_text_runs():
    namespace = {"F": F, "torch": torch}
    exec(ex.q1._solution, namespace)
    assert ex.q1.evaluate(namespace["my_encoder_layer"]).outcome is Outcome.CORRECT
