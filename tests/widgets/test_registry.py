"""The widgets package: every widget module's whole API is exported, and each name resolves to it."""

import importlib
import pkgutil
import types

import m2p_course.widgets as widgets_pkg

WIDGET_MODULES = sorted(info.name for info in pkgutil.iter_modules(widgets_pkg.__path__)
                        if not info.name.startswith("_"))


def test_every_widget_module_exports_its_whole_api_from_the_package():
    assert len(WIDGET_MODULES) >= 6
    exported = set(widgets_pkg.__all__)
    for module_name in WIDGET_MODULES:
        module = importlib.import_module(f"m2p_course.widgets.{module_name}")
        missing = set(module.__all__) - exported
        assert not missing, f"{module_name}: add {sorted(missing)} to m2p_course/widgets/__init__.pyi"
        for name in module.__all__:
            assert getattr(widgets_pkg, name) is getattr(module, name), name


def test_every_exported_name_resolves_and_none_is_a_module():
    for name in widgets_pkg.__all__:
        value = getattr(widgets_pkg, name)
        assert not isinstance(value, types.ModuleType), f"{name} resolves to a module"
        assert name not in WIDGET_MODULES, f"{name} shadows a module name"
    assert sorted(dir(widgets_pkg)) == sorted(widgets_pkg.__all__)


def test_every_module_has_a_widget_builder():
    for module_name in WIDGET_MODULES:
        module = importlib.import_module(f"m2p_course.widgets.{module_name}")
        assert any(name.endswith("_widget") for name in module.__all__), module_name
