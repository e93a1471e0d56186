"""S3AudioStorage against moto running as a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import botocore.session
import httpx
import pytest
from moto.server import ThreadedMotoServer

from voiceqr.adapters.storage.s3 import CACHE_CONTROL, S3AudioStorage
from voiceqr.domain.shared.errors import NotFound, StorageError, ValidationError

REGION = "us-east-1"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def bucket(endpoint: str) -> str:
    name = f"voiceqr-{uuid.uuid4().hex[:12]}"
    _sync_client(endpoint).create_bucket(Bucket=name)
    return name


def _storage(bucket: str, endpoint: str, **options: Any) -> S3AudioStorage:
    return S3AudioStorage(
        bucket,
        REGION,
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        **options,
    )


@pytest.fixture
def storage(endpoint: str, bucket: str) -> S3AudioStorage:
    return _storage(bucket, endpoint)


def _sync_client(endpoint: str) -> Any:
    return botocore.session.get_session().create_client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _key() -> str:
    return f"audio/{uuid.uuid4()}/1.mp3"


async def _collect(storage: S3AudioStorage, key: str, start: int, end: int | None) -> bytes:
    audio_range = await storage.read_range(key, start, end)
    return b"".join([chunk async for chunk in audio_range.chunks])


async def test_put_then_get_round_trips_with_headers(
    storage: S3AudioStorage, endpoint: str, bucket: str
) -> None:
    key = _key()
    await storage.put(key, b"ID3 audio", "audio/mpeg")

    assert await storage.get(key) == b"ID3 audio"
    head = _sync_client(endpoint).head_object(Bucket=bucket, Key=key)
    assert head["ContentType"] == "audio/mpeg"
    assert head["CacheControl"] == CACHE_CONTROL


async def test_get_missing_raises_not_found(storage: S3AudioStorage) -> None:
    with pytest.raises(NotFound):
        await storage.get(_key())


async def test_delete_removes_and_tolerates_absent(storage: S3AudioStorage) -> None:
    key = _key()
    await storage.put(key, b"x", "audio/mpeg")

    await storage.delete(key)
    await storage.delete(key)

    with pytest.raises(NotFound):
        await storage.get(key)


async def test_read_range_slices_and_reports_total(storage: S3AudioStorage) -> None:
    key = _key()
    data = bytes(range(256)) * 1024  # 256 KiB: several chunks
    await storage.put(key, data, "audio/mpeg")

    middle = await storage.read_range(key, 10, 19)
    assert (middle.start, middle.end, middle.total) == (10, 19, len(data))
    assert b"".join([c async for c in middle.chunks]) == data[10:20]

    assert await _collect(storage, key, 1000, None) == data[1000:]
    clamped = await storage.read_range(key, len(data) - 5, len(data) + 100)
    assert (clamped.start, clamped.end) == (len(data) - 5, len(data) - 1)
    assert b"".join([c async for c in clamped.chunks]) == data[-5:]


async def test_read_range_past_the_end_is_not_satisfiable(storage: S3AudioStorage) -> None:
    key = _key()
    await storage.put(key, b"0123456789", "audio/mpeg")

    with pytest.raises(ValidationError) as excinfo:
        await storage.read_range(key, 10, None)
    assert excinfo.value.code == "range_not_satisfiable"


async def test_read_range_on_empty_object_is_not_satisfiable(storage: S3AudioStorage) -> None:
    key = _key()
    await storage.put(key, b"", "audio/mpeg")

    with pytest.raises(ValidationError) as excinfo:
        await storage.read_range(key, 0, None)
    assert excinfo.value.code == "range_not_satisfiable"


async def test_read_range_missing_raises_not_found(storage: S3AudioStorage) -> None:
    with pytest.raises(NotFound):
        await storage.read_range(_key(), 0, None)


async def test_read_range_stream_can_be_closed_early(storage: S3AudioStorage) -> None:
    key = _key()
    await storage.put(key, b"a" * 200_000, "audio/mpeg")

    audio_range = await storage.read_range(key, 0, None)
    first = await anext(audio_range.chunks)
    await audio_range.chunks.aclose()  # type: ignore[attr-defined]

    assert first.startswith(b"a")


async def test_presigned_url_serves_the_object(storage: S3AudioStorage, bucket: str) -> None:
    key = _key()
    await storage.put(key, b"presigned body", "audio/mpeg")

    url = await storage.url(key)

    assert bucket in url
    assert key in url
    assert "X-Amz-Signature=" in url
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == b"presigned body"


async def test_public_url_uses_base_url_and_prefix(endpoint: str, bucket: str) -> None:
    storage = _storage(
        bucket, endpoint, public_base_url="https://cdn.example.com/", prefix="/media/"
    )
    key = _key()
    await storage.put(key, b"cdn", "audio/mpeg")

    assert await storage.url(key) == f"https://cdn.example.com/media/{key}"
    stored = _sync_client(endpoint).get_object(Bucket=bucket, Key=f"media/{key}")
    assert stored["Body"].read() == b"cdn"


async def test_bad_keys_are_rejected(storage: S3AudioStorage) -> None:
    for key in ("../etc/passwd", "/audio/x.mp3", "audio\\x.mp3", "audio//x.mp3", ""):
        with pytest.raises(ValidationError) as excinfo:
            await storage.put(key, b"x", "audio/mpeg")
        assert excinfo.value.code == "bad_key"


async def test_check_passes_for_existing_bucket(storage: S3AudioStorage) -> None:
    await storage.check()


async def test_missing_bucket_is_a_permanent_error(endpoint: str) -> None:
    storage = _storage("no-such-bucket-here", endpoint)

    with pytest.raises(StorageError) as check_error:
        await storage.check()
    assert check_error.value.code == "storage_bucket_missing"
    assert check_error.value.retryable is False

    with pytest.raises(StorageError) as put_error:
        await storage.put(_key(), b"x", "audio/mpeg")
    assert put_error.value.code == "storage_bucket_missing"
    assert put_error.value.retryable is False


async def test_unreachable_endpoint_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    storage = _storage("whatever", f"http://127.0.0.1:{port}")

    with pytest.raises(StorageError) as excinfo:
        await storage.check()
    assert excinfo.value.retryable is True
    assert excinfo.value.code == "storage_unavailable"


async def _pieces(count: int, size: int) -> AsyncIterator[bytes]:
    for n in range(count):
        yield bytes([n % 251]) * size


async def test_put_stream_uploads_in_parts_and_round_trips(storage: S3AudioStorage) -> None:
    key = _key()
    # 9 MiB in 64 KiB pieces: two parts of a multipart upload, the second small.
    size = await storage.put_stream(key, _pieces(144, 64 * 1024), "application/zip")
    assert size == 144 * 64 * 1024
    data = await storage.get(key)
    assert len(data) == size
    assert data[:1] == b"\x00"
    assert data[-1:] == bytes([143 % 251])


async def test_a_failed_put_stream_leaves_no_object_and_no_upload(
    storage: S3AudioStorage, bucket: str, endpoint: str
) -> None:
    key = _key()

    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * 1024
        raise RuntimeError("the archive broke half way")

    with pytest.raises(RuntimeError):
        await storage.put_stream(key, broken(), "application/zip")
    with pytest.raises(NotFound):
        await storage.get(key)
    uploads = _sync_client(endpoint).list_multipart_uploads(Bucket=bucket)
    assert not uploads.get("Uploads")
