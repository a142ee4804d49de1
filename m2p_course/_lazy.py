"""Lazy re-exports: a package lists ``{module: [names]}`` and loads each module on first use."""

from __future__ import annotations

import importlib
from typing import Callable


def lazy_exports(package: str, namespace: dict, exports: dict[str, list[str]]) -> tuple[list[str], Callable, Callable]:
    """``(__all__, __getattr__, __dir__)`` for ``package`` whose globals are ``namespace``."""
    name_to_module = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str):
        module = name_to_module.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value  # the next lookup is an ordinary attribute
        return value

    def __dir__():
        return sorted(set(namespace) | set(name_to_module))

    return sorted(name_to_module), __getattr__, __dir__
