"""The package's top level: every exported name resolves lazily, and importing it stays light."""

import subprocess
import sys
import types

import pytest

import m2p_course


def test_every_public_name_resolves_to_an_object_not_a_module():
    assert len(m2p_course.__all__) > 80
    for name in m2p_course.__all__:
        assert not isinstance(getattr(m2p_course, name), types.ModuleType), name
    assert sorted(dir(m2p_course)) == sorted(m2p_course.__all__)


def test_synthetic_world_and_stages_are_importable_from_the_top():
    from m2p_course import M2PEncoder, SyntheticDanceDataset, beat_alignment_score, expect_error, synth_music
    from m2p_course.model import M2PEncoder as from_stage
    from m2p_course.synthetic.dataset import SyntheticDanceDataset as from_synthetic
    from m2p_course.synthetic.metrics import beat_alignment_score as bas
    from m2p_course.synthetic.music import synth_music as synth

    assert M2PEncoder is from_stage and SyntheticDanceDataset is from_synthetic
    assert beat_alignment_score is bas and synth_music is synth
    assert expect_error.__module__ == "m2p_course.errors"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NoSuchThing"):
        m2p_course.NoSuchThing  # noqa: B018


def test_import_is_light():
    code = ("import sys, m2p_course, m2p_course.widgets, m2p_course.synthetic; "
            "print('librosa' in sys.modules, 'matplotlib' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False"]


def test_a_built_wheel_holds_the_stubs_and_imports(tmp_path, build_wheel):
    """A non-editable install: the wheel carries the __init__.pyi stubs lazy_loader reads, and the Korean
    catalogue."""
    import zipfile

    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"m2p_course/__init__.pyi", "m2p_course/widgets/__init__.pyi",
            "m2p_course/synthetic/__init__.py", "m2p_course/synthetic/dataset.py",
            "m2p_course/locale/ko/LC_MESSAGES/m2p_course.mo", "m2p_course/data/hr3-desert-excerpt.ogg",
            "m2p_course/data/README.md", "m2p_course/recordings.py", "m2p_course/real_music.py"} <= names
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    site = str(tmp_path / "site")
    code = (f"import sys; sys.path.insert(0, {site!r}); import m2p_course as m, m2p_course.widgets as w; "
            f"print(m.__file__.startswith({site!r}), len(m.__all__) == {len(m2p_course.__all__)}, "
            "m.synth_music.__module__, w.shape_explorer_widget.__module__); "
            "m.set_language('ko'); from m2p_course.i18n import _; print(_('device: {device}, seed: {seed}'))")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout
    assert out.split() == ["True", "True", "m2p_course.synthetic.music", "m2p_course.widgets.shape_explorer",
                           "장치:", "{device},", "시드:", "{seed}"]


def _imports_within_the_package() -> dict[str, set[str]]:
    """Every m2p_course module -> the m2p_course modules it imports, anywhere in its code (a lazy import
    inside a function counts: it is a dependency all the same), read with ast, nothing imported."""
    import ast
    from pathlib import Path

    root = Path(m2p_course.__file__).parent
    files = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                # `from .synthetic import dataset` imports the module synthetic.dataset; `from .model import X` model
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names}
        graph[name] = {target for target in found if target in files and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each a circle of imports."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_package_modules():
    graph = _imports_within_the_package()
    assert len(graph) > 50 and {"m2p_course.storage"} <= graph["m2p_course.model"]
    assert "m2p_course.model" in graph["m2p_course.checkpoint"]         # the one way: checkpoint -> model -> storage
    assert not graph["m2p_course.storage"] & {"m2p_course.model", "m2p_course.checkpoint"}
    assert _cycles(graph) == []
