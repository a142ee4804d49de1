#!/usr/bin/env python3
"""Colab check: does the course install and run in Google Colab's environment?

    .ci/colab-check                                     # every notebooks/*.ipynb and notebooks/ko/*.ipynb
    .ci/colab-check notebooks/03_positional_encoding.ipynb notebooks/ko/03_positional_encoding.ipynb
    python3 tools/colab_check.py [--venv DIR] [NOTEBOOK ...]   # the same (any Python >= 3.10)
    .ci/colab-check --reuse-venv notebooks/04_attention.ipynb  # notebooks only, in the existing venv

1. Builds a fresh virtual environment (``.venv-colab/``) with pyenv's Python 3.13 and installs
   into it, at Colab's versions, what Colab ships that the course needs. Colab's package list is
   ``tools/colab/pip-freeze.txt``; its ``name==version`` lines are the constraints, less the torch
   and NVIDIA lines (EXCLUDED), plus ``torch==2.11.0`` from PyPI (Colab's own is a CPU build).
2. Records ``pip freeze``; asks pip (``--dry-run --report``) what installing the course would
   change: only m2p-course may be installed. Installs it, records ``pip freeze`` again and
   fails if any other package changed.
3. Runs every notebook, on a copy in a temporary folder, top to bottom as Colab's "Run all"
   does (a kernel from that environment, cell tags not honoured, stop at the first cell that
   raises), then compares each ``# NBVAL_CHECK_OUTPUT`` cell's outputs with the stored ones
   after nbval's sanitizers (``tests/nbval_sanitize.cfg``).

Prints each step's and each notebook's time; exits 1 on any failure. Needs the network for
PyPI (pip's cache makes later runs fast). The pure functions are tested in tests/test_colab_check.py.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FREEZE = ROOT / "tools" / "colab" / "pip-freeze.txt"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
TORCH = "torch==2.11.0"
EXCLUDED = ("nvidia-*", "triton", "sympy", "networkx", "filelock", "fsspec", "setuptools", "mpmath", "torch")
# What Colab ships that the course and the notebook runner need, installed before the course.
COLAB_NEEDS = ("numpy", "scipy", "librosa", "soundfile", "matplotlib", "ipython", "ipykernel", "ipywidgets",
               "tqdm", "lazy-loader", "safetensors", "pillow", "nbclient", "nbformat", "jupyter-client")
COURSE = "m2p-course"
CHECK = "NBVAL_CHECK_OUTPUT"
LOCAL_INDEX_WARNING = re.compile(r"WARNING: Location '.*' is ignored: it is neither a file nor a directory")
# Output keys nbval does not compare (as in nbval's IPyNbFile.skip_compare, images included).
SKIP_COMPARE = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
                "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg")


class CheckFailed(Exception):
    """A step of the check failed; the message says what and how."""


# ---- pure logic (tested) ----------------------------------------------------------------

def normalize(name: str) -> str:
    """A package name as pip compares them (PEP 503): lower case, runs of -_. as one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(text: str) -> dict[str, str]:
    """``pip freeze`` text -> {normalized name: its line}, for ``name==version`` and ``name @ url`` lines."""
    packages = {}
    for line in text.splitlines():
        line = line.strip()
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==|@)", line)
        if match:
            packages[normalize(match[1])] = line
    return packages


def is_excluded(name: str) -> bool:
    return any(fnmatch.fnmatchcase(normalize(name), pattern) for pattern in EXCLUDED)


def colab_pins(text: str) -> dict[str, str]:
    """{normalized name: 'Name==version'} for Colab's ``name==version`` lines, less EXCLUDED, plus TORCH."""
    pins = {name: line for name, line in parse_freeze(text).items() if "==" in line and not is_excluded(name)}
    pins["torch"] = TORCH
    return pins


def needs(pins: dict[str, str]) -> list[str]:
    """The pinned requirement of each of COLAB_NEEDS, and torch; a clear error if Colab's list lacks one."""
    missing = [name for name in ("pip",) + COLAB_NEEDS if normalize(name) not in pins]
    if missing:
        raise CheckFailed(f"Colab's list ({FREEZE.name}) has no 'name==version' line for: {', '.join(missing)}")
    return [pins["torch"]] + [pins[normalize(name)] for name in COLAB_NEEDS]


def freeze_diff(before: dict[str, str], after: dict[str, str], ignore: str = COURSE) -> list[str]:
    """What changed between two parsed freezes, one line per package, ``ignore`` left out."""
    changes = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if name == normalize(ignore) or old == new:
            continue
        if old is None:
            changes.append(f"added:    {new}")
        elif new is None:
            changes.append(f"removed:  {old}")
        else:
            changes.append(f"changed:  {old}  ->  {new}")
    return changes


def dry_run_changes(report: dict, before: dict[str, str], ignore: str = COURSE) -> list[str]:
    """What a ``pip install --dry-run --report`` report would install, ``ignore`` left out."""
    changes = []
    for item in report.get("install", []):
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if normalize(name) == normalize(ignore):
            continue
        old = before.get(normalize(name))
        changes.append(f"would change: {old}  ->  {name}=={version}" if old else f"would add:    {name}=={version}")
    return changes


def sanitizers(cfg_text: str) -> list[tuple[str, str]]:
    """(regex, replacement) pairs of an nbval sanitize file, read as nbval reads it."""
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", cfg_text, flags=re.MULTILINE)


def is_checked(cell: dict) -> bool:
    """A code cell whose output nbval compares: a ``# NBVAL_CHECK_OUTPUT`` comment line (or nbval's tag)."""
    if cell.get("cell_type") != "code":
        return False
    lines = [line.strip().lstrip("#").strip() for line in _text(cell.get("source", "")).splitlines()
             if line.strip().startswith("#")]
    return CHECK in lines or "nbval-check-output" in cell.get("metadata", {}).get("tags", [])


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def output_fields(outputs: list[dict], patterns: list[tuple[str, str]]) -> dict[str, list]:
    """Outputs as nbval compares them: streams merged by name, then {key: [sanitized values]}."""
    streams: dict[str, str] = {}
    fields: dict[str, list] = {}
    for output in outputs:
        if output.get("output_type") == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + _text(output["text"])
            continue
        for key, value in output.items():
            for sub, subvalue in (value.items() if key == "data" else [(key, value)]):
                if sub not in SKIP_COMPARE:
                    fields.setdefault(sub, []).append(_sanitize(_text(subvalue), patterns))
    for name, text in streams.items():  # as nbval: what a progress bar wrote before a \r is dropped
        fields[name] = [_sanitize(re.sub(r"^.*\r(?=[^\n])", "", text, flags=re.MULTILINE), patterns)]
    return fields


def _sanitize(value, patterns):
    if not isinstance(value, str):
        return value
    for regex, replace in patterns:
        value = re.sub(regex, replace, value)
    return value


def compare_outputs(stored: list[dict], new: list[dict], patterns: list[tuple[str, str]]) -> str | None:
    """None if the two cells' outputs agree as nbval sees them, else a readable diff (stored -> Colab)."""
    old_fields, new_fields = output_fields(stored, patterns), output_fields(new, patterns)
    if old_fields == new_fields:
        return None
    return "".join(difflib.unified_diff(_render(old_fields), _render(new_fields), "stored", "in Colab's versions"))


def _render(fields: dict[str, list]) -> list[str]:
    lines = []
    for key in sorted(fields):
        for value in fields[key]:
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            lines += [f"[{key}]\n"] + [line + "\n" for line in text.splitlines()]
    return lines


def compare_notebook(stored_nb: dict, run_nb: dict, patterns: list[tuple[str, str]]) -> list[str]:
    """One message per checked cell whose outputs differ: cell number (from 1), first line, diff."""
    problems = []
    for number, (old, new) in enumerate(zip(stored_nb["cells"], run_nb["cells"], strict=True), start=1):
        if is_checked(old):
            diff = compare_outputs(old.get("outputs", []), new.get("outputs", []), patterns)
            if diff:
                problems.append(f"cell {number} ({_first_code_line(old)}) differs:\n{diff}")
    return problems


def _first_code_line(cell: dict) -> str:
    lines = [line for line in _text(cell.get("source", "")).splitlines() if line.strip() and CHECK not in line]
    return (lines[0].strip() if lines else "")[:60]


def strip_tags(nb: dict) -> dict:
    """A copy that Colab's "Run all" would see: no cell tags, so none is honoured."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("tags", None)
    return nb


# ---- the environment -----------------------------------------------------------------------

def find_python313() -> str:
    if sys.version_info[:2] == (3, 13):
        return sys.executable
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        root = os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(f"{root}/versions/3.13*/bin/python3.13"))
    if not found:
        raise CheckFailed(f"Colab runs Python 3.13, and pyenv has none: {root}/versions/3.13*/bin/python3.13 "
                          "does not exist. Install it with pyenv (this check does not).")
    return found[-1]


def run(cmd: list) -> None:
    """Run a command, showing its output less the warnings of this machine's pip config about local indexes."""
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    done = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    shown = [line for line in done.stdout.splitlines() if not LOCAL_INDEX_WARNING.match(line)]
    print("\n".join(shown), end="\n" if shown else "", flush=True)
    done.check_returncode()


def fresh_venv(venv: Path) -> Path:
    if venv.exists():
        if not (venv / "pyvenv.cfg").exists():
            raise CheckFailed(f"{venv} exists and is not a virtual environment; not removing it")
        shutil.rmtree(venv)
    run([find_python313(), "-m", "venv", venv])
    return venv / "bin" / "python"


def pip_freeze(python: Path) -> dict[str, str]:
    done = subprocess.run([python, "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True)
    return parse_freeze(done.stdout)


def course_source(tmp: Path) -> Path:
    """A clean copy of the repository as a clone has it, so that no stale build/ or egg-info goes into the wheel."""
    top = {".git", "build", "dist", "out", "notebooks"}

    def skip(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n == "__pycache__" or n.endswith(".egg-info")
                or (Path(folder) == ROOT and (n in top or n.startswith(".venv") or n.endswith("_cache")))}

    return Path(shutil.copytree(ROOT, tmp / "src", ignore=skip))


def install(venv: Path, tmp: Path) -> list[str]:
    """Colab's environment, then the course into it; returns the problems found."""
    pins = colab_pins(FREEZE.read_text())
    constraints = tmp / "colab-constraints.txt"
    constraints.write_text("\n".join(pins.values()) + "\n")
    python = fresh_venv(venv)
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", constraints]
    t = time.time()
    run(pip + [pins["pip"]])  # Colab's pip resolves as Colab would
    run(pip + needs(pins))
    print(f"Colab's packages installed in {time.time() - t:.0f} s", flush=True)
    before = pip_freeze(python)
    colab = parse_freeze(FREEZE.read_text())
    print("not as in Colab's list (expected: PyPI's torch, its CUDA packages, the lines left out): "
          + ", ".join(line for name, line in sorted(before.items()) if colab.get(name) != line), flush=True)
    source, report = course_source(tmp), tmp / "dry-run.json"
    run(pip + ["--dry-run", "--report", report, source])
    would = dry_run_changes(json.loads(report.read_text()), before)
    print("pip dry-run of the course into Colab's list: "
          + ("\n  " + "\n  ".join(would) if would else f"installs {COURSE} only, changes nothing else"), flush=True)
    run(pip + [source])
    changed = freeze_diff(before, pip_freeze(python))
    problems = []
    if would:
        problems.append("installing the course would change Colab's packages:\n  " + "\n  ".join(would))
    if changed:
        problems.append("installing the course changed Colab's packages:\n  " + "\n  ".join(changed))
    return problems


# ---- the notebooks ----------------------------------------------------------------------------

def execute(source: str, target: str) -> int:
    """Inside the Colab venv: run a notebook top to bottom with its kernel, stop at the first raising cell.

    Writes the executed notebook to ``target``, with ``metadata.colab_check`` = {"error": ..., "cell": ...}."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(source).parent)}})
    failure = None
    with client.setup_kernel():
        for channel in (client.kc.shell_channel, client.kc.iopub_channel):
            channel.get_msg = _in_slices(channel.get_msg)
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except Exception as error:  # CellExecutionError, a dead kernel, a timeout
                ename, evalue = getattr(error, "ename", type(error).__name__), getattr(error, "evalue", str(error))
                failure = {"cell": index + 1, "error": f"{ename}: {evalue}".strip()}
                break
    nb.metadata["colab_check"] = failure
    nbformat.write(nb, target)
    return 0


def _in_slices(get_msg, step: float = 1.0):
    """``get_msg`` that waits at most ``step`` seconds at a time, up to its timeout.

    With Colab's jupyter_client 7.4.9 and pyzmq 26.2.1 on Python 3.13, an awaited poll can miss a
    reply that has arrived and only see it when its timeout ends: a cell showing a widget then took
    the whole cell timeout (600 s) in notebook 04. Waking every ``step`` seconds bounds that delay."""
    from queue import Empty

    async def get_msg_in_slices(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = step if deadline is None else max(0.0, min(step, deadline - time.monotonic()))
            try:
                return await get_msg(timeout=left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg_in_slices


def run_notebook(python: Path, path: Path, tmp: Path, patterns: list[tuple[str, str]]) -> list[str]:
    """Run a copy of one notebook in its own empty folder (as /content on Colab); the problems found."""
    folder = tmp / (f"ko-{path.stem}" if path.parent.name == "ko" else path.stem)  # the two editions apart
    (folder / "jupyter").mkdir(parents=True)
    stored = json.loads(path.read_text())
    (folder / path.name).write_text(json.dumps(strip_tags(stored)))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MPLBACKEND")}
    env.update(PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}", PYTHONNOUSERSITE="1",
               JUPYTER_DATA_DIR=str(folder / "jupyter"), JUPYTER_CONFIG_DIR=str(folder / "jupyter"),
               JUPYTER_PATH="", IPYTHONDIR=str(folder / "ipython"), PYDEVD_DISABLE_FILE_VALIDATION="1")
    done = folder / f"run-{path.name}"
    subprocess.run([python, Path(__file__).resolve(), "--execute", folder / path.name, done],
                   check=True, cwd=folder, env=env)
    ran = json.loads(done.read_text())
    failure = ran["metadata"].get("colab_check")
    if failure:
        cell = stored["cells"][failure["cell"] - 1]
        return [f"cell {failure['cell']} ({_first_code_line(cell)}) raised {failure['error']}"]
    return compare_notebook(stored, ran, patterns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: every notebooks/*.ipynb, then notebooks/ko/*.ipynb (the Korean edition)")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-colab")
    parser.add_argument("--reuse-venv", action="store_true",
                        help="skip building and installing: run the notebooks in the existing --venv")
    parser.add_argument("--execute", nargs=2, metavar=("SOURCE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute:
        return execute(*args.execute)
    notebooks = args.notebooks or (sorted((ROOT / "notebooks").glob("*.ipynb"))
                                   + sorted((ROOT / "notebooks" / "ko").glob("*.ipynb")))
    start, failed = time.time(), False
    with tempfile.TemporaryDirectory(prefix="colab-check-") as name:
        tmp = Path(name)
        python = args.venv.resolve() / "bin" / "python"
        try:
            problems = [] if args.reuse_venv else install(args.venv.resolve(), tmp)
        except (CheckFailed, subprocess.CalledProcessError) as error:
            print(f"FAILED: {error}", file=sys.stderr)
            return 1
        for problem in problems:
            print(f"FAILED: {problem}", flush=True)
        failed = bool(problems)
        print(f"environment ready in {time.time() - start:.0f} s", flush=True)
        patterns = sanitizers(SANITIZE.read_text())
        for path in notebooks:
            t = time.time()
            try:
                found = run_notebook(python, path.resolve(), tmp, patterns)
            except subprocess.CalledProcessError as error:
                found = [f"the runner itself failed ({error})"]
            failed = failed or bool(found)
            verdict = "ok" if not found else "FAILED: " + "\n    ".join("\n".join(found).splitlines())
            label = f"ko/{path.name}" if path.parent.name == "ko" else path.name
            print(f"{label:43} {time.time() - t:6.1f} s  {verdict}", flush=True)
    print(f"total {time.time() - start:.0f} s: {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
