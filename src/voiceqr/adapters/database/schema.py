"""The whole schema, for Alembic and for tests that compare or build it.

Each feature's module defines its tables on the shared `metadata` and ends with its
part of the unit of work. `SqlUnitOfWork` names every part, so importing it imports
every feature's tables; the periodic jobs' claims are the platform's own table. A new
feature needs no line here. Nothing else belongs in this module.
"""

from __future__ import annotations

from voiceqr.adapters.database import schedules, unit_of_work  # noqa: F401  (their tables)
from voiceqr.adapters.database.shared import metadata

__all__ = ["metadata"]
