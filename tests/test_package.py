import importlib
import subprocess
import sys

import m2p_course


def test_every_public_name_resolves():
    for name in m2p_course.__all__:
        assert getattr(m2p_course, name) is not None, name


def test_exports_come_from_their_stage_module():
    for module, names in m2p_course._EXPORTS.items():
        mod = importlib.import_module(f"m2p_course.{module}")
        for name in names:
            assert getattr(m2p_course, name) is getattr(mod, name)


def test_unknown_name_is_an_attribute_error():
    try:
        m2p_course.NoSuchThing
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_is_light():
    code = "import sys, m2p_course; print('librosa' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
