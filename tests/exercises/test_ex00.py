import numpy as np
import pytest
import torch

from m2p_course.exercises import Outcome, ex00 as ex
from m2p_course.model import M2PEncoder


def test_answers_match_the_real_model():
    """The reference answers are facts about the package's model, not just numbers typed in."""
    with torch.device("meta"):
        model = M2PEncoder()
        pose, face = model(torch.empty(5, 300, 4800))
    assert ex.q1.answer() == (model.music_input_dim, pose.shape[-1])
    with torch.device("meta"):
        spatial_head = M2PEncoder(heatmap_size=(16, 16)).pose_head
    assert ex.q2.answer() == sum(p.numel() for p in spatial_head[-1].parameters())
    assert ex.q3.answer() == tuple(face.shape)
    layer = model.transformer.layers[0].self_attn
    assert ex.q4.answer() == 2 * layer.num_heads * 5400 * 5400


@pytest.mark.parametrize("answer", [(4800, 134), [4800, 134], (np.int64(4800), 134)])
def test_q1_accepts_equivalent_forms(answer):
    assert ex.q1.evaluate(answer).outcome is Outcome.CORRECT


@pytest.mark.parametrize("answer, message", [
    ((134, 4800), "swapped"),
    ((1024, 134), "transformer's width"),
    ((4800, 268), "not an (x, y) pair"),
    ((4800, 133), "adds a neck"),
    ((4800, 512), "face embedding"),
    ((4800, 134, 512), "expected 2 numbers"),
    (4800, "expected a tuple"),
    ((4800.0, 134), "expected a whole number"),
    ((4800, 100), "is not it"),
])
def test_q1_rejects_typical_mistakes(answer, message, feedback):
    result = feedback(ex.q1, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message


@pytest.mark.parametrize("answer, message", [
    (256 * 134 * 256, "forgot the bias"),
    (256 * 134 * 256 + 256, "not 256"),
    (256 * 134 + 134, "guide's Linear(256, 134)"),
    (256 * 256 + 256, "for each of the 134 keypoints"),
    (256 * 268 + 268, "not (x, y)"),
    (9_472_256, "whole spatial pose head"),
    (9_472_256 - 690_566, "how much the pose head grows"),
    (256 + 134 * 256, "multiply"),
    (8.816128e6, "whole number"),
    ("8816128", "whole number"),
    (8_816_127, "is not it"),
])
def test_q2_rejects_typical_mistakes(answer, message, feedback):
    result = feedback(ex.q2, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message


def test_q2_accepts_the_count_from_numel():
    with torch.device("meta"):
        head = M2PEncoder(heatmap_size=(16, 16)).pose_head
    assert ex.q2.evaluate(sum(p.numel() for p in head[-1].parameters())).outcome is Outcome.CORRECT


@pytest.mark.parametrize("answer", [(5, 512), [5, 512], torch.Size([5, 512])])
def test_q3_accepts_equivalent_forms(answer):
    assert ex.q3.evaluate(answer).outcome is Outcome.CORRECT


@pytest.mark.parametrize("answer, message", [
    ((5, 300, 512), "mean over time"),
    ((300, 512), "batch dimension stays"),
    ((5, 1024), "maps it to 512"),
    ((5, 300, 134), "pose logits"),
    ((512, 5), "batch comes first"),
    ((512,), "one embedding for each"),
    ("(5, 512)", "expected a tuple"),
    ((5, 256), "is not it"),
])
def test_q3_rejects_typical_mistakes(answer, message, feedback):
    result = feedback(ex.q3, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message


@pytest.mark.parametrize("answer, message", [
    (2 * 5400 * 5400, "8 heads"),
    (8 * 5400 * 5400, "2 clips"),
    (5400 * 5400, "one matrix"),
    (2 * 8 * 5400 * 5400 * 4, "bytes"),
    (6 * 2 * 8 * 5400 * 5400, "all six layers"),
    (2 * 8 * 5400 * 128, "queries"),
    (466_560_000.0, "whole number"),
    (466_560_001, "is not it"),
])
def test_q4_rejects_typical_mistakes(answer, message, feedback):
    result = feedback(ex.q4, answer)
    assert result.outcome is Outcome.INCORRECT and message in result.message
