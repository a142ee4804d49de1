"""expect_error: a notebook shows an error on purpose without stopping Run All."""

import pytest

from m2p_course import expect_error


def test_prints_the_error_as_python_names_it_and_goes_on(capsys):
    with expect_error(ValueError) as caught:
        raise ValueError("Expected music features dimension 4800, got 4096")
    assert capsys.readouterr().out == "ValueError: Expected music features dimension 4800, got 4096\n"
    assert isinstance(caught.exception, ValueError)


def test_a_subclass_counts_and_several_types_are_allowed(capsys):
    with expect_error(TypeError, LookupError):
        {}["missing"]
    assert capsys.readouterr().out == "KeyError: 'missing'\n"


def test_nothing_raised_is_a_broken_demonstration():
    with pytest.raises(AssertionError, match="expected ValueError, but the block raised nothing"):
        with expect_error(ValueError):
            pass


def test_another_error_is_a_real_bug_and_propagates(capsys):
    with pytest.raises(ZeroDivisionError):
        with expect_error(ValueError):
            _ = 1 / 0
    assert capsys.readouterr().out == ""


def test_match_checks_the_message():
    with expect_error(ValueError, match=r"got \d+", show=False) as caught:
        raise ValueError("got 4096")
    assert str(caught.exception) == "got 4096"
    with pytest.raises(AssertionError, match="matching 'got 4800'"):
        with expect_error(ValueError, match="got 4800"):
            raise ValueError("got 4096")


def test_show_false_prints_nothing(capsys):
    with expect_error(show=False):
        raise RuntimeError("quiet")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("bad", [ValueError("an instance"), "ValueError", int])
def test_only_exception_classes_are_accepted(bad):
    with pytest.raises(TypeError, match="expect_error takes exception classes"):
        expect_error(bad)


def test_match_must_be_a_string():
    with pytest.raises(TypeError, match="match must be a regular expression string, got int"):
        expect_error(ValueError, match=4800)
