#!/usr/bin/env python
"""Fetch the real recordings of m2p_course.recordings from Debian's registry (an install step).

    python tools/fetch_recordings.py                 # every package, into $M2P_RECORDINGS (default below)
    python tools/fetch_recordings.py --role eval     # only the held-out evaluation pieces
    python tools/fetch_recordings.py --dest DIR

For each package of the catalogue: ``apt-get download <package>=<version>`` (the exact version the
catalogue names; no root needed, nothing is installed), ``dpkg-deb -x`` into DEST/<package>/, and
for a piece inside a zip archive (Nexuiz's music.pk3) the member is unpacked beside it. Then every
file's SHA-256 is checked against the catalogue. The course itself never downloads: benchmarks and
training read what this put there. Exits non-zero, naming the recording, if anything is missing or
differs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from m2p_course.recordings import (  # noqa: E402
    default_recordings_dir,
    recording_path,
    recordings,
)
from m2p_course.storage import file_sha256  # noqa: E402


def fetch_package(package: str, dest: Path) -> Path:
    """apt-get download package=version, unpack into dest/<name>/; returns that folder."""
    name = package.split("=", 1)[0]
    target = dest / name
    stamp = target / ".fetched"
    if stamp.is_file() and stamp.read_text() == package:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", "-q", package], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        debs = list(Path(tmp).glob("*.deb"))
        if len(debs) != 1:
            raise RuntimeError(f"apt-get download {package} gave {len(debs)} .deb files")
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(target)], check=True)
    stamp.write_text(package)
    return target


def unpack_members(dest: Path, recs) -> None:
    for rec in recs:
        archive, sep, member = rec.path.partition("!")
        if not sep:
            continue
        out = recording_path(rec, dest)
        if out.is_file():
            continue
        with zipfile.ZipFile(dest / rec.package_name / archive) as zf:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(zf.read(member))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=None, help="folder (default: $M2P_RECORDINGS or "
                        "~/.cache/m2p_course/recordings)")
    parser.add_argument("--role", choices=("train", "eval"), default=None)
    parser.add_argument("--print-sha", action="store_true", help="print each file's SHA-256 instead of checking")
    args = parser.parse_args(argv)
    dest = (args.dest or default_recordings_dir()).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    recs = recordings(args.role)
    for package in sorted({r.package for r in recs}):
        print(f"{package}: {fetch_package(package, dest)}", flush=True)
    unpack_members(dest, recs)
    bad = 0
    for rec in recs:
        path = recording_path(rec, dest)
        if not path.is_file():
            print(f"MISSING {rec.name}: {path}")
            bad += 1
            continue
        digest = file_sha256(path)
        if args.print_sha:
            print(f"{rec.name} {digest}")
        elif digest != rec.sha256:
            print(f"DIFFERS {rec.name}: {path} has SHA-256 {digest}, the catalogue {rec.sha256}")
            bad += 1
    if not args.print_sha:
        print(f"{len(recs) - bad} of {len(recs)} recordings present and verified in {dest}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
