"""Interactive widgets for the notebooks (standard ipywidgets only; 7.7 and 8.x).

Each widget wires a few controls to a plain function in the same module; the function does
all the work, so the tests call it directly and the notebooks can show its output statically
too. Names are found in the submodules on first use: ``from m2p_course.widgets import
shape_explorer``.
"""

from __future__ import annotations

import importlib
import pkgutil


def _public_modules():
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{__name__}.{info.name}")


def __getattr__(name: str):
    for module in _public_modules():
        if name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module 'm2p_course.widgets' has no attribute {name!r}")


def __dir__():
    names = set(globals())
    for module in _public_modules():
        names.update(getattr(module, "__all__", ()))
    return sorted(names)
