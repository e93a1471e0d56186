"""A user's timeline: what happened on an account, from every feature, newest first.

Each feature that knows something about an account gives one small source per kind
(sign-ins, sessions, generations, API keys, mail, staff actions...), and the accounts
feature merges them (`application.accounts.timeline`). A new kind (support tickets)
is one more source in the list the composition root builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: str  # the source's kind: sign_in, session, generation, api_key, mail, staff
    what: str  # one line in words
    detail: str = ""  # where from, why, which code...
    ok: bool = True  # False for a failure (a refused sign-in, a failed generation)
    key: str = ""  # the row it comes from, so entries at the same moment keep an order


class TimelineSource(Protocol):
    """One kind of entry of a user's timeline."""

    @property
    def kind(self) -> str: ...

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        """At most `limit` entries of the account at or before `before`, newest first."""
        ...
