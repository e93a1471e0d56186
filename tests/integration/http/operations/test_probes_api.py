"""The probes an operator watches and the API description."""

from __future__ import annotations

import pytest

from tests.integration.http_helpers import (
    RunningApp,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_healthz_is_ok(app: RunningApp) -> None:
    response = await app.anonymous.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_database_storage_and_queue(app: RunningApp) -> None:
    response = await app.anonymous.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "queue": "ok"},
    }


async def test_the_openapi_schema_documents_the_api(app: RunningApp) -> None:
    response = await app.anonymous.get("/api/v1/schema/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/generations" in paths
    assert {"get", "post"} <= set(paths["/api/v1/generations"])
    assert "/api/v1/generations/{generation_id}" in paths
    assert "/api/v1/voices" in paths
    assert not any(p.startswith(("/p/", "/signin", "/media")) for p in paths)
