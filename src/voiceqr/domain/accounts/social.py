"""Identities at Google or Microsoft linked to an account (A5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class SocialIdentity:
    id: UUID
    user_id: UUID
    provider: str  # google, microsoft
    subject: str  # the provider's stable user id (`sub`, or `oid`+`tid` at Microsoft)
    email: str
    created_at: datetime
