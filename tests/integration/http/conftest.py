"""The app most web-app tests run against, and its people, one of each per test module.

One app on the embedded platform (SQLite in a temporary data directory, local storage,
espeak, the in-process worker and sweeper, migrated and seeded on start) serves each
module, so state accumulates: counts are compared before and after, and the user who
must own nothing (carol) only ever sends bad requests. A module (or a folder's
conftest) that defines its own `app` uses that instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.http_helpers import Agent, RunningApp, embedded_app, wait_until_finished
from voiceqr.domain.accounts.users import Role

TRANSCRIPT = "Room 4 & 5: <b>The Starry Night</b>, painted in 1889."


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-data")) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(app: RunningApp) -> Agent:
    return await app.new_user("admin@example.com", role=Role.ADMIN)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def alice(app: RunningApp) -> Agent:
    return await app.new_user("alice@example.com")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bob(app: RunningApp) -> Agent:
    return await app.new_user("bob@example.com")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def carol(app: RunningApp) -> Agent:
    """A user whose every request is rejected: she must never own a generation."""
    return await app.new_user("carol@example.com")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voices(app: RunningApp) -> list[dict[str, Any]]:
    response = await app.anonymous.get("/api/v1/voices")
    assert response.status_code == 200
    published: list[dict[str, Any]] = response.json()
    assert published
    return published


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def unpublished_voice(admin: Agent) -> dict[str, Any]:
    response = await admin.post(
        "/api/v1/voices",
        json={"name": "Draft voice", "provider_voice_id": "en-gb", "published": False},
    )
    assert response.status_code == 201, response.text
    voice: dict[str, Any] = response.json()
    return voice


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def spoken(alice: Agent, voices: list[dict[str, Any]]) -> dict[str, Any]:
    """Alice's completed generation."""
    response = await alice.post(
        "/api/v1/generations", json={"text": TRANSCRIPT, "voice_id": voices[0]["id"]}
    )
    assert response.status_code == 202, response.text
    done = await wait_until_finished(alice, response.json()["id"])
    assert done["status"] == "completed", done
    return done
