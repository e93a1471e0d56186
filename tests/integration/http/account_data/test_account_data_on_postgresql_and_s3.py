"""The owner's archive and then the account's deletion on PostgreSQL with the audio in
S3 (moto's server): the archive is uploaded in parts and downloads whole; after the
deletion job its objects (audio and archive) are gone from the bucket, its codes answer
410 and no table names it."""

from __future__ import annotations

import asyncio
import io
import json
import time
import zipfile
from pathlib import Path
from uuid import UUID

import pytest

from tests.integration.account_rows import rows_naming
from tests.integration.http_helpers import running_app, wait_until_finished
from tests.integration.processes import MotoS3, moto_s3  # noqa: F401
from voiceqr.domain.accounts.users import Role
from voiceqr.settings import Database, Settings, Storage

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.postgres
async def test_an_account_deleted_on_postgresql_loses_its_objects_in_s3(
    fresh_postgres: str,
    tmp_path: Path,
    moto_s3: MotoS3,  # noqa: F811
) -> None:
    storage = Storage(
        backend="s3",
        s3_bucket=moto_s3.bucket,
        s3_region=moto_s3.region,
        s3_endpoint_url=moto_s3.endpoint,
        s3_access_key_id=moto_s3.access_key_id,
        s3_secret_access_key=moto_s3.secret_access_key,
    )
    settings = Settings(
        data_dir=str(tmp_path), database=Database(url=fresh_postgres), storage=storage
    )
    async with running_app(settings) as app:
        platform = app.platform
        app.call(platform.upgrade_database)
        app.call(platform.voices.seed, platform.default_voices)
        admin = await app.new_user("admin@example.com", role=Role.ADMIN)
        owner = await app.new_user("owner@example.com")
        assert owner.user is not None
        voices = (await app.anonymous.get("/api/v1/voices")).json()
        made = []
        for text in ("First room.", "Second room."):
            accepted = await owner.post(
                "/api/v1/generations", json={"text": text, "voice_id": voices[0]["id"]}
            )
            assert accepted.status_code == 202, accepted.text
            made.append(await wait_until_finished(owner, accepted.json()["id"]))
        scanned = await app.anonymous.get(f"/p/{made[0]['public_code']}")
        assert scanned.status_code == 200
        for generation in made:
            assert moto_s3.keys(f"audio/{generation['id']}/")

        # The owner's archive first: a multipart upload into the bucket, read back whole.
        asked = await owner.post("/api/v1/me/exports")
        assert asked.status_code == 202, asked.text
        export_url = f"/api/v1/me/exports/{asked.json()['id']}"
        deadline = time.monotonic() + 20
        while (export := (await owner.get(export_url)).json())["status"] == "pending":
            assert time.monotonic() < deadline, export
            await asyncio.sleep(0.05)
        assert export["status"] == "ready", export
        archive = zipfile.ZipFile(io.BytesIO((await owner.get(export["download_url"])).content))
        document = json.loads(archive.read("account.json"))
        assert {g["public_code"] for g in document["generations"]} == {
            g["public_code"] for g in made
        }
        assert len([n for n in archive.namelist() if n.endswith(".mp3")]) == 2
        assert moto_s3.keys(f"exports/{owner.user.id}/")

        response = await admin.post(
            f"/api/v1/admin/users/{owner.user.id}/deletion",
            json={"email": "owner@example.com", "reason": "asked by mail"},
        )
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + 20
        while app.call(platform.account_deletions.pending, owner.user.id) is not None:
            assert time.monotonic() < deadline, "the deletion job did not finish"
            await asyncio.sleep(0.05)

        for generation in made:
            assert moto_s3.keys(f"audio/{generation['id']}/") == []
            assert (await app.anonymous.get(f"/p/{generation['public_code']}")).status_code == 410
        assert moto_s3.keys(f"exports/{owner.user.id}/") == []
        ids = [UUID(g["id"]) for g in made]
        assert app.call(rows_naming, app.uow.engine, owner.user.id, ids) == {}
        assert (await owner.get("/api/v1/me")).status_code == 401
