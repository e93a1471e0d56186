"""`python3 dev.py` installs with uv, told where pip looks for packages on this machine
(uv reads no pip configuration), and with pip when uv fails."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = _dev()

PIP_CONFIG = """\
:env:.default-timeout='180'
:env:.find-links='/srv/wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/pip/constraints.txt'
global.extra-index-url='file:///srv/a/simple file:///srv/b/simple'
global.find-links='/opt/other-wheels /opt/more-wheels'
global.index-url='https://mirror.invalid/simple'
global.no-cache-dir='true'
"""


def test_uv_is_told_every_place_pip_looks_for_packages() -> None:
    assert dev.uv_environment(PIP_CONFIG) == {
        "UV_DEFAULT_INDEX": "https://mirror.invalid/simple",
        "UV_INDEX": "file:///srv/a/simple file:///srv/b/simple",
        "UV_FIND_LINKS": "/srv/wheels",  # the PIP_FIND_LINKS variable wins, as in pip
        "UV_CONSTRAINT": "/etc/pip/constraints.txt",
        "UV_HTTP_TIMEOUT": "180",
        "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
        # pip takes the best version over all indexes; uv would stop at the first.
        "UV_INDEX_STRATEGY": "unsafe-best-match",
    }


def test_find_links_from_a_file_become_uvs_comma_separated_list() -> None:
    env = dev.uv_environment("global.find-links='/opt/a /opt/b'\n")
    assert env["UV_FIND_LINKS"] == "/opt/a,/opt/b"


def test_without_pip_settings_uv_keeps_its_defaults() -> None:
    assert dev.uv_environment("") == {}


def test_this_machines_pip_settings_are_read() -> None:
    # The real `pip config list` output parses, whatever this machine has set.
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    )
    env = dev.uv_environment(listed.stdout)
    assert set(env) <= {*dev.UV_FROM_PIP.values(), "UV_INDEX_STRATEGY"}


def test_a_failing_uv_falls_back_to_pip_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (tmp_path / "requirements.lock").write_text("")
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.setattr(dev, "ROOT", tmp_path)
    monkeypatch.setattr(dev, "VENV", venv)
    monkeypatch.setattr(dev, "PYTHON", venv / "bin" / "python")
    monkeypatch.setattr(dev, "install_with_uv", lambda lock: False)
    used: list[str] = []
    monkeypatch.setattr(dev, "install_with_pip", used.append)

    dev.ensure_environment("requirements.lock")

    assert used == ["requirements.lock"]
    assert "falling back to pip" in capsys.readouterr().out
    assert (venv / ".installed-requirements.lock").exists()


def _installable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (tmp_path / "requirements.lock").write_text("")
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.setattr(dev, "ROOT", tmp_path)
    monkeypatch.setattr(dev, "VENV", venv)
    monkeypatch.setattr(dev, "PYTHON", venv / "bin" / "python")
    monkeypatch.setattr(dev, "install_with_uv", lambda lock: True)
    return venv


def test_an_install_with_uv_compiles_what_serve_imports_even_where_bytecode_is_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = _installable(monkeypatch, tmp_path)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    ran: list[tuple[list[str], dict[str, str]]] = []

    def run(command: list[str], *, env: dict[str, str], **_: object) -> object:
        ran.append((command, env))
        counted = "1900 modules imported, 0 without bytecode\n"
        return subprocess.CompletedProcess(command, 0, counted)

    monkeypatch.setattr(dev.subprocess, "run", run)

    dev.ensure_environment("requirements.lock")

    [(command, env)] = ran
    assert command == [str(venv / "bin" / "python"), "-m", "voiceqr.entrypoints.bytecode"]
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert "0 without bytecode" in capsys.readouterr().out


def test_an_install_whose_bytecode_cannot_be_compiled_still_finishes_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = _installable(monkeypatch, tmp_path)
    monkeypatch.setattr(
        dev.subprocess, "run", lambda command, **_: subprocess.CompletedProcess(command, 1, "")
    )

    dev.ensure_environment("requirements.lock")

    assert "could not compile the bytecode" in capsys.readouterr().out
    assert (venv / ".installed-requirements.lock").exists()


def test_serve_starts_the_platform_writing_its_bytecode_after_a_uv_install_without_compiling_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = _installable(monkeypatch, tmp_path)
    monkeypatch.setattr(dev, "BIN", venv / "bin")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setattr(dev, "compile_bytecode", lambda: pytest.fail("compiled before the start"))
    started: list[tuple[list[str], dict[str, str]]] = []

    def call(command: list[str], *, env: dict[str, str]) -> int:
        started.append((command, env))
        return 0

    monkeypatch.setattr(dev.subprocess, "call", call)

    assert dev.main(["serve", "--port", "8001"]) == 0

    [(command, env)] = started
    assert command == [str(venv / "bin" / "voiceqr"), "serve", "--port", "8001"]
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert "the first start writes it" in capsys.readouterr().out
