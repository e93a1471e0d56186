#!/usr/bin/env python3
"""Set up and run voiceqr on a fresh machine with nothing but Python 3.11+ and pip.

    python3 dev.py serve   # install (first time), then run the platform on embedded defaults
    python3 dev.py test    # install the dev tools (first time), then lint, type check and test

Everything goes into ./.venv from the pinned lock files; a second run reinstalls
only when a lock file or pyproject.toml changed. The install uses uv (fetched once with
pip into .venv/uv) with the index settings pip has here, and pip itself when uv cannot.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
UV_VERSION = "0.13.9"
UV_HOME = VENV / "uv"
UV = UV_HOME / "bin" / ("uv.exe" if os.name == "nt" else "uv")

# pip's settings (`pip config list`: files and PIP_* variables) and the uv variable each
# one becomes. uv reads no pip configuration, and on a machine whose pip is pointed at a
# mirror or a wheel folder, uv on its defaults would look in the wrong place.
UV_FROM_PIP = {
    "index-url": "UV_DEFAULT_INDEX",
    "extra-index-url": "UV_INDEX",
    "find-links": "UV_FIND_LINKS",
    "constraint": "UV_CONSTRAINT",
    "default-timeout": "UV_HTTP_TIMEOUT",
    "cert": "SSL_CERT_FILE",
}


def say(line: str) -> None:
    print(f"dev.py: {line}", flush=True)


def uv_environment(pip_config: str) -> dict[str, str]:
    """The uv variables for the settings in `pip config list`'s output.

    A setting given as a PIP_* variable (`:env:`) wins over the files, as in pip.
    """
    found: dict[str, tuple[bool, str]] = {}
    for line in pip_config.splitlines():
        name, _, value = line.partition("=")
        where, _, key = name.strip().rpartition(".")
        if key not in UV_FROM_PIP or not value:
            continue
        from_env = where == ":env:"
        if key in found and found[key][0] and not from_env:
            continue
        found[key] = (from_env, value.strip().strip("'\""))
    env = {UV_FROM_PIP[key]: value for key, (_, value) in found.items()}
    if "UV_FIND_LINKS" in env:  # uv takes them comma-separated, pip space-separated
        env["UV_FIND_LINKS"] = ",".join(env["UV_FIND_LINKS"].split())
    if "UV_INDEX" in env or "UV_FIND_LINKS" in env:
        # pip picks the best version over every index; uv stops at the first that has
        # the package unless told otherwise.
        env["UV_INDEX_STRATEGY"] = "unsafe-best-match"
    return env


def _pip_config() -> str:
    found = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    )
    return found.stdout if found.returncode == 0 else ""


def _fetch_uv() -> bool:
    if UV.exists():
        return True
    say(f"fetching uv {UV_VERSION} with pip (once) ...")
    pip = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    quiet = {**os.environ, "PIP_ROOT_USER_ACTION": "ignore"}  # a CI runs as root
    fetched = subprocess.run([*pip, "--target", str(UV_HOME), f"uv=={UV_VERSION}"], env=quiet)
    return fetched.returncode == 0 and UV.exists()


def install_with_uv(lock: str) -> bool:
    """Install the lock and the project with uv; False (having said why) if that failed."""
    if not _fetch_uv():
        say("could not fetch uv")
        return False
    env = {**os.environ, **uv_environment(_pip_config()), "VIRTUAL_ENV": str(VENV)}
    uv_pip = [str(UV), "pip", "install", "--python", str(PYTHON)]
    for step in ([*uv_pip, "-r", str(ROOT / lock)], [*uv_pip, "--no-deps", "-e", str(ROOT)]):
        if subprocess.run(step, env=env).returncode != 0:
            say("uv failed (see above)")
            return False
    return True


def compile_bytecode() -> None:
    """Write the .pyc files of the modules `voiceqr serve` imports, as pip writes them at
    install (uv does not). Where PYTHONDONTWRITEBYTECODE is set, a start would otherwise
    compile every module from source each time (~5 s instead of ~2); compiling all of
    .venv (`uv pip install --compile-bytecode`) would add ~16 s to a first install.
    For `install` and `test`; `serve` has its first start write them instead."""
    say("compiling the bytecode of what voiceqr serve imports ...")
    # Quiet: building the platform on a throwaway data directory logs as it goes.
    compiled = subprocess.run(
        [str(PYTHON), "-m", "voiceqr.entrypoints.bytecode"],
        env=writing_bytecode(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    if compiled.returncode != 0:  # a start is slower, not broken: say so and go on
        say("could not compile the bytecode; every start compiles what it imports")
    else:
        say(compiled.stdout.strip().splitlines()[-1])


def writing_bytecode() -> dict[str, str]:
    """This environment with bytecode writing on (PYTHONDONTWRITEBYTECODE removed)."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def install_with_pip(lock: str) -> None:
    if subprocess.run([str(PYTHON), "-m", "pip", "--version"], capture_output=True).returncode:
        # The venv was made without pip (uv needs none); pip's own copy is bundled.
        subprocess.run([str(PYTHON), "-m", "ensurepip"], check=True, stdout=subprocess.DEVNULL)
    say(f"installing {lock} with pip (a minute or so) ...")
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(ROOT / lock)], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)


def ensure_environment(lock: str, *, compile_after_uv: bool = True) -> None:
    """Install `lock` into .venv unless it already is; `compile_after_uv=False` when the
    caller's next step writes the bytecode itself (`serve`)."""
    if sys.version_info < (3, 11):
        sys.exit("voiceqr needs Python 3.11 or newer.")
    if not PYTHON.exists():
        say("creating .venv ...")
        # No pip in it: uv installs from outside; pip is added only if uv fails.
        venv.create(VENV, with_pip=False)
    digest = hashlib.sha256()
    for name in (lock, "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{lock}"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    started = time.monotonic()
    say(f"installing {lock} into .venv with uv ...")
    if install_with_uv(lock):
        if compile_after_uv:
            compile_bytecode()
        else:
            say("no bytecode compiled: the first start writes it for what it imports")
    else:
        say("falling back to pip")
        install_with_pip(lock)  # pip compiles the bytecode of all it installs
    say(f"installed in {time.monotonic() - started:.0f} s")
    for other in VENV.glob(".installed-*"):
        other.unlink()
    stamp.write_text(digest.hexdigest())


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    if command == "serve":
        ensure_environment("requirements.lock", compile_after_uv=False)
        # The server writes the bytecode of what it imports, even where
        # PYTHONDONTWRITEBYTECODE is set: its first start after an install compiles it
        # all anyway (no separate step, ~4 s less to a fresh clone's first page), and
        # later ones load it instead of compiling again (~2 s a start instead of ~5).
        return subprocess.call([str(BIN / "voiceqr"), "serve", *argv[1:]], env=writing_bytecode())
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
