"""Exercises of notebook 01 · Music features.

    q1  the feature sample rate at 60 fps (fps x hop)
    q2  pose_frames(n_samples, sr, fps): the T rule, in exact integers
    q3  the context window that takes a 64-value descriptor to 4800
    q4  the column of the stacked [T, 4800] matrix that holds chroma C of the centre frame

Every reference answer is computed from the package (``DEFAULT_RECIPE``, ``num_pose_frames``),
so the checks follow the recipe if it ever changes.
"""

from __future__ import annotations

import numbers

from ..features import DEFAULT_RECIPE, num_pose_frames
from .core import Incorrect, Question, call_student, expect_equal

__all__ = ["q1", "q2", "q3", "q4"]

HOP = DEFAULT_RECIPE.hop  # 512 samples per STFT hop
DIM = DEFAULT_RECIPE.dim  # 4800


def _as_int(answer, what: str) -> int:
    """An int answer (a float with an integer value is accepted); anything else is Incorrect."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise Incorrect(f"{what}: expected a whole number, got {type(answer).__name__} {answer!r}")
    if answer != int(answer):
        raise Incorrect(f"{what}: expected a whole number, got {answer!r}")
    return int(answer)


# -----------------------------------------------------------------------------
# q1: the feature sample rate at 60 fps

Q1_FPS = 60


def _check_q1(answer) -> str:
    rate = _as_int(answer, "the feature sample rate")
    expected = Q1_FPS * HOP
    if rate == 30 * HOP:
        raise Incorrect(f"{rate} Hz is the rate for 30 fps. At {Q1_FPS} fps a pose frame lasts half as long, "
                        f"so {HOP} samples must fit in 1/{Q1_FPS} s.")
    if rate in (22050, 44100, 48000, 16000):
        raise Incorrect(f"{rate} Hz is a usual file rate, but the features are computed after resampling to "
                        f"a rate chosen so that one hop of {HOP} samples is one pose frame.")
    if rate == HOP:
        raise Incorrect(f"{HOP} is the hop in samples, not in samples per second: how many hops fit in one second?")
    expect_equal(rate, expected,
                 f"samples per second so that one hop of {HOP} samples is one pose frame at {Q1_FPS} fps")
    return f"{Q1_FPS} x {HOP} = {expected} Hz: one {HOP}-sample hop lasts exactly 1/{Q1_FPS} s."


q1 = Question(
    "q1",
    f"""At {Q1_FPS} fps (AI Choreographer's rate) with the same hop of {HOP} samples, which sample rate
    (in Hz, an int) makes one STFT hop exactly one pose frame?""",
    _check_q1,
    hint=[f"One pose frame lasts 1/{Q1_FPS} s and must hold exactly {HOP} samples.",
          "samples per second = frames per second x samples per frame."],
    solution=f"answer = {Q1_FPS} * {HOP}   # = {Q1_FPS * HOP} Hz",
    answer=lambda: Q1_FPS * HOP,
)


# -----------------------------------------------------------------------------
# q2: the T rule

# (n_samples, sr, fps, what the case catches)
Q2_CASES = [
    (24 * 22050, 22050, 30, "the default song, 24 s at 22050 Hz"),
    (165375, 22050, 30, "a 7.5 s clip at 22050 Hz"),
    (242329, 22050, 30, "a 10.99 s clip: 329.7 frames"),
    (90405, 22050, 30, "a 4.1 s clip: 123 frames exactly"),
    (44100 // 60, 44100, 60, "exactly one pose frame at 60 fps"),
    (48000 * 3 + 799, 48000, 60, "3 s and 799 samples at 48 kHz, 60 fps"),
]


def _reference_pose_frames(n_samples: int, sr: int, fps: int) -> int:
    return n_samples * fps // sr


def _check_q2(fn) -> str:
    for n_samples, sr, fps, case in Q2_CASES:
        got = call_student(fn, n_samples, sr, fps)
        expected = num_pose_frames(n_samples, sr, fps)
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            raise Incorrect(f"pose_frames({n_samples}, {sr}, {fps}) returned {got!r} ({type(got).__name__}); "
                            "T counts frames, so return an int (integer division // gives one).")
        if got == expected:
            continue
        exact = n_samples * fps / sr
        if got == round(exact):
            raise Incorrect(f"{case}: you rounded {exact:.2f} to {got}, but the last pose frame must lie wholly "
                            f"inside the clip: take the floor, {expected}.")
        if got == expected + 1:
            raise Incorrect(f"{case}: got {got}, one too many; did you count the STFT frame centred on the "
                            f"clip's very end (1 + ...)? T = floor(n * fps / sr) = {expected}.")
        if got == expected - 1 and exact == expected:
            raise Incorrect(f"{case}: got {got} instead of {expected}. {n_samples} * {fps} / {sr} is exactly "
                            f"{expected}, but in floating point n / sr * fps comes out a hair below it and int() "
                            f"cuts it to {got}. Multiply first and use integer division: n * fps // sr.")
        raise Incorrect(f"pose_frames({n_samples}, {sr}, {fps}) ({case}): expected {expected}, got {got}.")
    return "T = n_samples * fps // sr, exactly, even where floating point would slip."


q2 = Question(
    "q2",
    """Write pose_frames(n_samples, sr, fps) -> T: the number of pose frames of a clip of
    n_samples samples at sr Hz (the package's rule: the pose frames whose whole 1/fps interval
    lies inside the clip). A 7.5 s clip at 22050 Hz and 30 fps has 225.""",
    _check_q2,
    hint=["The clip lasts n_samples / sr seconds; each pose frame lasts 1 / fps seconds; a frame that is "
          "cut short by the end of the clip does not count.",
          "Stay in integers: multiply before you divide and use //, so that no float rounding can "
          "turn 123 into 122.99999 and then into 122."],
    solution="""def pose_frames(n_samples, sr, fps):
    return n_samples * fps // sr""",
    answer=lambda: _reference_pose_frames,
)


# -----------------------------------------------------------------------------
# q3: the context window for a 64-value descriptor

Q3_FRAME_DIM = 64


def _check_q3(answer) -> str:
    context = _as_int(answer, "the context window (frames)")
    if context == DEFAULT_RECIPE.context:
        raise Incorrect(f"{context} is the window for the {DEFAULT_RECIPE.frame_dim}-value descriptor; "
                        f"this one has {Q3_FRAME_DIM} values per frame.")
    if context == DIM - Q3_FRAME_DIM:
        raise Incorrect("Stacking multiplies: each frame in the window adds a whole descriptor, not one value.")
    if context * Q3_FRAME_DIM != DIM:
        raise Incorrect(f"{context} frames x {Q3_FRAME_DIM} values = {context * Q3_FRAME_DIM}, not {DIM}.")
    return (f"{context} frames x {Q3_FRAME_DIM} = {DIM}; at 30 fps the window spans {context / 30:.1f} s "
            f"instead of {DEFAULT_RECIPE.context / 30:.1f} s.")


q3 = Question(
    "q3",
    f"""Suppose you add 16 values to the {DEFAULT_RECIPE.frame_dim}-value descriptor, making
    {Q3_FRAME_DIM} values per frame. How many context frames must be stacked so that a row is
    still exactly {DIM} wide (no padding)?""",
    _check_q3,
    hint=["dim = frame_dim x context.", f"context = {DIM} / {Q3_FRAME_DIM}."],
    solution=(f"answer = {DIM} // {Q3_FRAME_DIM}   # = {DIM // Q3_FRAME_DIM} frames, "
              f"{DIM // Q3_FRAME_DIM / 30:.1f} s at 30 fps"),
    answer=lambda: DIM // Q3_FRAME_DIM,
)


# -----------------------------------------------------------------------------
# q4: which column holds chroma C of the centre frame

def _q4_parts() -> tuple[int, int, int]:
    """(centre offset index, values per frame, chroma's first column in one descriptor)."""
    return DEFAULT_RECIPE.context // 2, DEFAULT_RECIPE.frame_dim, DEFAULT_RECIPE.group_columns("chroma").start


def _check_q4(answer) -> str:
    column = _as_int(answer, "the column")
    centre, width, chroma = _q4_parts()
    expected = centre * width + chroma
    if column == chroma:
        raise Incorrect(f"Column {chroma} is chroma C of the frame at offset {-centre} (the window's first "
                        f"frame, {centre / 30:.2f} s earlier); the centre frame's block comes later in the row.")
    if column == centre * width:
        raise Incorrect(f"Column {column} starts the centre frame's block, which opens with MFCC 0; "
                        f"add chroma's position inside one descriptor.")
    if column == (centre - 1) * width + chroma:
        raise Incorrect(f"Off by one frame: the offsets run {-centre}..{DEFAULT_RECIPE.context - centre - 1}, so "
                        f"the centre (offset 0) is block number {centre}, counting from 0.")
    if column == centre + chroma:
        raise Incorrect(f"The blocks are offset-major: block j fills columns j * {width} .. j * {width} + "
                        f"{width - 1}, so multiply the block number by {width}.")
    if not 0 <= column < DIM:
        raise Incorrect(f"A row has columns 0..{DIM - 1}, got {column}.")
    expect_equal(column, expected, "the column of chroma C at offset 0")
    return f"{centre} x {width} + {chroma} = {expected}."


q4 = Question(
    "q4",
    f"""In the stacked matrix features[t, j * {DEFAULT_RECIPE.frame_dim} + k] holds value k of the frame at
    offset j - {DEFAULT_RECIPE.context // 2}. Which column of a row holds chroma C (the first chroma value)
    of the centre frame t itself?""",
    _check_q4,
    hint=[f"The centre frame has offset 0, so j = {DEFAULT_RECIPE.context // 2}.",
          "k is chroma's first column inside one 48-value descriptor: DEFAULT_RECIPE.group_columns('chroma').start."],
    solution="""centre = DEFAULT_RECIPE.context // 2                     # block 50
k = DEFAULT_RECIPE.group_columns("chroma").start          # 20 (after 20 MFCCs)
answer = centre * DEFAULT_RECIPE.frame_dim + k            # 50 * 48 + 20 = 2420""",
    answer=lambda: (lambda c, w, k: c * w + k)(*_q4_parts()),
)
