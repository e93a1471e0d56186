"""The terms and privacy policy in the JSON API."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class LegalVersionOut(msgspec.Struct):
    kind: str  # terms or privacy
    version: int
    effective_on: date
    summary: str  # what changed since the version before
    sha256: str  # of the text (UTF-8), to check a copy against
    material: bool  # users had to accept it again
    published_at: datetime
    live: bool  # the version in force today
    scheduled: bool  # published, in force from `effective_on`
    url: str  # the page of this version


class LegalDocumentOut(LegalVersionOut):
    title: str
    text: str  # Markdown
    next_version: LegalVersionOut | None  # announced: published, not in force yet


class LegalVersionList(msgspec.Struct):
    items: list[LegalVersionOut]  # oldest first
