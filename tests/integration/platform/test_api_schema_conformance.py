"""The API keeps the promises of its own OpenAPI schema, under schemathesis.

A bounded schemathesis run (every check, a fixed seed so a failure can be replayed)
against `voiceqr serve` on a fresh embedded data directory, as three callers: an
administrator's API key, a user's API key and a browser session cookie. It passes
only with no server error, no conformance failure (status codes, content types,
headers, response bodies, Allow, schema-valid requests accepted, schema-invalid ones
refused) and no request that hangs. `VOICEQR_SCHEMATHESIS_EXAMPLES` and
`VOICEQR_SCHEMATHESIS_SEED` widen or vary the run.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.browser_support import create_user, serving

INTEGRATION = Path(__file__).parents[1]
CONFIG = INTEGRATION / "schemathesis" / "schemathesis.toml"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
PASSWORD = "schema conformance password"
EXAMPLES = os.environ.get("VOICEQR_SCHEMATHESIS_EXAMPLES", "12")
SEED = os.environ.get("VOICEQR_SCHEMATHESIS_SEED", "20261201")
# CPython 3.11's AST recursion-depth tracking (python/cpython gh-106905) can raise this
# in a threaded process; it says nothing about the API.
INTERPRETER_BUG = "AST constructor recursion depth mismatch"
# A run takes about 35 s on this machine; one that goes on far longer hangs somewhere, and
# the failure shows how far it got and what the server logged.
RUN_TIMEOUT_S = 300
# Ending the caller's own session would leave the rest of the run signed out (the
# incident tools sign everyone out, or stop every password).
SIGN_OUTS = "^/api/v1/auth/logout$|^/api/v1/me/sessions|^/api/v1/admin/users/incident/"
SERVE_LOG = Path("serve.log")  # the module's server sets where its log is


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.conftest import free_port

    data = tmp_path_factory.mktemp("voiceqr-schemathesis")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEQR_")}
    env |= {
        "VOICEQR_DATA_DIR": str(data),
        "VOICEQR_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # The run signs in and asks for mail far more often than a person would.
        "VOICEQR_AUTH_SIGN_IN_PER_MINUTE": "100000",
        "VOICEQR_AUTH_EMAILS_PER_HOUR": "100000",
    }
    create_user(env, "admin@example.com", PASSWORD, name="Admin", admin=True)
    create_user(env, "user@example.com", PASSWORD, name="User")
    global SERVE_LOG
    SERVE_LOG = data / "serve.log"
    with serving(env, port, SERVE_LOG) as base:
        yield base


@contextlib.contextmanager
def signed_in(server: str, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield client


def api_key(server: str, email: str, *scopes: str) -> str:
    with signed_in(server, email) as client:
        response = client.post("/api/v1/me/api-keys", json={"name": "st", "scopes": list(scopes)})
        assert response.status_code == 201, response.text
        return str(response.json()["key"])


def session_cookie(server: str, email: str) -> str:
    with signed_in(server, email) as client:
        return str(client.cookies["voiceqr_session"])


def run_schemathesis(server: str, header: str, report: Path) -> subprocess.CompletedProcess[str]:
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{server}/api/v1/schema/openapi.json",
        "--header",
        header,
        "--checks",
        "all",
        "--max-examples",
        EXAMPLES,
        "--seed",
        SEED,
        "--workers",
        "2",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--exclude-path-regex",
        SIGN_OUTS,
        "--request-timeout",
        "20",
        "--generation-database",
        "none",
        "--report",
        "ndjson",
        "--report-dir",
        str(report),
    ]
    result = _run(command, report)
    if INTERPRETER_BUG in result.stdout + result.stderr:
        # CPython 3.11.7 can raise this inside Hypothesis's own source inspection, in the
        # schemathesis process, whatever the server answered: run the same seed again.
        print(f"schemathesis hit {INTERPRETER_BUG!r}; running it again")
        result = _run(command, report)
    return result


def _run(command: list[str], report: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False, cwd=report
        )
    except subprocess.TimeoutExpired as hung:
        output = _text(hung.stdout)[-20000:] + _text(hung.stderr)[-5000:]
        log = SERVE_LOG.read_text(errors="replace")[-20000:] if SERVE_LOG.exists() else ""
        pytest.fail(
            f"schemathesis ran past {RUN_TIMEOUT_S} s. Its output:\n{output}\n"
            f"The server's log:\n{log}",
            pytrace=False,
        )


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


@pytest.mark.parametrize("caller", ["admin API key", "user API key", "session cookie"])
def test_the_api_answers_as_its_openapi_schema_says(
    server: str, caller: str, tmp_path: Path
) -> None:
    if caller == "admin API key":
        key = api_key(server, "admin@example.com", "read", "generate", "admin")
        header = f"Authorization: Bearer {key}"
    elif caller == "user API key":
        header = f"Authorization: Bearer {api_key(server, 'user@example.com', 'read', 'generate')}"
    else:
        header = f"Cookie: voiceqr_session={session_cookie(server, 'user@example.com')}"
    result = run_schemathesis(server, header, tmp_path)
    summary = [line for line in result.stdout.splitlines() if line.startswith("=")][-1:]
    print(f"schemathesis as {caller}: {summary}")
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
