#!/usr/bin/env python
"""Re-execute the course notebooks in place, from a fresh kernel, and store their outputs.

    python tools/run_notebooks.py                       # every notebooks/*.ipynb
    python tools/run_notebooks.py notebooks/03_*.ipynb  # some of them

Outputs are regenerated, never hand-edited. Each notebook runs in its own folder with the
current Python environment's kernel; widget state is dropped (it would bloat the files
and only replays in a live kernel); execution timestamps are dropped so re-runs diff cleanly.
Prints each notebook's wall time. Exits non-zero if a cell fails (cells tagged
``# NBVAL_RAISES_EXCEPTION`` are allowed to raise).
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


def prepare(nb: nbformat.NotebookNode) -> None:
    """Let cells marked ``# NBVAL_RAISES_EXCEPTION`` raise without stopping the run.

    nbclient reads a ``raises-exception`` tag; it is added for the run only (``clean`` takes
    it off again), since nbval warns when a cell carries both the tag and the comment.
    """
    for cell in nb.cells:
        if cell.cell_type == "code" and RAISES in cell.source:
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop widget state and volatile metadata; merge split stream outputs."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        tags = [t for t in cell.metadata.get("tags", []) if t != "raises-exception"]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
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
    prepare(nb)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    failed = []
    for path in paths:
        try:
            seconds = run(path, args.timeout)
            print(f"{path.name:40s} {seconds:6.1f} s  ({path.stat().st_size / 1000:.0f} KB)")
        except Exception as exc:  # report and go on with the others
            failed.append(path.name)
            print(f"{path.name:40s} FAILED: {type(exc).__name__}: {str(exc)[-2000:]}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
