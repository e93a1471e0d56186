"""The owner's archive: asked for, built by a job with flat memory, mailed as a link
that works for seven days (the owner's only), and audited."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import tracemalloc
import zipfile
from collections.abc import AsyncIterable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.account_data.steps import completed
from tests.unit.fakes import Services, make_services
from voiceqr.adapters.archive import ZipToStorage
from voiceqr.adapters.storage.local import LocalAudioStorage
from voiceqr.application.account_data.export import EXPORT_ACCOUNT
from voiceqr.domain.account_data.export import ExportStatus
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import OPERATOR, Role
from voiceqr.domain.compliance.documents import DocumentKind
from voiceqr.domain.shared.errors import Conflict, Gone, NotFound, StorageError


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def ann(s: Services) -> User:
    return s.add_user("ann@example.com")


async def _archive(s: Services, user: User, export_id: object) -> zipfile.ZipFile:
    export = await s.platform.account_exports.of(user, export_id)  # type: ignore[arg-type]
    return zipfile.ZipFile(io.BytesIO(s.storage.objects[export.storage_key].data))


async def test_the_archive_holds_the_json_the_readme_every_mp3_and_every_qr_code(
    s: Services, ann: User
) -> None:
    codes = await completed(s, ann, 2)
    export = await s.platform.account_exports.request(ann)
    assert (EXPORT_ACCOUNT, (str(export.id),)) in s.queue.jobs

    assert await s.platform.account_exports.build(export.id)
    assert not await s.platform.account_exports.build(export.id)  # a second delivery

    archive = await _archive(s, ann, export.id)
    names = set(archive.namelist())
    assert {"account.json", "README.md"} <= names
    assert {f"audio/{c}.mp3" for c in codes} <= names
    assert {f"qr/{c}.svg" for c in codes} <= names
    document = json.loads(archive.read("account.json"))
    assert document["schema_version"] == 2
    assert document["account"]["email"] == "ann@example.com"
    assert document["sessions"] == []
    ready = await s.platform.account_exports.of(ann, export.id)
    assert ready.status is ExportStatus.READY
    assert ready.expires_at == s.clock() + timedelta(days=7)
    (mail,) = [m for m in s.db.outbox.values() if m.kind == "account_export_ready"]
    assert mail.to == "ann@example.com"
    assert f"/profile/exports/{export.id}/download" in mail.text


async def test_the_archive_holds_the_owners_tickets_without_staffs_internal_notes(
    s: Services, ann: User
) -> None:
    agent = s.add_user("help@example.com", name="Hana", role=Role.SUPPORT)
    opened = await s.platform.support.help_desk.open(ann, subject="No sound", body="Silent?")
    ticket_id = opened.ticket.id
    await s.platform.support.queue.reply(agent, ticket_id, "Try again now.")
    await s.platform.support.queue.reply(agent, ticket_id, "Was a provider outage", internal=True)
    export = await s.platform.account_exports.request(ann)
    assert await s.platform.account_exports.build(export.id)

    document = json.loads((await _archive(s, ann, export.id)).read("account.json"))
    (ticket,) = document["support_tickets"]
    assert (ticket["id"], ticket["subject"]) == (str(ticket_id), "No sound")
    assert [(m["from_staff"], m["body"]) for m in ticket["messages"]] == [
        (False, "Silent?"),
        (True, "Try again now."),
    ]


async def test_the_link_is_the_owners_and_works_seven_days(s: Services, ann: User) -> None:
    bob = s.add_user("bob@example.com")
    export = await s.platform.account_exports.request(ann)
    with pytest.raises(Conflict):
        await s.platform.account_exports.download(ann, export.id)  # not built yet
    with pytest.raises(Conflict):
        await s.platform.account_exports.request(ann)  # one at a time
    await s.platform.account_exports.build(export.id)
    with pytest.raises(NotFound):
        await s.platform.account_exports.download(bob, export.id)

    _, stream = await s.platform.account_exports.download(ann, export.id)
    assert stream.total > 0
    s.clock.advance(days=7)
    with pytest.raises(Gone):
        await s.platform.account_exports.download(ann, export.id)
    actions = [e.action for e in s.db.audit_events]
    assert actions == ["account.export", "account.export_download"]


async def test_a_failed_build_is_retried_by_the_sweep_then_gives_up(s: Services, ann: User) -> None:
    await completed(s, ann, 1)
    export = await s.platform.account_exports.request(ann)
    s.storage.fail_puts = 10
    exports = s.platform.account_exports
    for _ in range(3):
        assert await exports.sweep() == 1
        with pytest.raises(StorageError):
            await exports.build(export.id)
    assert (await exports.of(ann, export.id)).status is ExportStatus.FAILED
    assert await exports.sweep() == 0


class _Sink:
    """A storage that counts what it is given and keeps none of it."""

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        size = 0
        async for chunk in chunks:
            size += len(chunk)
        self.sizes[key] = size
        return size


async def _peak_building(tmp_path: Path, files: int) -> tuple[int, int]:
    s = make_services()
    owner = s.add_user("many@example.com")
    await completed(s, owner, files)
    local = LocalAudioStorage(tmp_path / f"media-{files}")
    for generation in s.db.generations.values():
        assert generation.audio_key is not None
        await local.put(generation.audio_key, os.urandom(200 * 1024), "audio/mpeg")
    sink = _Sink()
    # The MP3s come from files on disk; the archive goes to a sink that keeps nothing.
    exports = dataclasses.replace(
        s.platform.account_exports,
        storage=local,
        archives=ZipToStorage(sink),  # type: ignore[arg-type]
    )
    export = await exports.request(owner)
    tracemalloc.start()
    try:
        await exports.build(export.id)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, sink.sizes[export.storage_key]


async def test_building_the_archive_takes_the_same_memory_for_1_or_50_mp3s(
    tmp_path: Path,
) -> None:
    one, _ = await _peak_building(tmp_path, 1)
    fifty, fifty_size = await _peak_building(tmp_path, 50)
    assert fifty_size > 50 * 200 * 1024  # every MP3 went into the archive
    # 50 MP3s of 200 KB are 10 MB: held in memory they would show many times over.
    assert fifty - one < 1024 * 1024, (one, fifty)


async def test_the_archive_lists_every_version_of_the_terms_and_privacy_the_owner_accepted(
    s: Services, ann: User
) -> None:
    documents = s.platform.compliance.documents
    for kind in DocumentKind:
        await documents.publish(
            OPERATOR,
            kind,
            text=f"{kind} one",
            summary="",
            effective_on=s.clock().date(),
            material=True,
            reason="launch",
        )
    await s.platform.compliance.acceptances.accept(
        ann.id, {DocumentKind.TERMS: 1, DocumentKind.PRIVACY: 1}
    )
    export = await s.platform.account_exports.request(ann)
    assert await s.platform.account_exports.build(export.id)
    document = json.loads((await _archive(s, ann, export.id)).read("account.json"))
    assert sorted(document["terms_accepted"], key=lambda a: a["kind"]) == [
        {"kind": k, "version": 1, "accepted_at": s.clock().isoformat(), "how": "reacceptance"}
        for k in ("privacy", "terms")
    ]
