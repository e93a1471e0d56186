"""Opaque cursors for keyset paging (newest first on a time, then an id): the generation
history (G1) and the audit log (O11) page the same way."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from uuid import UUID

from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.shared.errors import ValidationError


def encode_cursor(position: HistoryPosition) -> str:
    """An opaque, URL-safe cursor for the items after `position`."""
    raw = f"{position.created_at.astimezone(UTC).isoformat()}|{position.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> HistoryPosition:
    """The position a cursor of `encode_cursor` stands for; ValidationError when altered."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, generation_id = raw.split("|")
        position = HistoryPosition(datetime.fromisoformat(created_at), UUID(generation_id))
    except (ValueError, binascii.Error) as exc:  # UnicodeDecodeError is a ValueError
        raise ValidationError(
            "This cursor is not one we gave out; start again from the first page.",
            code="invalid_cursor",
        ) from exc
    if position.created_at.tzinfo is None:
        raise ValidationError(
            "This cursor is not one we gave out; start again from the first page.",
            code="invalid_cursor",
        )
    return position
