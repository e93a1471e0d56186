"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency

from voiceqr.bootstrap import Platform


@get("/healthz", cache=False)
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/readyz")
async def readyz(platform: NamedDependency[Platform]) -> Response[dict[str, object]]:
    """Database, storage and queue are reachable; 503 naming what is not."""
    checks = await platform.operations.readiness()
    ready = all(v == "ok" for v in checks.values())
    return Response(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )
