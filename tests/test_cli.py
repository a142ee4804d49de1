import pytest

from m2p_course.cli import main


def test_shapes_command(capsys):
    assert main(["shapes", "--frames", "5400", "--batch", "1"]) == 0
    out = capsys.readouterr().out
    assert "[1, 5400, 134]" in out and "88,992,134" in out


def test_shapes_command_spatial(capsys):
    assert main(["shapes", "--hidden-dim", "64", "--layers", "2", "--heatmap", "8"]) == 0
    assert "[2, 24, 134, 2]" in capsys.readouterr().out


def test_bad_arguments_are_clear_errors(capsys):
    assert main(["shapes", "--frames", "0"]) == 2
    assert "T must be > 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["no-such-command"])
