import numpy as np
import pytest
import soundfile as sf

from m2p_course.cli import main
from m2p_course.synthetic.music import synth_music


def test_demo_on_the_default_song(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--max-seconds", "1"]) == 0
    out = capsys.readouterr().out
    assert "features: [T, 4800] = [720, 4800]" in out
    assert "Pose: torch.Size([1, 30, 134])" in out and "Face: torch.Size([1, 512])" in out
    assert "88,992,134" in out
    for name in ("features.png", "dance.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_demo_on_a_stereo_file(tmp_path, capsys):
    song = synth_music(bpm=100, seconds=4.0, seed=3, style="house", sr=44100)
    path = tmp_path / "mine.wav"
    sf.write(path, np.stack([song.audio, 0.5 * song.audio], axis=1), 44100)
    assert main(["demo", "--audio", str(path), "--out", str(tmp_path / "out"), "--max-seconds", "2"]) == 0
    out = capsys.readouterr().out
    assert "[120, 4800]" in out and "Pose: torch.Size([1, 60, 134])" in out
    assert (tmp_path / "out" / "dance.png").exists()


def test_demo_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["demo", "--audio", str(tmp_path / "nope.wav"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "nope.wav" in err and "error" in err


def test_guide_command(capsys):
    assert main(["guide"]) == 0
    out = capsys.readouterr().out
    assert "Pose: torch.Size([2, 24, 134])" in out and "Face: torch.Size([2, 512])" in out


def test_shapes_command(capsys):
    assert main(["shapes", "--frames", "5400", "--batch", "1"]) == 0
    out = capsys.readouterr().out
    assert "[1, 5400, 134]" in out and "88,992,134" in out


def test_shapes_command_spatial(capsys):
    assert main(["shapes", "--hidden-dim", "64", "--layers", "2", "--heatmap", "8"]) == 0
    assert "[2, 24, 134, 2]" in capsys.readouterr().out


def test_bad_arguments_are_clear_errors(capsys):
    assert main(["shapes", "--frames", "0"]) == 2
    assert "T must be a positive int" in capsys.readouterr().err
    assert main(["demo", "--max-seconds", "0"]) == 2
    with pytest.raises(SystemExit):
        main(["no-such-command"])
