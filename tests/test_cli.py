import re

import numpy as np
import pytest
import soundfile as sf
import torch
from PIL import Image

from m2p_course.cli import main
from m2p_course.model import M2PEncoder
from m2p_course.synthetic.music import synth_music, write_wav


def tiny_trained_model(device=None):
    """Stands in for checkpoint.pretrained(): a small random spatial model for the 4800 features, in eval mode."""
    torch.manual_seed(0)
    return M2PEncoder(music_input_dim=4800, hidden_dim=16, num_layers=1, num_heads=2, heatmap_size=(4, 4),
                      dropout=0).eval()


@pytest.fixture
def trained(monkeypatch):
    monkeypatch.setattr("m2p_course.checkpoint.pretrained", tiny_trained_model)


@pytest.fixture
def no_weights(monkeypatch):
    def missing(device=None):
        raise FileNotFoundError("The shipped weights are missing: no model.safetensors")
    monkeypatch.setattr("m2p_course.checkpoint.pretrained", missing)


def wrote(out):
    """{file name: what it is} from the demo's 'wrote <path> (<what>)' lines."""
    return {m.group(1).rsplit("/", 1)[-1]: m.group(2) for m in re.finditer(r"^wrote (\S+) \((.*)\)$", out, re.M)}


def test_demo_on_the_default_song(tmp_path, capsys, trained):
    assert main(["demo", "--out", str(tmp_path), "--max-seconds", "1"]) == 0
    out = capsys.readouterr().out
    assert "features: [T, 4800] = [720, 4800]" in out
    assert "Pose: torch.Size([1, 30, 134])" in out and "Face: torch.Size([1, 512])" in out
    assert "88,992,134" in out
    for name in ("features.png", "dance.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    # the trained model danced the whole song, not only the encoder's --max-seconds
    poses = np.load(tmp_path / "poses.npy")
    assert poses.shape == (720, 134, 2) and poses.dtype == np.float32
    assert np.isfinite(poses).all() and np.abs(poses).max() <= 1
    gif = Image.open(tmp_path / "dance.gif")
    assert gif.format == "GIF" and gif.size == (400, 200) and gif.n_frames == 240   # model | ground truth
    files = wrote(out)
    assert set(files) == {"features.png", "poses.npy", "dance.gif", "dance.png"}
    assert "[720, 134, 2] float32" in files["poses.npy"] and "beside the synthetic" in files["dance.gif"]
    assert "model's dance" in files["dance.png"]
    bas = re.search(r"BAS.*: model (\d\.\d{3}), ground truth (\d\.\d{3})", out)
    assert bas is not None and float(bas.group(2)) > 0.5              # the synthetic dance hits its beats


def test_demo_on_a_stereo_file(tmp_path, capsys, trained):
    song = synth_music(bpm=100, seconds=4.0, seed=3, style="house", sr=44100)
    path = tmp_path / "mine.wav"
    sf.write(path, np.stack([song.audio, 0.5 * song.audio], axis=1), 44100)
    assert main(["demo", "--audio", str(path), "--out", str(tmp_path / "out"), "--max-seconds", "2"]) == 0
    out = capsys.readouterr().out
    assert "[120, 4800]" in out and "Pose: torch.Size([1, 60, 134])" in out
    assert (tmp_path / "out" / "dance.png").exists()
    assert np.load(tmp_path / "out" / "poses.npy").shape == (120, 134, 2)


def test_demo_on_a_file_dances_it_alone(tmp_path, capsys, trained):
    song = synth_music(bpm=120, seconds=9.0, seed=1, style="house", sr=22050)
    path = write_wav(song, tmp_path / "song.wav")
    assert main(["demo", "--audio", str(path), "--out", str(tmp_path / "out"), "--max-seconds", "1"]) == 0
    out = capsys.readouterr().out
    frames = int(re.search(r"features: \[T, 4800\] = \[(\d+), 4800\]", out).group(1))
    assert frames == 270                                                # 9 s: two windows of 240, cross-faded
    assert np.load(tmp_path / "out" / "poses.npy").shape == (frames, 134, 2)
    gif = Image.open(tmp_path / "out" / "dance.gif")
    assert gif.size == (200, 200) and gif.n_frames == -(-frames // 3)    # the model alone
    files = wrote(out)
    assert set(files) == {"features.png", "poses.npy", "dance.gif", "dance.png"}
    assert "beside" not in files["dance.gif"]
    assert re.search(r"BAS.*: model \d\.\d{3}$", out, re.M)            # no ground truth for your music


def test_demo_without_the_trained_weights_still_writes_what_it_can(tmp_path, capsys, no_weights):
    assert main(["demo", "--out", str(tmp_path), "--max-seconds", "1"]) == 0
    out = capsys.readouterr().out
    assert "the trained weights are missing" in out and "no model.safetensors" in out
    assert not (tmp_path / "poses.npy").exists()
    files = wrote(out)
    assert set(files) == {"features.png", "dance.gif", "dance.png"}
    assert "synthetic choreography" in files["dance.gif"]
    assert Image.open(tmp_path / "dance.gif").size == (200, 200)


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


# -----------------------------------------------------------------------------
# in Korean: M2P_LANG=ko

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture
def korean(monkeypatch):
    """M2P_LANG=ko, read afresh as on a new command line; fails the test if a text shown lacks a translation."""
    from m2p_course import i18n

    monkeypatch.setenv("M2P_LANG", "ko")
    monkeypatch.setattr(i18n, "_language", None)
    i18n.missing.clear()
    yield
    i18n.set_language("en")
    assert sorted(i18n.missing) == [], "texts shown in Korean that the catalogue lacks"


@pytest.mark.parametrize("command", [[], ["demo"], ["guide"], ["shapes"], ["train"]])
def test_help_in_korean(command, korean, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("사용법: m2p-course") and "옵션:" in out and "이 도움말을 보여 주고 끝냅니다" in out
    helps = [line for line in out.splitlines() if line.startswith("  ") and "  " in line.strip()]
    assert helps and all(HANGUL.search(line) for line in helps), helps   # every option's help, not only the titles


def test_demo_in_korean(tmp_path, capsys, korean, trained):
    song = synth_music(bpm=120, seconds=4.0, seed=1, style="house", sr=22050)
    path = write_wav(song, tmp_path / "song.wav")
    assert main(["demo", "--audio", str(path), "--out", str(tmp_path / "out"), "--max-seconds", "1"]) == 0
    out = capsys.readouterr().out
    assert "음악 특징: [T, 4800] = [120, 4800]" in out and "Pose: torch.Size([1, 30, 134])" in out
    assert re.search(r"^비트 정렬 점수 \(BAS, .*\): 모델 \d\.\d{3}$", out, re.M)
    lines = out.splitlines()
    table = slice(lines.index(next(line for line in lines if line.startswith("stage "))),
                  lines.index(next(line for line in lines if line.startswith("total "))) + 1)
    del lines[table]                 # the shape table stays as the guide prints it, and so do Pose/Face/Heatmap
    said = [line for line in lines if line and not line.startswith(("Pose:", "Face:", "Heatmap:"))]
    assert len(said) >= 10 and [line for line in said if not HANGUL.search(line)] == []


def test_a_bad_m2p_lang_is_a_clear_error(monkeypatch, capsys):
    from m2p_course import i18n

    monkeypatch.setenv("M2P_LANG", "fr")
    monkeypatch.setattr(i18n, "_language", None)
    assert main(["shapes"]) == 2
    assert "M2P_LANG='fr' is not a language of the course; available: 'en', 'ko'" in capsys.readouterr().err
    monkeypatch.delenv("M2P_LANG")
    i18n.set_language("en")
