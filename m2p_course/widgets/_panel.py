"""One way to build a widget: controls + an Output, wired with ``interactive_output``.

``interactive_output`` and the widgets used here exist with the same meaning in ipywidgets
7.7 (Colab) and 8.x; nothing v8-only (no ``Stack``, no ``TagsInput``).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets


def panel(fn: Callable[..., None], controls: dict[str, widgets.Widget], *, title: str | None = None,
          columns: int = 2) -> widgets.VBox:
    """A VBox of ``controls`` (laid out in rows of ``columns``) above the output of ``fn(**values)``.

    ``fn`` is called once at once and again on every change; it prints or shows a figure.
    """
    out = widgets.interactive_output(fn, controls)
    items = list(controls.values())
    rows = [widgets.HBox(items[i:i + columns]) for i in range(0, len(items), columns)]
    header = [widgets.HTML(f"<b>{title}</b>")] if title else []
    return widgets.VBox([*header, *rows, out])
