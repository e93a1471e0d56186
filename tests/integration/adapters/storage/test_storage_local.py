"""LocalAudioStorage on a temporary directory."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from voiceqr.adapters.storage.local import CHUNK_SIZE, LocalAudioStorage, guess_content_type
from voiceqr.domain.shared.errors import NotFound, StorageError, ValidationError


@pytest.fixture
def storage(tmp_path: Path) -> LocalAudioStorage:
    return LocalAudioStorage(tmp_path / "media")


def _key() -> str:
    return f"audio/{uuid.uuid4()}/1.mp3"


async def test_put_then_get_round_trips(storage: LocalAudioStorage) -> None:
    key = _key()
    await storage.put(key, b"ID3 audio", "audio/mpeg")

    assert await storage.get(key) == b"ID3 audio"
    assert (storage.root / key).read_bytes() == b"ID3 audio"


async def test_get_missing_raises_not_found(storage: LocalAudioStorage) -> None:
    with pytest.raises(NotFound):
        await storage.get(_key())


async def test_delete_removes_and_tolerates_absent(storage: LocalAudioStorage) -> None:
    key = _key()
    await storage.put(key, b"x", "audio/mpeg")

    await storage.delete(key)
    await storage.delete(key)

    with pytest.raises(NotFound):
        await storage.get(key)


async def test_read_range_slices_in_chunks(storage: LocalAudioStorage) -> None:
    key = _key()
    data = os.urandom(3 * CHUNK_SIZE + 17)
    await storage.put(key, data, "audio/mpeg")

    whole = await storage.read_range(key, 0, None)
    chunks = [chunk async for chunk in whole.chunks]
    assert (whole.start, whole.end, whole.total) == (0, len(data) - 1, len(data))
    assert [len(c) for c in chunks] == [CHUNK_SIZE] * 3 + [17]
    assert b"".join(chunks) == data

    middle = await storage.read_range(key, 100, 199)
    assert (middle.start, middle.end) == (100, 199)
    assert b"".join([c async for c in middle.chunks]) == data[100:200]

    clamped = await storage.read_range(key, len(data) - 3, len(data) + 1000)
    assert (clamped.start, clamped.end) == (len(data) - 3, len(data) - 1)
    assert b"".join([c async for c in clamped.chunks]) == data[-3:]


@pytest.mark.parametrize(("start", "end"), [(10, None), (11, 20), (-1, None), (5, 4)])
async def test_unsatisfiable_ranges_are_rejected(
    storage: LocalAudioStorage, start: int, end: int | None
) -> None:
    key = _key()
    await storage.put(key, b"0123456789", "audio/mpeg")

    with pytest.raises(ValidationError) as excinfo:
        await storage.read_range(key, start, end)
    assert excinfo.value.code == "range_not_satisfiable"


async def test_read_range_on_empty_object_is_not_satisfiable(storage: LocalAudioStorage) -> None:
    key = _key()
    await storage.put(key, b"", "audio/mpeg")

    with pytest.raises(ValidationError):
        await storage.read_range(key, 0, None)


async def test_read_range_missing_raises_not_found(storage: LocalAudioStorage) -> None:
    with pytest.raises(NotFound):
        await storage.read_range(_key(), 0, None)
    with pytest.raises(NotFound):
        await storage.read_range("audio", 0, None)


async def test_abandoned_range_does_not_open_the_file(storage: LocalAudioStorage) -> None:
    key = _key()
    await storage.put(key, b"data", "audio/mpeg")

    audio_range = await storage.read_range(key, 0, None)
    await storage.delete(key)

    with pytest.raises(NotFound):
        await anext(audio_range.chunks)


async def test_put_replaces_atomically_and_leaves_no_temp_files(
    storage: LocalAudioStorage,
) -> None:
    key = _key()
    await storage.put(key, b"first", "audio/mpeg")
    await storage.put(key, b"second", "audio/mpeg")

    assert await storage.get(key) == b"second"
    assert [p.name for p in (storage.root / key).parent.iterdir()] == ["1.mp3"]


async def test_failed_write_keeps_the_old_object(
    storage: LocalAudioStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _key()
    await storage.put(key, b"original", "audio/mpeg")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StorageError) as excinfo:
        await storage.put(key, b"half-written", "audio/mpeg")
    monkeypatch.undo()

    assert excinfo.value.retryable is True
    assert await storage.get(key) == b"original"
    assert [p.name for p in (storage.root / key).parent.iterdir()] == ["1.mp3"]


@pytest.mark.parametrize(
    "key",
    [
        "../escape.mp3",
        "audio/../../escape.mp3",
        "/etc/passwd",
        "audio\\x.mp3",
        "audio//x.mp3",
        "audio/./x.mp3",
        "audio/x.mp3/",
        "",
        "audio/\x00.mp3",
    ],
)
async def test_bad_keys_are_rejected(storage: LocalAudioStorage, key: str) -> None:
    for call in (
        storage.put(key, b"x", "audio/mpeg"),
        storage.get(key),
        storage.delete(key),
        storage.read_range(key, 0, None),
        storage.url(key),
    ):
        with pytest.raises(ValidationError) as excinfo:
            await call
        assert excinfo.value.code == "bad_key"
    assert not (storage.root.parent / "escape.mp3").exists()


async def test_url_uses_prefix(tmp_path: Path) -> None:
    storage = LocalAudioStorage(tmp_path, url_prefix="/media/")

    assert await storage.url("audio/abc/1.mp3") == "/media/audio/abc/1.mp3"


async def test_check_creates_root_and_passes(storage: LocalAudioStorage) -> None:
    await storage.check()

    assert storage.root.is_dir()
    assert list(storage.root.iterdir()) == []


async def test_check_fails_when_root_is_not_a_directory(tmp_path: Path) -> None:
    root = tmp_path / "file"
    root.write_bytes(b"not a directory")

    with pytest.raises(StorageError) as excinfo:
        await LocalAudioStorage(root).check()
    assert excinfo.value.code == "storage_unavailable"


@pytest.mark.parametrize(
    ("key", "content_type"),
    [
        ("audio/a/1.mp3", "audio/mpeg"),
        ("audio/a/1.WAV", "audio/wav"),
        ("qr/a.png", "image/png"),
        ("qr/a.svg", "image/svg+xml"),
        ("other/a.bin", "application/octet-stream"),
    ],
)
def test_guess_content_type(key: str, content_type: str) -> None:
    assert guess_content_type(key) == content_type


async def test_put_stream_writes_the_chunks_atomically(storage: LocalAudioStorage) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        for n in range(10):
            yield bytes([n]) * 1000

    assert await storage.put_stream("exports/a.zip", pieces(), "application/zip") == 10_000
    assert (await storage.get("exports/a.zip"))[-1:] == b"\x09"

    async def broken() -> AsyncIterator[bytes]:
        yield b"half"
        raise RuntimeError("broke")

    with pytest.raises(RuntimeError):
        await storage.put_stream("exports/b.zip", broken(), "application/zip")
    with pytest.raises(NotFound):
        await storage.get("exports/b.zip")
    assert not [p for p in storage.root.rglob("*") if p.name.endswith(".tmp")]
