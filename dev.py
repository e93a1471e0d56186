#!/usr/bin/env python3
"""Set up and run voiceqr on a fresh machine with nothing but Python 3.11+ and pip.

    python3 dev.py serve   # install (first time), then run the platform on embedded defaults
    python3 dev.py test    # install the dev tools (first time), then lint, type check and test

Everything goes into ./.venv from the pinned lock files; a second run reinstalls
only when a lock file or pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_environment(lock: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit("voiceqr needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256()
    for name in (lock, "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{lock}"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    print(f"installing from {lock} ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(ROOT / lock)], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    for other in VENV.glob(".installed-*"):
        other.unlink()
    stamp.write_text(digest.hexdigest())


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    if command == "serve":
        ensure_environment("requirements.lock")
        return subprocess.call([str(BIN / "voiceqr"), "serve", *argv[1:]])
    if command == "test":
        ensure_environment("requirements-dev.lock")
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        return subprocess.call([str(BIN / "nox"), "--no-venv", *argv[1:]], cwd=ROOT, env=env)
    if command == "install":
        ensure_environment("requirements-dev.lock")
        return 0
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
