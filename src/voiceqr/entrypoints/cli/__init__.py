"""The operator CLI (`voiceqr ...`)."""

from voiceqr.entrypoints.cli.main import app, main

__all__ = ["app", "main"]
