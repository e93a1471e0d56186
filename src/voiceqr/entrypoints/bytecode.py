"""The modules `voiceqr serve` imports before its first answer, and whether each has
up-to-date bytecode.

A start from source compiles every module again (~5 s instead of ~2 here) where
PYTHONDONTWRITEBYTECODE is set and the installer wrote no .pyc files (uv writes none
unless told to, and compiling all of .venv takes ~16 s). So `dev.py` runs
`python -m voiceqr.entrypoints.bytecode` once after an install, with bytecode writing
on: importing these modules writes exactly their .pyc files. `bench/start.py` runs it
with `--check` to say what it measured.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

# Imported by the server or the platform when they start rather than at import: the
# server's loop and protocols, the SQLite driver, and the in-process worker.
_IMPORTED_AT_START = (
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.websockets_sansio_impl",
    "aiosqlite",
    "taskiq.api",
)


def import_what_serve_imports() -> None:
    """Import what `voiceqr serve` imports before it answers: the commands, a platform
    built on a throwaway data directory, its web app, and what the server loads as it
    starts. Nothing is started, migrated or written outside that directory."""
    import voiceqr.entrypoints.cli  # noqa: F401  (every command and the composition root)
    from voiceqr.bootstrap import build
    from voiceqr.entrypoints.http import create_app
    from voiceqr.settings import load

    with tempfile.TemporaryDirectory(prefix="voiceqr-bytecode-") as folder:
        create_app(build(load({**os.environ, "VOICEQR_DATA_DIR": folder})))
    for name in _IMPORTED_AT_START:
        if importlib.util.find_spec(name) is not None:  # uvloop and httptools are optional
            importlib.import_module(name)


def _has_bytecode(source: Path, cached: Path) -> bool:
    """Whether `cached` is what Python would load for `source` (the header's mtime and
    size match), as the import system checks it."""
    try:
        header = cached.read_bytes()[:16]
        stat = source.stat()
    except OSError:
        return False
    return int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF and (
        int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
    )


def modules_without_bytecode() -> tuple[int, list[str]]:
    """How many modules are imported from a .py file, and those without up-to-date bytecode."""
    specs = (getattr(module, "__spec__", None) for module in list(sys.modules.values()))
    from_source = [
        spec
        for spec in specs
        if spec is not None
        and spec.cached is not None
        and str(spec.origin).endswith(".py")
        and spec.name != __spec__.name  # this counter: no start imports it
    ]
    missing = sorted(
        spec.name
        for spec in from_source
        if not _has_bytecode(Path(str(spec.origin)), Path(str(spec.cached)))
    )
    return len(from_source), missing


def main(argv: list[str]) -> int:
    if "--check" in argv:
        sys.dont_write_bytecode = True  # look at what is there, write nothing
    import_what_serve_imports()
    imported, missing = modules_without_bytecode()
    print(f"{imported} modules imported, {len(missing)} without bytecode", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
