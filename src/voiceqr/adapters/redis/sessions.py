"""Sign-in sessions in Redis (production): one hash per session, a set per user.

Each session key expires with the session's absolute lifetime, so Redis forgets
ended sessions by itself; the per-user set is pruned when listed.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from voiceqr.domain.accounts.sessions import Session

_DATES = (
    "created_at",
    "last_seen_at",
    "expires_at",
    "idle_expires_at",
    "reauthenticated_at",
    "viewing_until",
)
_IDS = ("id", "viewing_user_id")


def _encode(session: Session) -> str:
    values: dict[str, Any] = asdict(session)
    for name in _DATES:
        value = values[name]
        values[name] = value.isoformat() if value is not None else None
    values["user_id"] = str(session.user_id)
    for name in _IDS:
        values[name] = str(values[name]) if values[name] else None
    return json.dumps(values)


def _decode(raw: str | bytes) -> Session:
    values = json.loads(raw)
    for name in _DATES:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    values["user_id"] = UUID(values["user_id"])
    for name in _IDS:
        values[name] = UUID(values[name]) if values.get(name) else None
    return Session(**values)


class RedisSessionStore:
    def __init__(self, client: Redis, *, prefix: str = "voiceqr:session") -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, token_hash: str) -> str:
        return f"{self._prefix}:{token_hash}"

    def _user_key(self, user_id: UUID) -> str:
        return f"{self._prefix}s-of:{user_id}"

    async def add(self, session: Session) -> None:
        ttl = max(1, int((session.expires_at - session.created_at).total_seconds()))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(session.token_hash), _encode(session), ex=ttl)
            pipe.sadd(self._user_key(session.user_id), session.token_hash)
            await pipe.execute()

    async def get(self, token_hash: str) -> Session | None:
        raw = await self._redis.get(self._key(token_hash))
        return None if raw is None else _decode(raw)

    async def _change(self, token_hash: str, **changes: datetime | UUID | None) -> Session | None:
        """Change fields of a stored session; the session as it was, None when gone."""
        key = self._key(token_hash)
        raw = await self._redis.get(key)
        if raw is None:
            return None
        session = _decode(raw)
        was = _decode(raw)
        for name, value in changes.items():
            setattr(session, name, value)
        # XX: a session deleted since it was read (signed out) stays deleted.
        await self._redis.set(key, _encode(session), keepttl=True, xx=True)
        return was

    async def touch(
        self, token_hash: str, *, last_seen_at: datetime, idle_expires_at: datetime
    ) -> None:
        await self._change(token_hash, last_seen_at=last_seen_at, idle_expires_at=idle_expires_at)

    async def mark_reauthenticated(self, token_hash: str, *, at: datetime) -> None:
        await self._change(token_hash, reauthenticated_at=at)

    async def start_viewing(self, token_hash: str, *, user_id: UUID, until: datetime) -> None:
        await self._change(token_hash, viewing_user_id=user_id, viewing_until=until)

    async def stop_viewing(self, token_hash: str) -> bool:
        # Read then written, not atomic: two requests at the very end of a view may both
        # say they ended it (the audit log then has two end rows; nothing else differs).
        was = await self._change(token_hash, viewing_user_id=None, viewing_until=None)
        return was is not None and was.viewing_user_id is not None

    async def delete(self, token_hash: str) -> None:
        session = await self.get(token_hash)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(token_hash))
            if session is not None:
                pipe.srem(self._user_key(session.user_id), token_hash)
            await pipe.execute()

    async def list_for_user(self, user_id: UUID) -> list[Session]:
        hashes = [
            h.decode() if isinstance(h, bytes) else h
            for h in await self._redis.smembers(self._user_key(user_id))
        ]
        sessions: list[Session] = []
        gone: list[str] = []
        for token_hash in hashes:
            raw = await self._redis.get(self._key(token_hash))
            if raw is None:
                gone.append(token_hash)
            else:
                sessions.append(_decode(raw))
        if gone:
            await self._redis.srem(self._user_key(user_id), *gone)
        return sorted(sessions, key=lambda s: s.last_seen_at, reverse=True)

    async def delete_for_user(self, user_id: UUID, *, keep: str | None = None) -> int:
        ended = 0
        for session in await self.list_for_user(user_id):
            if session.token_hash != keep:
                await self.delete(session.token_hash)
                ended += 1
        return ended
