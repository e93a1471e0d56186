"""Lint, type check and test sessions; `python3 dev.py test` runs them all in .venv."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.default_venv_backend = "none"
nox.options.error_on_missing_interpreters = True


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    """ruff (rules and formatting) and the layer contracts (import-linter)."""
    session.run("ruff", "check", "src", "tests", "bench", "noxfile.py", "dev.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "noxfile.py", "dev.py")
    session.run("lint-imports")


@nox.session(venv_backend="none")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/."""
    session.run("mypy")


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """Unit, integration and browser tests (extra pytest arguments pass through)."""
    session.run("pytest", *(session.posargs or ["-q"]))
