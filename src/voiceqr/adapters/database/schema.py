"""The whole schema, for Alembic and for tests that compare or build it.

Each feature module defines its tables on the shared `metadata`; importing them all
here is what makes that metadata complete. Nothing else belongs in this module.
"""

from __future__ import annotations

from voiceqr.adapters.database import (  # noqa: F401  (each import adds its tables)
    accounts,
    generations,
    mail,
    operations,
    organising,
    playback,
    profile,
    schedules,
    voices,
)
from voiceqr.adapters.database.shared import metadata

__all__ = ["metadata"]
