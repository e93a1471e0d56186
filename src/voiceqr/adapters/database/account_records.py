"""Everything an account holds, read for its archive: the rows of every feature that
belong to it, as JSON-ready values, with no secret, hash or other account's data."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import Table, func, select

from voiceqr.adapters.database.accounts import api_keys, login_events, social_identities, users
from voiceqr.adapters.database.generations import generation_revisions, generations
from voiceqr.adapters.database.mail_preferences import notices, notification_settings
from voiceqr.adapters.database.organising import (
    folders,
    generation_folders,
    generation_tags,
    tags,
)
from voiceqr.adapters.database.playback import playback_events
from voiceqr.adapters.database.profile import user_preferences
from voiceqr.adapters.database.shared import Repository
from voiceqr.application.account_data.ports import AccountRecord, ArchivedAudio
from voiceqr.domain.generations.titles import shown_title

# What an archive shows of each table: never a password hash, a TOTP secret or an API
# key's secret hash.
_ACCOUNT = (
    "id",
    "email",
    "name",
    "role",
    "status",
    "created_at",
    "email_verified_at",
    "locked_until",
    "terms_accepted_at",
    "totp_enabled_at",
    "password_changed_at",
)
_PREFERENCES = (
    "default_voice_id",
    "qr_size",
    "draft_text",
    "draft_voice_id",
    "draft_saved_at",
    "time_zone",
)
_NOTIFICATIONS = tuple(c.name for c in notification_settings.columns if c.name != "user_id")
_NOTICE = ("id", "kind", "text", "link", "created_at", "read_at")
_LOGIN = ("occurred_at", "success", "method", "reason", "ip", "user_agent", "device", "country")
_API_KEY = ("id", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
_SOCIAL = ("provider", "email", "created_at")
_GENERATION = (
    "id",
    "public_code",
    "text",
    "voice_id",
    "status",
    "created_at",
    "completed_at",
    "deleted_at",
    "characters_billed",
    "revision",
    "live_revision",
)
_REVISION = ("number", "text", "voice_id", "created_at", "completed_at", "audio_bytes")


def _json(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value


def _pick(row: Any, columns: tuple[str, ...]) -> dict[str, object]:
    return {name: _json(row[name]) for name in columns}


class SqlAccountRecords(Repository):
    async def read(self, user_id: UUID) -> AccountRecord:
        user = await self._first(select(users).where(users.c.id == user_id))
        if user is None:
            return AccountRecord(document={}, audio=(), codes=())
        preferences = await self._first(
            select(user_preferences).where(user_preferences.c.user_id == user_id)
        )
        chosen = await self._first(
            select(notification_settings).where(notification_settings.c.user_id == user_id)
        )
        labels = {
            kind: await self._owned(table, user_id)
            for kind, table in (("folders", folders), ("tags", tags))
        }
        gens, audio = await self._generations(user_id)
        account = _pick(user, _ACCOUNT)
        account["has_password"] = user["password_hash"] is not None
        document: dict[str, object] = {
            "account": account,
            "preferences": None if preferences is None else _pick(preferences, _PREFERENCES),
            "notification_settings": None if chosen is None else _pick(chosen, _NOTIFICATIONS),
            "notices": [
                _pick(r, _NOTICE)
                for r in await self._rows(
                    select(notices).where(notices.c.user_id == user_id).order_by(notices.c.id)
                )
            ],
            "login_activity": [
                _pick(r, _LOGIN)
                for r in await self._rows(
                    select(login_events)
                    .where(login_events.c.user_id == user_id)
                    .order_by(login_events.c.occurred_at.desc())
                )
            ],
            "api_keys": [
                _pick(r, _API_KEY)
                for r in await self._rows(select(api_keys).where(api_keys.c.user_id == user_id))
            ],
            "social_identities": [
                _pick(r, _SOCIAL)
                for r in await self._rows(
                    select(social_identities).where(social_identities.c.user_id == user_id)
                )
            ],
            "folders": labels["folders"],
            "tags": labels["tags"],
            "generations": gens,
        }
        codes = tuple(str(g["public_code"]) for g in gens)
        return AccountRecord(document=document, audio=tuple(audio), codes=codes)

    async def _owned(self, table: Table, user_id: UUID) -> list[dict[str, object]]:
        query = select(table.c.id, table.c.name, table.c.created_at).where(
            table.c.owner_id == user_id
        )
        return [_pick(r, ("id", "name", "created_at")) for r in await self._rows(query)]

    async def _generations(
        self, user_id: UUID
    ) -> tuple[list[dict[str, object]], list[ArchivedAudio]]:
        rows = await self._rows(
            select(generations)
            .where(generations.c.owner_id == user_id)
            .order_by(generations.c.created_at)
        )
        ids = [r["id"] for r in rows]
        revisions: dict[UUID, list[Any]] = defaultdict(list)
        counts: dict[tuple[UUID, str], int] = {}
        folder_of: dict[UUID, str] = {}
        tags_of: dict[UUID, list[str]] = defaultdict(list)
        if ids:
            for r in await self._rows(
                select(generation_revisions)
                .where(generation_revisions.c.generation_id.in_(ids))
                .order_by(generation_revisions.c.number)
            ):
                revisions[r["generation_id"]].append(r)
            counted = (
                select(playback_events.c.generation_id, playback_events.c.kind, func.count())
                .where(playback_events.c.generation_id.in_(ids))
                .group_by(playback_events.c.generation_id, playback_events.c.kind)
            )
            for generation_id, kind, count in await self._db.execute(counted):
                counts[(generation_id, kind)] = int(count)
            for r in await self._rows(
                select(generation_folders.c.generation_id, folders.c.name)
                .join(folders, folders.c.id == generation_folders.c.folder_id)
                .where(generation_folders.c.generation_id.in_(ids))
            ):
                folder_of[r["generation_id"]] = r["name"]
            for r in await self._rows(
                select(generation_tags.c.generation_id, tags.c.name)
                .join(tags, tags.c.id == generation_tags.c.tag_id)
                .where(generation_tags.c.generation_id.in_(ids))
            ):
                tags_of[r["generation_id"]].append(r["name"])
        out: list[dict[str, object]] = []
        audio: list[ArchivedAudio] = []
        for row in rows:
            gid, code = row["id"], row["public_code"]
            listed = []
            for revision in revisions[gid]:
                entry = _pick(revision, _REVISION)
                entry["audio_file"] = None
                if revision["audio_key"]:
                    path = f"audio/{code}-{revision['number']}.mp3"
                    entry["audio_file"] = path
                    audio.append(ArchivedAudio(storage_key=revision["audio_key"], path=path))
                listed.append(entry)
            if row["audio_key"] and not any(r["audio_key"] for r in revisions[gid]):
                audio.append(ArchivedAudio(storage_key=row["audio_key"], path=f"audio/{code}.mp3"))
            generation = _pick(row, _GENERATION)
            generation.update(
                title=shown_title(row["title"], row["text"]),  # the owner's, or the first words
                folder=folder_of.get(gid),
                tags=sorted(tags_of[gid]),
                scans=counts.get((gid, "scan"), 0),
                listens=counts.get((gid, "listen"), 0),
                revisions=listed,
                qr_file=f"qr/{code}.svg",
            )
            out.append(generation)
        return out, audio
