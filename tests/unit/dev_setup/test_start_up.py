"""What `voiceqr serve` loads before its first answer: nothing it does not need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Built as `voiceqr serve` builds them, in a fresh interpreter (this one has imported
# half the world already): the commands, the platform on its embedded defaults (no
# VOICEQR_* setting but the data directory) and its web app.
_START = """
import gc, os, sys
import voiceqr.entrypoints.cli
assert gc.isenabled(), "the CLI's imports left the collector off"
from voiceqr.bootstrap import build
from voiceqr.entrypoints.http import create_app
from voiceqr.settings import load
embedded = {k: v for k, v in os.environ.items() if not k.startswith("VOICEQR_")}
create_app(build(load({**embedded, "VOICEQR_DATA_DIR": sys.argv[1]})))
print(" ".join(sorted(name for name in sys.modules if "." not in name)))
"""


def test_an_embedded_start_loads_neither_redis_nor_the_sign_in_providers_clients(
    tmp_path: Path,
) -> None:
    started = subprocess.run(
        [sys.executable, "-c", _START, str(tmp_path)], capture_output=True, text=True
    )

    assert started.returncode == 0, started.stderr[-2000:]
    loaded = set(started.stdout.split())
    assert "voiceqr" in loaded
    assert not loaded & {"redis", "taskiq_redis", "httpx", "joserfc"}
