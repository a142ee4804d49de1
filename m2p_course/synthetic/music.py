"""Music the course owns: a small, deterministic song synthesiser.

No music can be downloaded here, so the course makes its own: drums, bass, a chord pad
and a melody, rendered with numpy from a seed, together with the ground truth a dance
model needs (tempo, beat times, downbeats, one chord per bar, verse/chorus sections).

    song = synth_music(bpm=120, seconds=8, seed=0, style="pop")
    song.audio          # [N] float32, peak 0.9
    song.beat_times     # [num_beats] seconds, one every 60 / bpm
    song.chords[0]      # Chord(name='C', roman='I', ...)

How a song is made (every step is a small function below):
1. the key, and a verse and a chorus progression of four chords, drawn from the seed;
2. a drum pattern from the style's grid (kick, snare or clap, hats), placed on the beats;
3. the bass plays the root of the bar's chord on every kick;
4. the chords are a soft pad with smooth voice leading (plus short stabs in some styles);
5. a melody on chord tones and scale steps, one 4-bar phrase per section type, repeated;
6. the stems are summed and peak-normalised to 0.9.

Everything is vectorised numpy: each note or drum hit is one array operation, so 30 s of
music takes well under a second.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from ..checks import check_int, check_real

# -----------------------------------------------------------------------------
# limits and constants

BPM_RANGE = (60.0, 200.0)
SECONDS_RANGE = (0.1, 600.0)
SR_RANGE = (8000, 192000)
BEATS_PER_BAR_RANGE = (2, 8)
PEAK = 0.9  # the mix is scaled so that max |audio| == PEAK
BARS_PER_SECTION = 4  # one progression of four chords per section
SECTION_NAMES = ("verse", "chorus")  # sections alternate, verse first

NOTE_NAMES_SHARP = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
NOTE_NAMES_FLAT = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_PITCH_CLASS = {name: pc for names in (NOTE_NAMES_SHARP, NOTE_NAMES_FLAT) for pc, name in enumerate(names)}
_PITCH_CLASS.update({"E#": 5, "B#": 0, "Fb": 4, "Cb": 11})
_KEY_PATTERN = re.compile(r"^([A-G][#b]?)(m?)$")

SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}

# Common four-chord progressions, as 0-based scale degrees of the key.
PROGRESSIONS = {
    "major": {
        "I-V-vi-IV": (0, 4, 5, 3),
        "vi-IV-I-V": (5, 3, 0, 4),
        "I-vi-IV-V": (0, 5, 3, 4),
        "I-IV-vi-V": (0, 3, 5, 4),
    },
    "minor": {
        "i-VI-III-VII": (0, 5, 2, 6),
        "i-iv-VII-III": (0, 3, 6, 2),
        "i-VII-VI-VII": (0, 6, 5, 6),
        "i-VI-iv-v": (0, 5, 3, 4),
    },
}
_KEYS_BY_SEED = ("C", "G", "D", "A", "E", "F", "Bb", "Eb", "Am", "Em", "Bm", "F#m", "Dm", "Gm", "Cm")

# -----------------------------------------------------------------------------
# styles: a drum machine grid per beat role, plus how the chords are played
#
# Each beat of a bar has a role: "one" (the first beat), "back" (beats 2, 4, ...: the
# backbeat) or "mid" (beats 3, 5, ...). A grid has one character per sixteenth note of
# the beat: 'X' accent, 'x' normal, 'o' ghost, '.' rest.

VELOCITY = {"X": 1.0, "x": 0.75, "o": 0.4}


@dataclass(frozen=True)
class Style:
    """One musical style: meter, swing, drum grids per beat role, chord rhythm, melody density."""

    name: str
    description: str
    beats_per_bar: int
    swing: float  # where the off-beat eighth falls, as a fraction of the beat (0.5 = straight)
    drums: dict[str, dict[str, str]]  # role -> {instrument: 4-character grid}
    stabs: dict[str, str]  # role -> grid of short chord stabs ({} for none)
    pump: float  # side-chain depth: how far the chords duck after each kick (0 = not at all)
    melody_density: tuple[float, float]  # (verse, chorus) probability of a note on each eighth


STYLES: dict[str, Style] = {
    "pop": Style(
        name="pop",
        description="4/4 rock-pop beat: kick on 1 and 3, snare on 2 and 4, eighth hats, chord pad",
        beats_per_bar=4,
        swing=0.5,
        drums={
            "one": {"kick": "X...", "hat": "x.o."},
            "back": {"snare": "X...", "hat": "x.o."},
            "mid": {"kick": "X.x.", "hat": "x.o."},
        },
        stabs={},
        pump=0.0,
        melody_density=(0.45, 0.65),
    ),
    "house": Style(
        name="house",
        description="four-on-the-floor kick, clap on 2 and 4, accented off-beat hats, a chord stab, pumping pad",
        beats_per_bar=4,
        swing=0.5,
        drums={
            "one": {"kick": "X...", "hat": "o.x."},
            "back": {"kick": "X...", "clap": "X...", "hat": "o.x."},
            "mid": {"kick": "X...", "hat": "o.x."},
        },
        stabs={"one": "..x."},
        pump=0.8,
        melody_density=(0.35, 0.55),
    ),
    "hiphop": Style(
        name="hiphop",
        description="boom-bap: swung eighths, kick on 1 and the and-of-3, snare on 2 and 4, mellow pad",
        beats_per_bar=4,
        swing=0.62,
        drums={
            "one": {"kick": "X...", "hat": "x.o."},
            "back": {"snare": "X...", "hat": "x.o."},
            "mid": {"kick": "x.X.", "hat": "x.o."},
        },
        stabs={},
        pump=0.0,
        melody_density=(0.35, 0.5),
    ),
    "waltz": Style(
        name="waltz",
        description="3/4 oom-pah-pah: kick and bass on 1, soft snare and chord stabs on 2 and 3",
        beats_per_bar=3,
        swing=0.5,
        drums={
            "one": {"kick": "X..."},
            "back": {"snare": "x...", "hat": "x..."},
            "mid": {"snare": "x...", "hat": "x..."},
        },
        stabs={"back": "x...", "mid": "x..."},
        pump=0.0,
        melody_density=(0.4, 0.6),
    ),
}

# -----------------------------------------------------------------------------
# the song and its ground truth


@dataclass(frozen=True)
class Chord:
    """One bar's chord: name ("Am"), roman numeral in the key ("vi"), root pitch class
    (0 = C), the MIDI notes the pad plays, the bar index and its start and end in seconds."""

    name: str
    roman: str
    root: int
    notes: tuple[int, ...]
    bar: int
    start: float
    end: float

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class SynthSong:
    """A synthesised song and its ground truth. All arrays are read-only.

    audio:          [N] float32 mono, peak-normalised to PEAK (0.9)
    sr:             sample rate in Hz
    bpm:            the exact tempo
    beats_per_bar:  3 for a waltz, 4 otherwise (unless asked)
    beat_times:     [num_beats] seconds, beat k at k * 60 / bpm, all < duration
    downbeat_times: [num_bars] seconds, the first beat of each bar (= beat_times[::beats_per_bar])
    chords:         num_bars Chord records, one per bar
    sections:       num_bars labels, "verse" or "chorus", changing every BARS_PER_SECTION bars
    stems:          {"drums", "bass", "chords", "melody"} -> [N] float32; they sum to audio
    style, seed, key: what made it ("C" = C major, "Am" = A minor)
    """

    audio: np.ndarray
    sr: int
    bpm: float
    beats_per_bar: int
    beat_times: np.ndarray
    downbeat_times: np.ndarray
    chords: tuple[Chord, ...]
    sections: tuple[str, ...]
    stems: dict
    style: str
    seed: int
    key: str

    @property
    def duration(self) -> float:
        """Length of the audio in seconds."""
        return len(self.audio) / self.sr

    @property
    def num_bars(self) -> int:
        """Number of bars (the last one may be cut short by the end of the song)."""
        return len(self.chords)

    @property
    def chord_names(self) -> list[str]:
        """The chord name of each bar, e.g. ['C', 'G', 'Am', 'F']."""
        return [chord.name for chord in self.chords]

    def __repr__(self) -> str:
        return (
            f"SynthSong(style={self.style!r}, bpm={self.bpm:g}, key={self.key!r}, seed={self.seed}, "
            f"duration={self.duration:.2f}s, sr={self.sr}, beats={len(self.beat_times)}, bars={self.num_bars})"
        )


# -----------------------------------------------------------------------------
# argument checks


def _check_style(style) -> Style:
    if not isinstance(style, str):
        raise TypeError(f"style must be a str, one of {sorted(STYLES)}, got {type(style).__name__} {style!r}")
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; valid styles are {sorted(STYLES)}")
    return STYLES[style]


def parse_key(key: str) -> tuple[int, str]:
    """'C' -> (0, 'major'), 'F#m' -> (6, 'minor'), 'Bb' -> (10, 'major')."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a str like 'C', 'Bb' or 'F#m', got {type(key).__name__} {key!r}")
    match = _KEY_PATTERN.match(key)
    if match is None:
        raise ValueError(f"expected a key like 'C', 'F#', 'Bb' (major) or 'Am', 'C#m' (minor), got {key!r}")
    tonic, minor = match.groups()
    return _PITCH_CLASS[tonic], "minor" if minor else "major"


# -----------------------------------------------------------------------------
# harmony: key -> progressions -> chords with voice leading


def _uses_flats(key: str) -> bool:
    return "b" in key or key in ("F", "Dm", "Gm", "Cm", "Fm")


def _roman(degree: int, quality: str) -> str:
    """Roman numeral of a scale degree: upper case for major chords, lower case for minor."""
    numeral = ("I", "II", "III", "IV", "V", "VI", "VII")[degree]
    if quality in ("m", "dim"):
        numeral = numeral.lower()
    return numeral + ("°" if quality == "dim" else "")


def _triad(tonic: int, mode: str, degree: int) -> tuple[int, int, int, str]:
    """Diatonic triad on a scale degree: (root, third, fifth) pitch classes and quality."""
    scale = SCALES[mode]
    steps = [scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
    third, fifth = steps[1] - steps[0], steps[2] - steps[0]
    quality = {(4, 7): "", (3, 7): "m", (3, 6): "dim", (4, 8): "aug"}[(third, fifth)]
    root = (tonic + steps[0]) % 12
    return root, (tonic + steps[1]) % 12, (tonic + steps[2]) % 12, quality


def _voice(pitch_classes: tuple[int, ...], previous: tuple[int, ...] | None) -> tuple[int, ...]:
    """Place a triad in close position from MIDI 55..66 up, the inversion nearest the previous voicing."""
    candidates = []
    for inversion in range(3):
        pcs = pitch_classes[inversion:] + pitch_classes[:inversion]
        notes = [55 + (pcs[0] - 55) % 12]
        for pc in pcs[1:]:
            notes.append(notes[-1] + (pc - notes[-1]) % 12)
        candidates.append(tuple(notes))
    target = previous if previous is not None else (60, 64, 67)
    return min(candidates, key=lambda notes: sum(abs(a - b) for a, b in zip(notes, target, strict=True)))


def _make_chords(key: str, progressions: dict[str, tuple], sections: list[str], downbeats, bar_len, duration):
    """One Chord per bar, following the section's progression, with smooth voice leading."""
    tonic, mode = parse_key(key)
    names = NOTE_NAMES_FLAT if _uses_flats(key) else NOTE_NAMES_SHARP
    chords, previous = [], None
    for bar, (section, start) in enumerate(zip(sections, downbeats, strict=True)):
        degree = progressions[section][bar % BARS_PER_SECTION]
        root, third, fifth, quality = _triad(tonic, mode, degree)
        upper = _voice((root, third, fifth), previous)
        bass_root = 43 + (root - 43) % 12  # the root again, an octave or so below (MIDI 43..54)
        previous = upper
        chords.append(
            Chord(
                name=names[root] + quality,
                roman=_roman(degree, quality),
                root=root,
                notes=(bass_root,) + upper,
                bar=bar,
                start=float(start),
                end=float(min(start + bar_len, duration)),
            )
        )
    return tuple(chords)


# -----------------------------------------------------------------------------
# sound sources: wavetable oscillators and synthesised drum hits


def _midi_to_hz(midi) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def _wavetable(harmonics: tuple[float, ...], size: int = 4096) -> np.ndarray:
    """One period of a sum of harmonics (amplitude of harmonic k+1 = harmonics[k]), peak 1."""
    phase = np.arange(size) / size
    table = sum(a * np.sin(2 * np.pi * (k + 1) * phase) for k, a in enumerate(harmonics))
    return table / np.abs(table).max()


# Few harmonics keep every tone below 4 kHz, so nothing aliases even at sr = 8000.
PAD_TABLE = _wavetable((1.0, 0.45, 0.25, 0.12, 0.06, 0.03))
LEAD_TABLE = _wavetable((1.0, 0.35, 0.2))
BASS_TABLE = _wavetable((1.0, 0.5, 0.25, 0.1))


def _tone(table: np.ndarray, freq: float, n: int, sr: int) -> np.ndarray:
    """[n] samples of a wavetable oscillator at freq Hz (the table's length is a power of 2)."""
    index = (np.arange(n) * (freq * len(table) / sr)).astype(np.int64)
    return table[index & (len(table) - 1)]


def _envelope(n: int, sr: int, attack: float, hold: float, release: float, decay: float) -> np.ndarray:
    """[n] gain: linear attack, exponential decay while held, linear release after `hold` seconds."""
    t = np.arange(n) / sr
    rise = np.minimum(t / attack, 1.0)
    fall = np.clip((hold + release - t) / release, 0.0, 1.0)
    return rise * fall * np.exp(-t / decay)


def _filtered_noise(n: int, sr: int, rng, low: float, high: float | None = None) -> np.ndarray:
    """[n] white noise, band-passed to [low, high] Hz, or high-passed at low Hz if high is None."""
    nyquist = sr / 2
    if high is None:
        sos = signal.butter(4, min(low, 0.4 * sr) / nyquist, btype="highpass", output="sos")
    else:
        sos = signal.butter(2, [low / nyquist, min(high, 0.45 * sr) / nyquist], btype="bandpass", output="sos")
    return signal.sosfilt(sos, rng.standard_normal(n))


def _kick(sr: int) -> np.ndarray:
    """Pitch-swept sine, 150 -> 45 Hz, exponential decay, plus a short click."""
    t = np.arange(int(0.4 * sr)) / sr
    freq = 45.0 + 105.0 * np.exp(-t / 0.035)
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.13)
    click = np.exp(-t / 0.003) * np.sin(2 * np.pi * 1200.0 * t)
    return body + 0.3 * click


def _snare(sr: int, rng) -> np.ndarray:
    """Band-passed noise (1-7 kHz) plus a 185 Hz tone."""
    t = np.arange(int(0.25 * sr)) / sr
    noise = _filtered_noise(len(t), sr, rng, 1000.0, 7000.0)
    noise = noise / np.abs(noise).max() * np.exp(-t / 0.06)
    tone = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.04)
    return 0.8 * noise + 0.5 * tone


def _clap(sr: int, rng) -> np.ndarray:
    """Three quick band-passed noise bursts, then a short tail."""
    t = np.arange(int(0.25 * sr)) / sr
    noise = _filtered_noise(len(t), sr, rng, 900.0, 4000.0)
    noise = noise / np.abs(noise).max()
    bursts = sum(np.where(t >= d, np.exp(-(t - d) / 0.008), 0.0) for d in (0.0, 0.011, 0.022))
    tail = np.where(t >= 0.03, np.exp(-(t - 0.03) / 0.07), 0.0)
    return noise * np.clip(bursts + tail, 0.0, 1.0)


def _hat(sr: int, rng, decay: float, seconds: float) -> np.ndarray:
    """High-passed (7 kHz) noise burst with an exponential decay: a closed hi-hat."""
    t = np.arange(int(seconds * sr)) / sr
    noise = _filtered_noise(len(t), sr, rng, 7000.0)
    return noise / np.abs(noise).max() * np.exp(-t / decay)


def _drum_kit(sr: int, rng) -> dict[str, np.ndarray]:
    """One sample per drum voice."""
    return {
        "kick": _kick(sr),
        "snare": _snare(sr, rng),
        "clap": _clap(sr, rng),
        "hat": _hat(sr, rng, decay=0.018, seconds=0.08),
    }


# No crash cymbal: its long noise masks the next beats' onsets, and beat trackers then lose them.
DRUM_GAINS = {"kick": 1.0, "snare": 0.55, "clap": 0.55, "hat": 0.2}
MIX_GAINS = {"drums": 1.0, "bass": 0.5, "chords": 0.12, "melody": 0.28}


def _add(out: np.ndarray, sample: np.ndarray, start: int, gain: float) -> None:
    """Mix `gain * sample` into `out` from index `start`, cut at the end of `out`."""
    if start >= len(out):
        return
    n = min(len(sample), len(out) - start)
    out[start : start + n] += gain * sample[:n]


def _sidechain(times, n: int, sr: int, depth: float, release: float = 0.15) -> np.ndarray:
    """[n] gain that drops by `depth` at each time and recovers exponentially (the house "pump")."""
    impulses = np.zeros(n)
    starts = np.round(np.asarray(times) * sr).astype(np.int64)
    impulses[starts[starts < n]] = 1.0
    follower = signal.lfilter([1.0], [1.0, -math.exp(-1.0 / (release * sr))], impulses)
    return 1.0 - depth * np.minimum(follower, 1.0)


# -----------------------------------------------------------------------------
# the score: drums, bass, chords and melody as timed events


def _step_offset(step: int, swing: float) -> float:
    """Position of sixteenth `step` (0..3) inside a beat, in beats, with swing on the off-beats."""
    return (0.0, swing / 2, swing, swing + (1 - swing) / 2)[step]


def _beat_role(beat_in_bar: int) -> str:
    return "one" if beat_in_bar == 0 else ("back" if beat_in_bar % 2 == 1 else "mid")


def _grid_hits(grids: dict, beat_times, period: float, beats_per_bar: int, swing: float):
    """Expand per-role grids into (instrument, time in s, velocity), in time order per beat."""
    hits = []
    for k, beat_time in enumerate(beat_times):
        for instrument, grid in grids.get(_beat_role(k % beats_per_bar), {}).items():
            for step, char in enumerate(grid):
                if char != ".":
                    hits.append((instrument, beat_time + _step_offset(step, swing) * period, VELOCITY[char]))
    return hits


def _melody_phrase(rng, chords, scale_pcs: set[int], beats_per_bar: int, density: float, center: int) -> list:
    """One BARS_PER_SECTION-bar phrase: per bar a list of (start beat, length in beats, midi, velocity).

    Strong eighths (on the beat) take chord tones and are held until the next note;
    off-beats take short scale steps; each note stays close to the one before, so the
    line moves mostly by small intervals.
    """
    low, high = center - 7, center + 10
    scale_notes = [m for m in range(low, high + 1) if m % 12 in scale_pcs]
    previous, phrase = center, []
    for chord in chords:
        chord_pcs = {note % 12 for note in chord.notes}
        chord_notes = [m for m in range(low, high + 1) if m % 12 in chord_pcs]
        slots = 2 * beats_per_bar
        chance = [0.95] + [density * (1.0 if s % 2 == 0 else 0.7) for s in range(1, slots)]
        onsets = [s for s in range(slots) if rng.random() < chance[s]]
        bar_notes = []
        for i, slot in enumerate(onsets):
            pool = chord_notes if slot % 2 == 0 else [m for m in scale_notes if 0 < abs(m - previous) <= 4]
            pool = pool or chord_notes
            weights = np.exp(-np.abs(np.array(pool) - previous) / 2.5)
            pitch = int(pool[rng.choice(len(pool), p=weights / weights.sum())])
            end = onsets[i + 1] if i + 1 < len(onsets) else slots
            if slot % 2 == 1:
                end = slot + 1  # a passing tone lasts one eighth, so chord tones carry the harmony
            bar_notes.append((slot / 2, (end - slot) / 2, pitch, 0.8 + 0.2 * rng.random()))
            previous = pitch
        phrase.append(bar_notes)
    return phrase


def _render_notes(notes, n: int, sr: int, table, attack, release, decay, detune_cents=0.0) -> np.ndarray:
    """Render (start s, hold s, midi, velocity) notes with one wavetable voice (two if detuned)."""
    out = np.zeros(n)
    tail = int(release * sr) + 1
    for start, hold, midi, velocity in notes:
        begin = int(round(start * sr))
        length = min(int(hold * sr) + tail, n - begin)
        if length <= 0:
            continue
        env = velocity * _envelope(length, sr, attack, hold, release, decay)
        freq = float(_midi_to_hz(midi))
        if detune_cents:
            ratio = 2.0 ** (detune_cents / 1200)
            wave = 0.5 * (_tone(table, freq * ratio, length, sr) + _tone(table, freq / ratio, length, sr))
        else:
            wave = _tone(table, freq, length, sr)
        out[begin : begin + length] += env * wave
    return out


# -----------------------------------------------------------------------------
# the song, part by part


@dataclass(frozen=True)
class _Grid:
    """The time grid every part is placed on."""

    n: int  # samples
    sr: int
    period: float  # seconds per beat
    beats_per_bar: int
    beat_times: np.ndarray  # [num_beats]
    downbeat_times: np.ndarray  # [num_bars]

    @property
    def duration(self) -> float:
        return self.n / self.sr

    @property
    def bar_len(self) -> float:
        return self.beats_per_bar * self.period

    def bar_of(self, time: float) -> int:
        """Index of the bar that contains `time` (robust to float round-off at bar starts)."""
        return min(int(time / self.bar_len + 1e-9), len(self.downbeat_times) - 1)


def _time_grid(bpm: float, seconds: float, sr: int, beats_per_bar: int) -> _Grid:
    """Beat k at k * 60 / bpm, for every beat that starts inside round(seconds * sr) samples."""
    n = int(round(seconds * sr))
    period = 60.0 / bpm
    beat_times = np.arange(int(math.ceil(n / sr / period - 1e-9))) * period
    return _Grid(n, sr, period, beats_per_bar, beat_times, beat_times[::beats_per_bar].copy())


def _harmony(rng, key: str | None, sections: list[str], grid: _Grid) -> tuple[str, tuple[Chord, ...]]:
    """The key (drawn if None), a verse and a different chorus progression, and one Chord per bar."""
    if key is None:
        key = _KEYS_BY_SEED[rng.integers(len(_KEYS_BY_SEED))]
    _, mode = parse_key(key)
    options = list(PROGRESSIONS[mode].values())
    verse, chorus = rng.choice(len(options), size=2, replace=False)
    progressions = {"verse": options[verse], "chorus": options[chorus]}
    return key, _make_chords(key, progressions, sections, grid.downbeat_times, grid.bar_len, grid.duration)


def _render_drums(hits, grid: _Grid, rng) -> np.ndarray:
    """[n] the drum stem: each hit is the kit's sample, at a slightly humanised velocity."""
    kit = _drum_kit(grid.sr, rng)
    drums = np.zeros(grid.n)
    for instrument, time, velocity in hits:
        humanised = velocity * (1.0 + 0.06 * rng.standard_normal())
        _add(drums, kit[instrument], int(round(time * grid.sr)), DRUM_GAINS[instrument] * humanised)
    return drums


def _render_bass(kick_times: list[float], chords, grid: _Grid) -> np.ndarray:
    """[n] the bass stem: the chord's root (MIDI 36..47) on every kick, held until the next (<= 1.5 beats)."""
    notes = []
    for i, time in enumerate(kick_times):
        root = chords[grid.bar_of(time)].root
        next_time = kick_times[i + 1] if i + 1 < len(kick_times) else grid.duration
        hold = 0.85 * min(next_time - time, 1.5 * grid.period)
        notes.append((time, hold, 36 + (root - 36) % 12, 1.0))
    return _render_notes(notes, grid.n, grid.sr, BASS_TABLE, attack=0.005, release=0.04, decay=0.5)


def _render_chords(spec: Style, chords, kick_times: list[float], grid: _Grid) -> np.ndarray:
    """[n] the chord stem: a pad held over each bar, stabs on the style's grid, ducked by the kick."""
    pad = [(c.start, c.end - c.start, note, 0.8) for c in chords for note in c.notes]
    out = _render_notes(pad, grid.n, grid.sr, PAD_TABLE, attack=0.12, release=0.25, decay=4.0, detune_cents=7)
    if spec.stabs:
        grids = {role: {"stab": pattern} for role, pattern in spec.stabs.items()}
        hits = _grid_hits(grids, grid.beat_times, grid.period, grid.beats_per_bar, spec.swing)
        stabs = [(time, 0.35 * grid.period, note, velocity)
                 for _, time, velocity in hits for note in chords[grid.bar_of(time)].notes[1:]]
        out += 1.4 * _render_notes(stabs, grid.n, grid.sr, PAD_TABLE, attack=0.004, release=0.05, decay=0.15)
    if spec.pump:
        out *= _sidechain(kick_times, grid.n, grid.sr, spec.pump)
    return out


def _render_melody(spec: Style, chords, sections: list[str], key: str, grid: _Grid, rng) -> np.ndarray:
    """[n] the melody stem: one phrase per section type (verse lower and sparser), repeated."""
    tonic, mode = parse_key(key)
    scale_pcs = {(tonic + step) % 12 for step in SCALES[mode]}
    phrases = {}
    for name, density in zip(SECTION_NAMES, spec.melody_density, strict=True):
        first_bars = [c for c in chords if sections[c.bar] == name][:BARS_PER_SECTION]
        center = 67 + (tonic - 67) % 12 - (5 if name == "verse" else 0)  # the tonic in MIDI 67..78
        if first_bars:
            phrases[name] = _melody_phrase(rng, first_bars, scale_pcs, grid.beats_per_bar, density, center)
    notes = []
    for chord in chords:
        for beat, length, pitch, velocity in phrases[sections[chord.bar]][chord.bar % BARS_PER_SECTION]:
            start, end = (_swung(b, spec.swing) * grid.period for b in (beat, beat + length))
            notes.append((chord.start + start, 0.9 * (end - start), pitch, velocity))
    return _render_notes(notes, grid.n, grid.sr, LEAD_TABLE, attack=0.01, release=0.06, decay=0.8)


def _swung(beat: float, swing: float) -> float:
    """A position in straight beats (a multiple of 0.5) -> swung: each off-beat eighth moves to `swing`."""
    whole = math.floor(beat)
    return whole + (swing if beat - whole >= 0.5 else 0.0)


def _mix(stems: dict[str, np.ndarray], grid: _Grid) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Balance the stems, fade out the last 20 ms, scale so max |mix| == PEAK.

    Returns the mix [n] float32 and the scaled stems, which sum to it; all read-only.
    """
    stems = {name: MIX_GAINS[name] * stem for name, stem in stems.items()}
    fade = np.minimum(1.0, (grid.n - np.arange(grid.n)) / max(1, int(0.02 * grid.sr)))
    mix = sum(stems.values()) * fade
    scale = PEAK / np.abs(mix).max()
    stems = {name: _frozen((stem * fade * scale).astype(np.float32)) for name, stem in stems.items()}
    return _frozen((mix * scale).astype(np.float32)), stems


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# -----------------------------------------------------------------------------
# the public entry points


def synth_music(
    bpm: float = 120.0,
    seconds: float = 8.0,
    seed: int = 0,
    style: str = "pop",
    sr: int = 22050,
    key: str | None = None,
    beats_per_bar: int | None = None,
) -> SynthSong:
    """Synthesise a song with drums, bass, chords and melody, and its ground truth.

    bpm:            tempo in [60, 200]
    seconds:        length in [0.1, 600]; the audio has round(seconds * sr) samples
    seed:           int >= 0; the same arguments always give the identical song
    style:          one of STYLES ("pop", "house", "hiphop", "waltz")
    sr:             sample rate, int in [8000, 192000]
    key:            "C", "Bb", "F#m", ...; None lets the seed choose
    beats_per_bar:  None for the style's meter (3 for waltz, else 4), or an int in [2, 8]
    returns         SynthSong with audio [round(seconds * sr)] float32 and the ground truth
    """
    bpm = check_real(bpm, "bpm", *BPM_RANGE)
    seconds = check_real(seconds, "seconds", *SECONDS_RANGE)
    seed = check_int(seed, "seed", 0, 2**63 - 1)
    spec = _check_style(style)
    sr = check_int(sr, "sr", *SR_RANGE)
    if key is not None:
        parse_key(key)
    beats_per_bar = spec.beats_per_bar if beats_per_bar is None else beats_per_bar
    beats_per_bar = check_int(beats_per_bar, "beats_per_bar", *BEATS_PER_BAR_RANGE)

    # separate random streams, so that a change to one part never shifts another
    rng_score, rng_drums = np.random.default_rng((seed, 0)), np.random.default_rng((seed, 1))
    grid = _time_grid(bpm, seconds, sr, beats_per_bar)
    sections = [SECTION_NAMES[(bar // BARS_PER_SECTION) % len(SECTION_NAMES)]
                for bar in range(len(grid.downbeat_times))]
    key, chords = _harmony(rng_score, key, sections, grid)
    hits = _grid_hits(spec.drums, grid.beat_times, grid.period, grid.beats_per_bar, spec.swing)
    kick_times = sorted(time for instrument, time, _ in hits if instrument == "kick")
    audio, stems = _mix(
        {
            "drums": _render_drums(hits, grid, rng_drums),
            "bass": _render_bass(kick_times, chords, grid),
            "chords": _render_chords(spec, chords, kick_times, grid),
            "melody": _render_melody(spec, chords, sections, key, grid, rng_score),
        },
        grid,
    )
    return SynthSong(
        audio=audio,
        sr=sr,
        bpm=bpm,
        beats_per_bar=beats_per_bar,
        beat_times=_frozen(grid.beat_times),
        downbeat_times=_frozen(grid.downbeat_times),
        chords=chords,
        sections=tuple(sections),
        stems=stems,
        style=spec.name,
        seed=seed,
        key=key,
    )


DEFAULT_SONG = dict(bpm=120.0, seconds=24.0, seed=7, style="pop", sr=22050, key="C")


@functools.lru_cache(maxsize=1)
def default_song() -> SynthSong:
    """The course's default song: DEFAULT_SONG's settings (120 BPM pop in C, 24 s = 12 bars:
    verse, chorus, verse). Memoised: every caller shares the same read-only object."""
    return synth_music(**DEFAULT_SONG)


def write_wav(song_or_audio: SynthSong | np.ndarray, path: str | Path, sr: int | None = None) -> Path:
    """Write a SynthSong, or a [N] float array in [-1, 1] with its sr, to a 16-bit PCM .wav file.

    Returns the path written. For a SynthSong, sr may be left out (it must match if given).
    """
    if isinstance(song_or_audio, SynthSong):
        if sr is not None and sr != song_or_audio.sr:
            raise ValueError(f"sr={sr} conflicts with the song's sr={song_or_audio.sr}; leave sr out for a SynthSong")
        audio, sr = song_or_audio.audio, song_or_audio.sr
    elif isinstance(song_or_audio, np.ndarray):
        if sr is None:
            raise ValueError("sr is required when writing a plain audio array")
        sr = check_int(sr, "sr", 1, SR_RANGE[1])
        audio = song_or_audio
    else:
        raise TypeError(f"expected a SynthSong or a numpy array of audio samples, got {type(song_or_audio).__name__}")
    if audio.ndim != 1 or audio.size == 0 or not np.issubdtype(audio.dtype, np.floating):
        raise ValueError(f"expected a non-empty 1-D float array of audio samples, "
                         f"got {audio.dtype} shape {audio.shape}")
    if not np.all(np.isfinite(audio)):
        raise ValueError("audio contains NaN or Inf samples")
    peak = float(np.abs(audio).max())
    if peak > 1.0:
        raise ValueError(f"audio peak {peak:.3f} > 1.0 would clip in a 16-bit wav; scale it down first")
    path = Path(path)
    if path.suffix.lower() != ".wav":
        raise ValueError(f"expected a path ending in .wav, got {str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"directory {str(path.parent)!r} does not exist (writing {str(path)!r})")
    import soundfile  # imported here so `import m2p_course` stays light

    soundfile.write(str(path), audio, sr, subtype="PCM_16", format="WAV")
    return path
