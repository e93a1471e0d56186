"""The app the accounts API tests run against, one per test module.

One app (SQLite in a temporary data directory, the real argon2id hasher at its lowest
cost) serves each module; each test uses its own addresses. Rate limits are generous on
the main app and strict on a second one used only by the rate-limit tests. A module that
defines its own `app` or `clock` uses that instead."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.integration.http.accounts.accounts_api import TRUSTED_PROXY, Clock, running
from tests.integration.http_helpers import RunningApp
from voiceqr.settings import Auth


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> AsyncIterator[RunningApp]:
    auth = Auth(sign_in_per_minute=10_000, emails_per_hour=10_000, trusted_proxies=TRUSTED_PROXY)
    async with running(tmp_path_factory.mktemp("accounts"), clock, auth) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def strict_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    auth = Auth(sign_in_per_minute=5, emails_per_hour=3, address_emails_per_hour=3)
    async with running(tmp_path_factory.mktemp("strict"), Clock(), auth) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(app: RunningApp) -> str:
    voices = (await app.anonymous.get("/api/v1/voices")).json()
    assert voices
    return str(voices[0]["id"])
