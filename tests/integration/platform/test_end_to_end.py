"""The whole platform as separate processes, the way it is deployed.

`voiceqr db upgrade`, `users create`, `voices seed`, then `voiceqr serve` and
`voiceqr worker` on PostgreSQL, a Redis stream and S3 (moto). A user signs in through
the API, asks for a generation, waits for it, scans its QR code, opens the playback
page the code points to and plays the audio it links to.
"""

from __future__ import annotations

import io
import signal
import uuid
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.integration.processes import (
    Deadline,
    MotoS3,
    Processes,
    clean_environ,
    moto_s3,  # noqa: F401
    processes,  # noqa: F401
    wait_for_http,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"
TEXT = "Scan the code on the poster and listen to the opening hours."


def is_mp3(data: bytes) -> bool:
    """An ID3 tag or an MPEG audio frame sync (11 set bits) at the start."""
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


class AudioSources(HTMLParser):
    """Collects the `src` of every <audio> element (entities already unescaped)."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "audio":
            src = dict(attrs).get("src")
            if src:
                self.sources.append(src)


def audio_sources(html: str) -> list[str]:
    parser = AudioSources()
    parser.feed(html)
    parser.close()
    return parser.sources


def decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, f"expected one QR code, found {len(results)}"
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(results[0].text)


def test_generation_end_to_end_through_separate_processes(
    moto_s3: MotoS3,  # noqa: F811
    fresh_postgres: str,
    redis_url: str,
    tmp_path: Path,
    processes: Processes,  # noqa: F811 - last: stopped first, before the services
) -> None:
    deadline = Deadline(55)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_environ(
        VOICEQR_DATABASE_URL=fresh_postgres,
        VOICEQR_QUEUE="redis",
        VOICEQR_QUEUE_REDIS_URL=redis_url,
        VOICEQR_QUEUE_STREAM=f"voiceqr:test:{uuid.uuid4().hex}",
        VOICEQR_PUBLIC_BASE_URL=base,
        VOICEQR_DATA_DIR=str(tmp_path / "data"),
        VOICEQR_JOBS_SWEEP_INTERVAL_SECONDS="0.5",
        VOICEQR_LOG_LEVEL="INFO",
        **moto_s3.env(),
    )

    upgrade = processes.run("db", "upgrade", env=env, timeout=deadline.left(30))
    assert "database at revision" in upgrade.stdout
    # Everything else is independent of each other: start it all at once.
    server = processes.voiceqr("serve", "serve", "--port", str(port), env=env)
    worker = processes.voiceqr("worker", "worker", env=env)
    create_user = processes.voiceqr(
        "users-create",
        *("users", "create", EMAIL, "--name", "Ada", "--password-stdin"),
        env=env,
        stdin=PASSWORD + "\n",
    )
    seed = processes.voiceqr("voices-seed", "voices", "seed", env=env)
    assert EMAIL in processes.finish(create_user, timeout=deadline.left(30))
    assert "added" in processes.finish(seed, timeout=deadline.left(30))
    assert moto_s3.keys("samples/"), "seeding stores a spoken sample per voice"

    wait_for_http(
        f"{base}/healthz", timeout=deadline.left(30), processes=processes, watch=[server, worker]
    )
    ready = httpx.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "storage": "ok", "queue": "ok"}

    with httpx.Client(base_url=base, timeout=10) as client:
        login = client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert client.cookies.get("voiceqr_session")

        voices = client.get("/api/v1/voices").json()
        assert voices, "the seeded gallery is listed"
        voice = voices[0]

        response = client.post("/api/v1/generations", json={"text": TEXT, "voice_id": voice["id"]})
        assert response.status_code == 202, response.text
        generation = response.json()
        assert generation["status"] == "pending"
        generation_id = generation["id"]

        def finished() -> dict[str, object] | None:
            body = client.get(f"/api/v1/generations/{generation_id}").json()
            return body if body["status"] in ("completed", "failed") else None

        done = wait_until(
            finished,
            timeout=deadline.left(30),
            what="the generation to finish",
            processes=processes,
            watch=[server, worker],
        )
        assert done["status"] == "completed", done
        assert done["attempts"] == 1
        assert done["error"] is None
        playback_url = done["playback_url"]
        assert playback_url == f"{base}/p/{generation['public_code']}"

        qr = client.get(f"/api/v1/generations/{generation_id}/qr.png", params={"size": 512})
        assert qr.status_code == 200, qr.text
        assert qr.headers["content-type"] == "image/png"
        assert qr.content.startswith(b"\x89PNG\r\n\x1a\n")

    scanned_url = decode_qr(qr.content)
    assert scanned_url == f"{playback_url}?s=q"  # marked as a scan of the printed code

    # A phone that scans the code has no session: the playback page is public.
    page = httpx.get(scanned_url, timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert TEXT in page.text
    sources = audio_sources(page.text)
    assert len(sources) == 1, page.text
    audio_url = sources[0]
    assert audio_url.startswith(f"{moto_s3.endpoint}/{moto_s3.bucket}/audio/{generation_id}/")
    assert "X-Amz-Signature=" in audio_url, "a presigned URL"

    audio = httpx.get(audio_url, timeout=10)
    assert audio.status_code == 200, audio.text
    assert audio.headers["content-type"] == "audio/mpeg"
    assert len(audio.content) > 1000
    assert is_mp3(audio.content), audio.content[:16]

    stored = moto_s3.keys(f"audio/{generation_id}/")
    assert stored == [f"audio/{generation_id}/1.mp3"]
    body = moto_s3.client().get_object(Bucket=moto_s3.bucket, Key=stored[0])["Body"].read()
    assert body == audio.content

    # Both long-running processes are still up, and stop cleanly on SIGTERM (uvicorn
    # re-raises the signal after its graceful shutdown, so it may end "killed" by it).
    processes.check_alive(server, worker)
    assert processes.stop(worker) == 0, worker.describe()
    assert "worker stopped" in worker.output()
    assert processes.stop(server) in (0, -signal.SIGTERM), server.describe()
    assert "Application shutdown complete" in server.output()
    assert deadline.elapsed < 60
