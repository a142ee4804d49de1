#!/usr/bin/env python
"""Re-execute the course notebooks in place, from a fresh kernel, and store their outputs.

    python tools/run_notebooks.py                       # every notebooks/*.ipynb and notebooks/ko/*.ipynb
    python tools/run_notebooks.py notebooks/03_*.ipynb  # some of them
    python tools/run_notebooks.py notebooks/ko/*.ipynb  # the Korean edition (built by tools/translate.py build)

Outputs are regenerated, never hand-edited. Each notebook runs in its own folder with the
current Python environment's kernel; widget state is dropped (it would bloat the files
and only replays in a live kernel); execution timestamps are dropped so re-runs diff cleanly.
Prints each notebook's wall time. Exits non-zero if any cell raises: a cell that shows an
error on purpose catches it with ``m2p_course.expect_error`` and prints it, so that "Run all"
in Jupyter and Colab (which honours no cell tags) never stops; ``# NBVAL_RAISES_EXCEPTION``
is refused.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
RAISES = "NBVAL_RAISES_EXCEPTION"


def refuse_raising_cells(nb: nbformat.NotebookNode, path: Path) -> None:
    """A cell may not raise on purpose: Run All would stop there (Colab honours no tags)."""
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (RAISES in cell.source or "raises-exception" in cell.metadata.get("tags", [])):
            raise ValueError(f"{path.name}, cell {number}: raises on purpose ({RAISES} or a raises-exception tag); "
                             "catch and print the error with `with expect_error(ValueError): ...` "
                             "under # NBVAL_CHECK_OUTPUT instead")


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop widget state and volatile metadata; merge split stream outputs."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.outputs)
            for output in cell.outputs:
                output.get("metadata", {}).pop("execution", None)


def _merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) chunks: how the kernel split them is chance."""
    merged: list = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (output.output_type == "stream" and last is not None and last.output_type == "stream"
                and last.name == output.name):
            last.text += output.text
        else:
            merged.append(output)
    return merged


def run(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    refuse_raising_cells(nb, path)
    start = time.perf_counter()
    # store_widget_state must stay True: nbclient 0.11 fails on Output widgets without it;
    # clean() drops the stored state afterwards.
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    elapsed = time.perf_counter() - start
    clean(nb)
    nbformat.write(nb, path)
    return elapsed


def default_notebooks() -> list[Path]:
    """Both editions: the English notebooks, then the Korean ones."""
    return sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "ko").glob("*.ipynb"))


def label(path: Path) -> str:
    """``ko/03_positional_encoding.ipynb`` for a Korean notebook, the file name for an English one."""
    return f"{path.parent.name}/{path.name}" if path.parent.name == "ko" else path.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb, notebooks/ko/*.ipynb")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or default_notebooks()
    failed = []
    for path in paths:
        try:
            seconds = run(path, args.timeout)
            print(f"{label(path):44s} {seconds:6.1f} s  ({path.stat().st_size / 1000:.0f} KB)")
        except Exception as exc:  # report and go on with the others
            failed.append(label(path))
            print(f"{label(path):44s} FAILED: {type(exc).__name__}: {str(exc)[-2000:]}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
