"""Exercises of notebook 00 (overview): reading the encoder's numbers.

    q1  numbers per frame: into the model and out of the pose head   (4800, 134)
    q2  parameters of the spatial pose head's last Linear             256 x 34304 + 34304
    q3  the shape of face_embed for B = 5, T = 300                    (5, 512)
    q4  values in one layer's attention matrices, B = 2, T = 5400     2 x 8 x 5400 x 5400
"""

from __future__ import annotations

import numpy as np
import torch

from ..i18n import N_, _
from .core import Incorrect, Question

__all__ = ["q1", "q2", "q3", "q4"]


# -----------------------------------------------------------------------------
# helpers: turn an answer into a plain int or tuple, and name the typical mistakes

def _as_int(answer, what: str) -> int:
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, np.integer)):
        raise Incorrect(_("{what}: expected a whole number (an int), got {type} {answer!r}").format(
            what=what, type=type(answer).__name__, answer=answer))
    return int(answer)


def _as_int_tuple(answer, length: int | None, what: str) -> tuple[int, ...]:
    if not isinstance(answer, (tuple, list, torch.Size)):
        raise Incorrect(_("{what}: expected a tuple of ints, got {type} {answer!r}").format(
            what=what, type=type(answer).__name__, answer=answer))
    values = tuple(_as_int(a, what) for a in answer)
    if length is not None and len(values) != length:
        raise Incorrect(_("{what}: expected {length} numbers, got {n_values}: {values}").format(
            what=what, length=length, n_values=len(values), values=values))
    return values


def _reject_known(value, mistakes: dict, what: str) -> None:
    if value in mistakes:
        raise Incorrect(_("{what}: {value!r} is not it. {mistakes}").format(
            what=what, value=value, mistakes=mistakes[value]))


def _expect(value, expected, what: str) -> None:
    if value != expected:
        raise Incorrect(_("{what}: {value!r} is not it; look at the pipeline figure and the shape table again.").format(
            what=what, value=value))


# -----------------------------------------------------------------------------
# q1: numbers per frame

def _check_q1(answer) -> None:
    what = _("(numbers in, numbers out) per frame")
    value = _as_int_tuple(answer, 2, what)
    _reject_known(value, {
        (134, 4800): _("You swapped them: the music goes in, the pose scores come out."),
        (1024, 134): _("1024 is the transformer's width, after the projection; the model takes the music features."),
        (4800, 1024): _("1024 is the width inside the model; the pose head turns it into one score per keypoint."),
        (4800, 268): _("The guide's pose head gives one score per keypoint, not an (x, y) pair: 134, not 134 x 2."),
        (4800, 133): _("COCO-WholeBody has 133 keypoints; DWPose adds a neck (the mean of the shoulders): 134."),
        (4800, 512): _("512 is the face embedding, and there is one per clip, not one per frame."),
        (4800, 646): _("Only the pose head's output is asked for; the face embedding is one per clip anyway."),
    }, what)
    _expect(value, (4800, 134), what)


q1 = Question(
    "q1",
    N_("""
    One frame of music goes into the encoder. How many numbers does that frame carry into the
    model, and how many numbers come out of the pose head for that frame?
    Answer a pair: (numbers_in, numbers_out).
    """),
    _check_q1,
    hint=[N_("Look at the last number of the input shape [B, T, ...] and of the pose logits [B, T, ...]."),
          N_("B and T say how many clips and how many frames; the last dimension is what one frame carries.")],
    solution=N_("""
    answer = (4800, 134)   # [B, T, 4800] in: Jukebox's width, as EDGE uses it
                           # [B, T, 134] out: one score per DWPose keypoint
    """),
    answer=lambda: (4800, 134),
    success=N_("4800 music numbers in, 134 keypoint scores out, for every frame."),
)


# -----------------------------------------------------------------------------
# q2: parameters of the spatial pose head's last Linear

QUARTER, KEYPOINTS, CELLS = 256, 134, 16 * 16
SPATIAL_OUT = KEYPOINTS * CELLS


def _check_q2(answer) -> None:
    what = _("parameters of Linear(256, 134 x 16 x 16)")
    value = _as_int(answer, what)
    _reject_known(value, {
        QUARTER * SPATIAL_OUT: _("You forgot the bias: each of the 134 x 16 x 16 outputs has one more parameter."),
        QUARTER * SPATIAL_OUT + QUARTER: _("The bias belongs to the outputs: 134 x 16 x 16 of them, not 256."),
        QUARTER * KEYPOINTS + KEYPOINTS: _("That is the guide's Linear(256, 134); the spatial one has an output "
                                           "for every cell of every keypoint's heatmap: 134 x 16 x 16."),
        QUARTER * CELLS + CELLS: _("One 16 x 16 heatmap for each of the 134 keypoints: 134 x 16 x 16 outputs."),
        QUARTER * 2 * KEYPOINTS + 2 * KEYPOINTS: _("The layer outputs heatmap logits, not (x, y): soft-argmax "
                                                   "makes the coordinates afterwards, with no parameters."),
        9_472_256: _("That is the whole spatial pose head; count only its last Linear."),
        9_472_256 - 690_566: _("That is how much the pose head grows; the question asks for the new layer itself."),
        QUARTER + SPATIAL_OUT: _("A Linear connects every input to every output: multiply, then add the bias."),
    }, what)
    _expect(value, QUARTER * SPATIAL_OUT + SPATIAL_OUT, what)


q2 = Question(
    "q2",
    N_("""
    The spatial model replaces the pose head's last layer, Linear(256, 134), by
    Linear(256, 134 * 16 * 16): one logit for every cell of every keypoint's 16 x 16 heatmap.
    How many parameters does this one layer have? (An int.)
    """),
    _check_q2,
    hint=[N_("A Linear layer computes y = x W^T + b: W is [out_features, in_features] and b has one number per "
             "output."),
          N_("out_features = 134 * 16 * 16 = 34,304; in_features = 256.")],
    solution=N_("""
    answer = 256 * (134 * 16 * 16) + 134 * 16 * 16   # weight [34304, 256] + bias [34304] = 8,816,128
    """),
    answer=lambda: QUARTER * SPATIAL_OUT + SPATIAL_OUT,
    success=N_("8,816,128: this one layer is almost 13 times the guide's whole pose head; notebook 07 weighs the "
               "price."),
)


# -----------------------------------------------------------------------------
# q3: the shape of face_embed

def _check_q3(answer) -> None:
    what = _("face_embed.shape for B = 5, T = 300")
    value = _as_int_tuple(answer, None, what)
    _reject_known(value, {
        (5, 300, 512): _("The face head first takes the mean over time: one embedding per clip, not per frame."),
        (300, 512): _("One embedding per clip: the batch dimension stays, the time dimension goes."),
        (5, 1024): _("1024 is the pooled transformer output; the face head maps it to 512."),
        (5, 300, 134): _("That is the pose logits; the question asks for the face embedding."),
        (512, 5): _("The batch comes first: [B, 512]."),
        (512,): _("The batch dimension stays: one embedding for each of the 5 clips."),
    }, what)
    _expect(value, (5, 512), what)


q3 = Question(
    "q3",
    N_("""
    A batch of B = 5 clips of T = 300 frames (10 seconds at 30 FPS) goes through the guide's model.
    What is face_embed.shape? Answer a tuple, e.g. (1, 2, 3).
    """),
    _check_q3,
    hint=[N_("The face head says who dances, for the whole clip: does one clip need one answer or 300?"),
          N_("Mean over time: [B, T, 1024] -> [B, 1024]; then 1024 -> 512 -> 512.")],
    solution=N_("""
    answer = (5, 512)   # mean over the 300 frames, then the MLP to 512, one unit vector per clip
    """),
    answer=lambda: (5, 512),
    success=N_("One 512-number identity per clip, whatever T is."),
)


# -----------------------------------------------------------------------------
# q4: the attention matrices of one layer

B4, T4, HEADS = 2, 5400, 8


def _check_q4(answer) -> None:
    what = _("values in one layer's attention matrices")
    value = _as_int(answer, what)
    scores = B4 * HEADS * T4 * T4
    _reject_known(value, {
        B4 * T4 * T4: _("Each of the 8 heads has its own T x T matrix."),
        HEADS * T4 * T4: _("Each of the 2 clips in the batch has its own matrices."),
        T4 * T4: _("That is one matrix; there is one per head and per clip."),
        scores * 4: _("That is the size in bytes (4 per float32); the question asks for the number of values."),
        scores * 6: _("That is all six layers; the question asks for one layer."),
        B4 * T4 * 1024: _("That is the size of the activations [B, T, 1024] (or of the queries [B, 8, T, 128]); "
                          "the attention weights pair every frame with every frame: T x T per head."),
    }, what)
    _expect(value, scores, what)


q4 = Question(
    "q4",
    N_("""
    Self-attention compares every frame with every frame: each head of each clip makes a T x T
    matrix of attention weights. For B = 2 clips of three minutes (T = 5400 at 30 FPS) and the
    guide's 8 heads, how many values are in ONE layer's attention matrices? (An int; the shape
    explorer's memory line will confirm it, in bytes.)
    """),
    _check_q4,
    hint=[N_("The attention weights of one layer have shape [B, heads, T, T]."),
          N_("Multiply the four numbers: 2 x 8 x 5400 x 5400.")],
    solution=N_("""
    answer = 2 * 8 * 5400 * 5400   # 466,560,000 values = 1.74 GiB in float32, for ONE layer
    """),
    answer=lambda: B4 * HEADS * T4 * T4,
    success=N_("466,560,000: it grows with T squared; notebook 04 shows what that costs, notebook 11 how to live "
               "with it."),
)
