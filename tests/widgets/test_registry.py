"""The widgets package: every listed name resolves, and the lists match the modules."""

import importlib
import pkgutil

import m2p_course.widgets as widgets_pkg


def test_every_widget_module_is_registered_with_its_whole_api():
    modules = {info.name for info in pkgutil.iter_modules(widgets_pkg.__path__) if not info.name.startswith("_")}
    assert modules == set(widgets_pkg._EXPORTS)
    for name in modules:
        module = importlib.import_module(f"m2p_course.widgets.{name}")
        assert sorted(module.__all__) == sorted(widgets_pkg._EXPORTS[name]), name


def test_names_resolve_to_the_module_objects_and_never_to_a_module():
    for module_name, names in widgets_pkg._EXPORTS.items():
        module = importlib.import_module(f"m2p_course.widgets.{module_name}")
        for name in names:
            assert name not in widgets_pkg._EXPORTS, f"{name} shadows a module name"
            assert getattr(widgets_pkg, name) is getattr(module, name)


def test_every_module_has_a_widget_builder():
    for names in widgets_pkg._EXPORTS.values():
        assert any(name.endswith("_widget") for name in names)
