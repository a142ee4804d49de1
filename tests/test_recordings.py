"""The catalogue of real recordings: held-out and training pieces never mix, and files are checked."""

import hashlib

import numpy as np
import pytest
import soundfile as sf

from m2p_course import recordings as rec_mod
from m2p_course.recordings import (
    RECORDINGS,
    SAMPLE,
    Recording,
    available_recordings,
    load_recording,
    recording_path,
    recordings,
    sample_path,
)


def test_names_are_unique_and_roles_known():
    names = [r.name for r in RECORDINGS]
    assert len(names) == len(set(names))
    assert {r.role for r in RECORDINGS} == {"train", "eval"}


def test_evaluation_set_is_held_out_by_package_and_author():
    evaluation, training = recordings("eval"), recordings("train")
    assert len(evaluation) >= 8
    assert {r.package_name for r in evaluation}.isdisjoint({r.package_name for r in training})
    assert {r.author for r in evaluation}.isdisjoint({r.author for r in training})
    assert all(r.seconds >= 30 for r in evaluation)


def test_every_entry_names_its_licence_version_and_hash():
    for r in RECORDINGS:
        assert "=" in r.package and r.licence and r.kind, r.name
        assert len(r.sha256) == 64 and int(r.sha256, 16) >= 0, r.name


def test_the_shipped_sample_is_an_evaluation_recording_and_readable():
    assert SAMPLE.role == "eval"
    info = sf.info(sample_path())
    assert info.duration == pytest.approx(30.0, abs=0.01)
    assert sample_path().stat().st_size < 300_000
    assert "CC-BY-SA-3.0" in (sample_path().parent / "README.md").read_text()


def test_bad_role_is_a_clear_error():
    with pytest.raises(ValueError, match="role must be one of"):
        recordings("test")
    with pytest.raises(TypeError, match="recording must be a Recording"):
        recording_path("subcities")


def test_archive_members_live_beside_their_archive(tmp_path):
    (nexuiz,) = [r for r in RECORDINGS if r.name == "subcities"]
    assert recording_path(nexuiz, tmp_path) == tmp_path / "nexuiz-music" / (
        "usr/share/games/nexuiz/data/music.pk3.d/sound/cdtracks/subcities.ogg")


def _fake(tmp_path, audio, sr, role="eval", **kw):
    path = tmp_path / "pkg" / "a.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, sr)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Recording("fake", "Fake", "nobody", "pkg=1", "a.wav", "CC0", "test", role, kw.pop("sha256", digest), **kw)


def test_available_recordings_verifies_the_hash(tmp_path, monkeypatch):
    good = _fake(tmp_path, np.zeros(8000, dtype=np.float32), 8000)
    monkeypatch.setattr(rec_mod, "RECORDINGS", (good,))
    assert available_recordings("eval", tmp_path) == [good]
    assert available_recordings("train", tmp_path) == []
    bad = Recording(**{**good.__dict__, "sha256": "0" * 64})
    monkeypatch.setattr(rec_mod, "RECORDINGS", (bad,))
    with pytest.raises(ValueError, match="SHA-256 differs"):
        available_recordings("eval", tmp_path)
    assert available_recordings("eval", tmp_path, verify=False) == [bad]


def test_load_recording_cuts_the_excerpt_and_says_how_to_fetch(tmp_path):
    sr = 8000
    ramp = np.linspace(0, 1, 10 * sr, dtype=np.float32)
    rec = _fake(tmp_path, ramp, sr, offset=2.0, seconds=3.0)
    y, rate = load_recording(rec, tmp_path)
    assert rate == sr and len(y) == 3 * sr
    assert y[0] == pytest.approx(ramp[2 * sr], abs=1e-3)
    with pytest.raises(FileNotFoundError, match="tools/fetch_recordings.py"):
        load_recording(rec, tmp_path / "elsewhere")
