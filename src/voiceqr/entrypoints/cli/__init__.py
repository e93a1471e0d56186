"""The operator CLI (`voiceqr ...`)."""

import gc

# Importing the commands makes a few hundred thousand objects that live as long as the
# process, and the collector's passes over them while they are being made free nothing:
# about a fifth of a start. So it is off for the imports; `serve` keeps it off until its
# app is built (see running.py).
gc.disable()
try:
    from voiceqr.entrypoints.cli.main import app, main
finally:
    gc.enable()

__all__ = ["app", "main"]
