"""While the job queue is down a pending generation says what it waits for, on the
generation page and in the JSON API, and /readyz says what is wrong.

The web app runs on the embedded database with the Redis queue; the queue is a free
127.0.0.1 port nobody listens on, until the test starts a throw-away `redis-server`
there.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.integration.http_helpers import (
    BROWSER,
    GENEROUS_LIMITS,
    Agent,
    embedded_app,
    running_app,
    wait_until_finished,
)
from tests.integration.processes import (
    Processes,
    processes,  # noqa: F401
    start_redis_server,
)
from voiceqr.settings import Queue, Settings

pytestmark = pytest.mark.redis

QUEUED = "Queued: the job will start as soon as the job queue is back."
STATUS_LINE = re.compile(r'<p class="status[^"]*" id="status"[^>]*>\s*(.*?)\s*</p>', re.S)


async def status_line(agent: Agent, generation_id: str) -> str:
    page = await agent.get(f"/generations/{generation_id}", headers=BROWSER)
    assert page.status_code == 200, page.text
    found = STATUS_LINE.search(page.text)
    assert found, page.text
    return html.unescape(found.group(1))


async def test_a_generation_waiting_for_a_downed_queue_says_it_starts_once_the_queue_is_back(
    tmp_path: Path,
    processes: Processes,  # noqa: F811
) -> None:
    port = free_port()  # nothing listens there yet
    settings = Settings(
        data_dir=str(tmp_path / "data"),
        auth=GENEROUS_LIMITS,
        queue=Queue(backend="redis", redis_url=f"redis://127.0.0.1:{port}/0"),
    )
    async with running_app(settings) as app:
        owner = await app.new_user("ada@example.com")

        ready = await app.anonymous.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert (checks["database"], checks["storage"]) == ("ok", "ok")
        assert checks["queue"].startswith(f"unavailable: Error 111 connecting to 127.0.0.1:{port}")

        voice_id = (await owner.get("/api/v1/voices")).json()[0]["id"]
        created = await owner.post(
            "/api/v1/generations", json={"text": "Wait for me.", "voice_id": voice_id}
        )
        assert created.status_code == 202, created.text
        generation = created.json()
        assert (generation["status"], generation["queue_notice"]) == ("pending", QUEUED)
        generation_id = generation["id"]

        again = (await owner.get(f"/api/v1/generations/{generation_id}")).json()
        assert (again["status"], again["queue_notice"]) == ("pending", QUEUED)
        listed = (await owner.get("/api/v1/generations")).json()["items"]
        assert [(g["id"], g["queue_notice"]) for g in listed] == [(generation_id, QUEUED)]
        assert await status_line(owner, generation_id) == QUEUED

        # The queue is back: the next look at it (at once for /readyz) clears the notice.
        start_redis_server(processes, port)
        ready = await app.anonymous.get("/readyz")
        assert ready.status_code == 200, ready.text
        back = (await owner.get(f"/api/v1/generations/{generation_id}")).json()
        assert (back["status"], back["queue_notice"]) == ("pending", None)
        assert await status_line(owner, generation_id) == "Waiting for a worker…"


async def test_a_generation_with_a_queue_that_answers_has_no_notice(tmp_path: Path) -> None:
    async with embedded_app(tmp_path / "data") as app:
        owner = await app.new_user("ada@example.com")
        voice_id = (await owner.get("/api/v1/voices")).json()[0]["id"]
        created = await owner.post(
            "/api/v1/generations", json={"text": "Straight away.", "voice_id": voice_id}
        )
        assert created.status_code == 202, created.text
        assert created.json()["queue_notice"] is None

        done = await wait_until_finished(owner, created.json()["id"])
        assert (done["status"], done["queue_notice"]) == ("completed", None)
