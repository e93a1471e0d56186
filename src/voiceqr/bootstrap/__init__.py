"""The one composition root: Settings -> adapters -> one facade per feature.

Entrypoints call `build(settings)` and get a `Platform`; tests pass fakes for any
port in `Adapters(...)`. Nothing here runs at import time.
"""

from voiceqr.bootstrap.backends import Adapters
from voiceqr.bootstrap.platform import Platform, build
from voiceqr.bootstrap.voices import ELEVENLABS_DEFAULT_VOICES

__all__ = ["ELEVENLABS_DEFAULT_VOICES", "Adapters", "Platform", "build"]
