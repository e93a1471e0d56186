"""API keys for power users (P6, S4): named, scoped, shown once, stored hashed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError


class Scope(StrEnum):
    READ = "read"
    GENERATE = "generate"
    ADMIN = "admin"


def parse_scopes(scopes: list[str]) -> frozenset[Scope]:
    if not scopes:
        raise ValidationError(
            "Choose at least one scope: read, generate, admin.", code="scopes_blank"
        )
    try:
        return frozenset(Scope(s) for s in scopes)
    except ValueError:
        raise ValidationError(
            f"Unknown scope in {', '.join(scopes)}; scopes are read, generate and admin.",
            code="scope_unknown",
        ) from None


@dataclass(slots=True)
class ApiKey:
    id: UUID
    user_id: UUID
    name: str
    prefix: str  # visible part, e.g. "vqr_3fK9a2"; identifies the key without revealing it
    secret_hash: str
    scopes: frozenset[Scope]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    previous_secret_hash: str | None = None  # still valid until previous_expires_at (rotation)
    previous_expires_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def is_active(self) -> bool:
        return self.revoked_at is None
