"""A user's timeline for staff: every source's entries merged newest first, filtered
by kind, a page at a time; and the accounts feature's own sources (sign-ins,
sessions, API keys, staff actions).

Each source reads at most a page (plus one) at or before the page's start, so a page
costs one small query per source whatever the account's age. The cursor is the last
entry's (time, key): the next page starts at that time and skips what was shown.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.accounts.ports import AccountsUnitOfWork, SessionStore
from voiceqr.application.shared.timeline import TimelineEntry, TimelineSource
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.operations.audit import AuditPosition
from voiceqr.domain.shared.errors import NotFound, ValidationError

MAX_TIMELINE_PAGE = 100
_LAST_ID = UUID(int=2**128 - 1)  # sorts after every id: "everything at that moment"


@dataclass(frozen=True, slots=True)
class TimelinePage:
    email: str
    kinds: list[str]  # every kind the timeline has, for the filter
    items: list[TimelineEntry]
    next_cursor: str | None


class UserTimeline:
    """Merges the sources of a user's timeline (staff who may read accounts only)."""

    def __init__(
        self,
        *,
        uow: Callable[[], AccountsUnitOfWork],
        clock: Callable[[], datetime],
        sources: Sequence[TimelineSource],
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._sources = tuple(sources)

    @property
    def kinds(self) -> list[str]:
        return [source.kind for source in self._sources]

    async def page(
        self,
        actor: Actor,
        user_id: UUID,
        *,
        kinds: Collection[str] = (),
        cursor: str | None = None,
        limit: int = 50,
    ) -> TimelinePage:
        """The entries of the account newest first, only of `kinds` when given."""
        require(actor, Permission.READ_ACCOUNTS)
        unknown = set(kinds) - set(self.kinds)
        if unknown:
            raise ValidationError(
                f"Unknown kind {', '.join(sorted(unknown))}; kinds are {', '.join(self.kinds)}.",
                code="unknown_kind",
            )
        limit = max(1, min(limit, MAX_TIMELINE_PAGE))
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("No such account.", code="user_not_found")
        before, seen = (self._clock(), "") if cursor is None else _decode(cursor)
        entries: list[TimelineEntry] = []
        for source in self._sources:
            if kinds and source.kind not in kinds:
                continue
            found = await source.read(user.id, user.email, before=before, limit=limit + 1)
            entries += [e for e in found if (e.at, e.key) < (before, seen) or not seen]
        entries.sort(key=lambda e: (e.at, e.key), reverse=True)
        page = entries[:limit]
        more = len(entries) > limit
        return TimelinePage(
            user.email, self.kinds, page, _encode(page[-1]) if more and page else None
        )


def _encode(last: TimelineEntry) -> str:
    raw = f"{last.at.isoformat()}|{last.key}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, key = raw.split("|", 1)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not key:
            raise ValueError(raw)
    except (ValueError, binascii.Error) as exc:
        raise ValidationError(
            "This cursor is not one we gave out; start again from the first page.",
            code="invalid_cursor",
        ) from exc
    return moment, key


# --- the accounts feature's sources ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignIns:
    """Sign-ins and refused ones (with why), from the login activity."""

    uow: Callable[[], AccountsUnitOfWork]
    kind: str = "sign_in"

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        async with self.uow() as uow:
            events = await uow.login_events.list_for_user(user_id, limit=limit, before=before)
        return [
            TimelineEntry(
                e.occurred_at,
                self.kind,
                f"Signed in ({e.method})" if e.success else f"Sign-in refused: {e.reason}",
                " · ".join(p for p in (e.ip, e.device, e.country) if p),
                ok=e.success,
                key=str(e.id),
            )
            for e in events
        ]


@dataclass(frozen=True, slots=True)
class Sessions:
    """The sessions the store still holds (ended ones are gone from it)."""

    sessions: SessionStore
    kind: str = "session"

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        found = [s for s in await self.sessions.list_for_user(user_id) if s.created_at <= before]
        found.sort(key=lambda s: s.created_at, reverse=True)
        return [
            TimelineEntry(
                s.created_at,
                self.kind,
                f"Session started ({s.method}{', remembered' if s.remember_me else ''})",
                " · ".join(p for p in (s.ip, s.browser, s.device, s.country) if p)
                + f" · last seen {s.last_seen_at:%Y-%m-%d %H:%M} UTC",
                key=str(s.id),
            )
            for s in found[:limit]
        ]


@dataclass(frozen=True, slots=True)
class ApiKeyUse:
    """API keys made, last used and revoked (a key keeps its last use only)."""

    uow: Callable[[], AccountsUnitOfWork]
    kind: str = "api_key"

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        async with self.uow() as uow:
            keys = await uow.api_keys.list_for_user(user_id)
        entries = []
        for k in keys:
            label = f"“{k.name}” ({k.prefix})"
            for at, what in (
                (k.created_at, f"API key {label} made"),
                (k.last_used_at, f"API key {label} last used"),
                (k.revoked_at, f"API key {label} revoked"),
            ):
                if at is not None and at <= before:
                    entries.append(TimelineEntry(at, self.kind, what, key=f"{k.id}:{what}"))
        entries.sort(key=lambda e: (e.at, e.key), reverse=True)
        return entries[:limit]


@dataclass(frozen=True, slots=True)
class StaffActions:
    """Every staff action on the account: who, what, why (the audit log)."""

    uow: Callable[[], AccountsUnitOfWork]
    kind: str = "staff"

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        async with self.uow() as uow:
            events = await uow.audit.list_for_target(
                "user", str(user_id), limit=limit, after=AuditPosition(before, _LAST_ID)
            )
        return [
            TimelineEntry(
                e.occurred_at,
                self.kind,
                f"{e.action} by {e.actor}",
                str(e.details.get("reason", "")),
                key=str(e.id),
            )
            for e in events
        ]
