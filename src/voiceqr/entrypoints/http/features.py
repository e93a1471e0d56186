"""The features the web app serves: adding one is a package with its routers and a line here."""

from __future__ import annotations

from typing import Protocol

from litestar import Router

from voiceqr.entrypoints.http import (
    accounts,
    analytics,
    backoffice,
    compliance,
    generations,
    mail,
    moderation,
    operations,
    playback,
    profile,
    support,
    voices,
)


class Feature(Protocol):
    """A feature package: its JSON API (mounted under /api/v1) and its pages (at the root)."""

    @property
    def api_router(self) -> Router | None: ...

    @property
    def pages_router(self) -> Router | None: ...


FEATURES: tuple[Feature, ...] = (
    accounts,
    profile,
    voices,
    generations,
    playback,
    analytics,
    mail,
    operations,
    support,
    compliance,
    moderation,
    backoffice,
)
