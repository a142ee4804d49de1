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
from ..i18n import N_, _
from .core import Incorrect, Question, call_student, expect_equal

__all__ = ["q1", "q2", "q3", "q4"]

HOP = DEFAULT_RECIPE.hop  # 512 samples per STFT hop
DIM = DEFAULT_RECIPE.dim  # 4800


def _as_int(answer, what: str) -> int:
    """An int answer (a float with an integer value is accepted); anything else is Incorrect."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise Incorrect(_("{what}: expected a whole number, got {type} {answer!r}").format(
            what=what, type=type(answer).__name__, answer=answer))
    if answer != int(answer):
        raise Incorrect(_("{what}: expected a whole number, got {answer!r}").format(what=what, answer=answer))
    return int(answer)


# -----------------------------------------------------------------------------
# q1: the feature sample rate at 60 fps

Q1_FPS = 60


def _check_q1(answer) -> str:
    rate = _as_int(answer, _("the feature sample rate"))
    expected = Q1_FPS * HOP
    if rate == 30 * HOP:
        raise Incorrect(_("{rate} Hz is the rate for 30 fps. At {q1_fps} fps a pose frame lasts half as long, so "
                          "{hop} samples must fit in 1/{q1_fps} s.").format(rate=rate, q1_fps=Q1_FPS, hop=HOP))
    if rate in (22050, 44100, 48000, 16000):
        raise Incorrect(_("{rate} Hz is a usual file rate, but the features are computed after resampling to a "
                          "rate chosen so that one hop of {hop} samples is one pose frame.").format(
            rate=rate, hop=HOP))
    if rate == HOP:
        raise Incorrect(_("{hop} is the hop in samples, not in samples per second: how many hops fit in one "
                          "second?").format(hop=HOP))
    expect_equal(rate, expected,
                 _("samples per second so that one hop of {hop} samples is one pose frame at {q1_fps} fps").format(
                     hop=HOP, q1_fps=Q1_FPS))
    return _("{q1_fps} x {hop} = {expected} Hz: one {hop}-sample hop lasts exactly 1/{q1_fps} s.").format(
        q1_fps=Q1_FPS, hop=HOP, expected=expected)


q1 = Question(
    "q1",
    N_("""
    At {fps} fps (AI Choreographer's rate) with the same hop of {hop} samples, which sample rate
    (in Hz, an int) makes one STFT hop exactly one pose frame?
    """),
    _check_q1,
    hint=[N_("One pose frame lasts 1/{fps} s and must hold exactly {hop} samples."),
          N_("samples per second = frames per second x samples per frame.")],
    solution=N_("answer = {fps} * {hop}   # = {rate} Hz"),
    answer=lambda: Q1_FPS * HOP,
    values=dict(fps=Q1_FPS, hop=HOP, rate=Q1_FPS * HOP),
)


# -----------------------------------------------------------------------------
# q2: the T rule

# (n_samples, sr, fps, what the case catches)
Q2_CASES = [
    (24 * 22050, 22050, 30, N_("the default song, 24 s at 22050 Hz")),
    (165375, 22050, 30, N_("a 7.5 s clip at 22050 Hz")),
    (242329, 22050, 30, N_("a 10.99 s clip: 329.7 frames")),
    (90405, 22050, 30, N_("a 4.1 s clip: 123 frames exactly")),
    (44100 // 60, 44100, 60, N_("exactly one pose frame at 60 fps")),
    (48000 * 3 + 799, 48000, 60, N_("3 s and 799 samples at 48 kHz, 60 fps")),
]


def _reference_pose_frames(n_samples: int, sr: int, fps: int) -> int:
    return n_samples * fps // sr


def _check_q2(fn) -> str:
    for n_samples, sr, fps, case in Q2_CASES:
        case = _(case)
        got = call_student(fn, n_samples, sr, fps)
        expected = num_pose_frames(n_samples, sr, fps)
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            raise Incorrect(_("pose_frames({n_samples}, {sr}, {fps}) returned {got!r} ({type}); T counts frames, "
                              "so return an int (integer division // gives one).").format(
                n_samples=n_samples, sr=sr, fps=fps, got=got, type=type(got).__name__))
        if got == expected:
            continue
        exact = n_samples * fps / sr
        if got == round(exact):
            raise Incorrect(_("{case}: you rounded {exact:.2f} to {got}, but the last pose frame must lie wholly "
                              "inside the clip: take the floor, {expected}.").format(
                case=case, exact=exact, got=got, expected=expected))
        if got == expected + 1:
            raise Incorrect(_("{case}: got {got}, one too many; did you count the STFT frame centred on the clip's "
                              "very end (1 + ...)? T = floor(n * fps / sr) = {expected}.").format(
                case=case, got=got, expected=expected))
        if got == expected - 1 and exact == expected:
            raise Incorrect(_("{case}: got {got} instead of {expected}. {n_samples} * {fps} / {sr} is exactly "
                              "{expected}, but in floating point n / sr * fps comes out a hair below it and int() "
                              "cuts it to {got}. Multiply first and use integer division: n * fps // sr.").format(
                case=case, got=got, expected=expected, n_samples=n_samples, fps=fps, sr=sr))
        raise Incorrect(_("pose_frames({n_samples}, {sr}, {fps}) ({case}): expected {expected}, got {got}.").format(
            n_samples=n_samples, sr=sr, fps=fps, case=case, expected=expected, got=got))
    return _("T = n_samples * fps // sr, exactly, even where floating point would slip.")


q2 = Question(
    "q2",
    N_("""Write pose_frames(n_samples, sr, fps) -> T: the number of pose frames of a clip of
    n_samples samples at sr Hz (the package's rule: the pose frames whose whole 1/fps interval
    lies inside the clip). A 7.5 s clip at 22050 Hz and 30 fps has 225."""),
    _check_q2,
    hint=[N_("The clip lasts n_samples / sr seconds; each pose frame lasts 1 / fps seconds; a frame that is cut "
             "short by the end of the clip does not count."),
          N_("Stay in integers: multiply before you divide and use //, so that no float rounding can turn 123 into "
             "122.99999 and then into 122.")],
    solution=N_("""def pose_frames(n_samples, sr, fps):
    return n_samples * fps // sr"""),
    answer=lambda: _reference_pose_frames,
)


# -----------------------------------------------------------------------------
# q3: the context window for a 64-value descriptor

Q3_FRAME_DIM = 64


def _check_q3(answer) -> str:
    context = _as_int(answer, _("the context window (frames)"))
    if context == DEFAULT_RECIPE.context:
        raise Incorrect(_("{context} is the window for the {frame_dim}-value descriptor; this one has "
                          "{q3_frame_dim} values per frame.").format(
            context=context, frame_dim=DEFAULT_RECIPE.frame_dim, q3_frame_dim=Q3_FRAME_DIM))
    if context == DIM - Q3_FRAME_DIM:
        raise Incorrect(_("Stacking multiplies: each frame in the window adds a whole descriptor, not one value."))
    if context * Q3_FRAME_DIM != DIM:
        raise Incorrect(_("{context} frames x {q3_frame_dim} values = {value}, not {dim}.").format(
            context=context, q3_frame_dim=Q3_FRAME_DIM, value=context * Q3_FRAME_DIM, dim=DIM))
    return (_("{context} frames x {q3_frame_dim} = {dim}; at 30 fps the window spans {value:.1f} s instead of "
              "{value2:.1f} s.").format(
        context=context, q3_frame_dim=Q3_FRAME_DIM, dim=DIM, value=context / 30, value2=DEFAULT_RECIPE.context / 30))


q3 = Question(
    "q3",
    N_("""
    Suppose you add 16 values to the {frame_dim}-value descriptor, making {new_frame_dim} values per
    frame. How many context frames must be stacked so that a row is still exactly {dim} wide (no padding)?
    """),
    _check_q3,
    hint=[N_("dim = frame_dim x context."), N_("context = {dim} / {new_frame_dim}.")],
    solution=N_("answer = {dim} // {new_frame_dim}   # = {context} frames, {seconds:.1f} s at 30 fps"),
    answer=lambda: DIM // Q3_FRAME_DIM,
    values=dict(frame_dim=DEFAULT_RECIPE.frame_dim, new_frame_dim=Q3_FRAME_DIM, dim=DIM,
                context=DIM // Q3_FRAME_DIM, seconds=DIM // Q3_FRAME_DIM / 30),
)


# -----------------------------------------------------------------------------
# q4: which column holds chroma C of the centre frame

def _q4_parts() -> tuple[int, int, int]:
    """(centre offset index, values per frame, chroma's first column in one descriptor)."""
    return DEFAULT_RECIPE.context // 2, DEFAULT_RECIPE.frame_dim, DEFAULT_RECIPE.group_columns("chroma").start


def _check_q4(answer) -> str:
    column = _as_int(answer, _("the column"))
    centre, width, chroma = _q4_parts()
    expected = centre * width + chroma
    if column == chroma:
        raise Incorrect(_("Column {chroma} is chroma C of the frame at offset {value} (the window's first frame, "
                          "{value2:.2f} s earlier); the centre frame's block comes later in the row.").format(
            chroma=chroma, value=-centre, value2=centre / 30))
    if column == centre * width:
        raise Incorrect(_("Column {column} starts the centre frame's block, which opens with MFCC 0; add chroma's "
                          "position inside one descriptor.").format(column=column))
    if column == (centre - 1) * width + chroma:
        raise Incorrect(_("Off by one frame: the offsets run {value}..{value2}, so the centre (offset 0) is block "
                          "number {centre}, counting from 0.").format(
            value=-centre, value2=DEFAULT_RECIPE.context - centre - 1, centre=centre))
    if column == centre + chroma:
        raise Incorrect(_("The blocks are offset-major: block j fills columns j * {width} .. j * {width} + "
                          "{value}, so multiply the block number by {width}.").format(width=width, value=width - 1))
    if not 0 <= column < DIM:
        raise Incorrect(_("A row has columns 0..{value}, got {column}.").format(value=DIM - 1, column=column))
    expect_equal(column, expected, _("the column of chroma C at offset 0"))
    return f"{centre} x {width} + {chroma} = {expected}."


q4 = Question(
    "q4",
    N_("""
    In the stacked matrix features[t, j * {frame_dim} + k] holds value k of the frame at
    offset j - {centre}. Which column of a row holds chroma C (the first chroma value)
    of the centre frame t itself?
    """),
    _check_q4,
    hint=[N_("The centre frame has offset 0, so j = {centre}."),
          N_("k is chroma's first column inside one 48-value descriptor: "
             "DEFAULT_RECIPE.group_columns('chroma').start.")],
    solution=N_("""centre = DEFAULT_RECIPE.context // 2                     # block 50
k = DEFAULT_RECIPE.group_columns("chroma").start          # 20 (after 20 MFCCs)
answer = centre * DEFAULT_RECIPE.frame_dim + k            # 50 * 48 + 20 = 2420"""),
    answer=lambda: (lambda c, w, k: c * w + k)(*_q4_parts()),
    values=dict(frame_dim=DEFAULT_RECIPE.frame_dim, centre=DEFAULT_RECIPE.context // 2),
)
