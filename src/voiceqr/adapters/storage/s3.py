"""Audio storage in an S3-compatible bucket (AWS S3, MinIO, R2, ...) via aioboto3."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import quote

import aioboto3
import aiohttp
import anyio
from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from voiceqr.adapters.storage.local import CHUNK_SIZE, check_range, validate_key
from voiceqr.application.shared.ports import AudioRange
from voiceqr.domain.shared.errors import NotFound, RangeNotSatisfiable, StorageError

if TYPE_CHECKING:
    from types_aiobotocore_s3.client import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

# Keys are never rewritten (a new generation gets a new key), so caches may keep
# objects forever.
CACHE_CONTROL = "public, max-age=31536000, immutable"

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_MISSING_KEY_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "403", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
)
_RETRYABLE_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed"}
)


# What the SDK and its HTTP stack raise; anything else is a bug and propagates as is.
_FAILURES = (ClientError, BotoCoreError, aiohttp.ClientError, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class _RangeHead:
    start: int
    end: int
    total: int


class S3AudioStorage:
    """Stores objects in one bucket, under an optional key prefix.

    `url()` returns `{public_base_url}/{prefix}{key}` when a public or CDN base URL is
    configured (the base URL is expected to serve the bucket root), else a presigned
    GET URL valid for `presign_seconds`.

    A client is opened per operation rather than kept: an aiobotocore client is bound
    to the event loop it was opened on and owns an HTTP session that must be closed,
    and the web app, worker and CLI each run their own loops without a shutdown hook
    owned by this adapter. The cost is a connection setup per call; in production
    `url()` with a CDN base URL needs no client at all, and browsers fetch audio from
    the CDN rather than through `read_range`.
    """

    def __init__(
        self,
        bucket: str,
        region: str,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        public_base_url: str | None = None,
        presign_seconds: int = 3600,
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.region = region
        self.endpoint_url = endpoint_url
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.presign_seconds = presign_seconds
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
        )
        self._config = AioConfig(
            signature_version="s3v4",
            connect_timeout=5,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 3},
        )

    def _client(self) -> AbstractAsyncContextManager[S3Client]:
        return self._session.client(
            "s3", region_name=self.region, endpoint_url=self.endpoint_url, config=self._config
        )

    def _object_key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        object_key = self._object_key(key)
        try:
            async with self._client() as s3:
                await s3.put_object(
                    Bucket=self.bucket,
                    Key=object_key,
                    Body=data,
                    ContentType=content_type,
                    CacheControl=CACHE_CONTROL,
                )
        except _FAILURES as exc:
            self._raise(exc, object_key, "The audio could not be saved.")

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        """A multipart upload of parts of `PART_SIZE` (S3's least is 5 MiB), so at most
        one part is held; aborted on any failure, so no half object is ever seen."""
        object_key = self._object_key(key)
        try:
            async with self._client() as s3:
                started = await s3.create_multipart_upload(
                    Bucket=self.bucket,
                    Key=object_key,
                    ContentType=content_type,
                    CacheControl=CACHE_CONTROL,
                )
                upload_id = started["UploadId"]
                try:
                    parts, size = await _upload_parts(
                        s3, self.bucket, object_key, upload_id, chunks
                    )
                    await s3.complete_multipart_upload(
                        Bucket=self.bucket,
                        Key=object_key,
                        UploadId=upload_id,
                        MultipartUpload={"Parts": parts},
                    )
                except BaseException:
                    with anyio.CancelScope(shield=True), contextlib.suppress(*_FAILURES):
                        await s3.abort_multipart_upload(
                            Bucket=self.bucket, Key=object_key, UploadId=upload_id
                        )
                    raise
        except _FAILURES as exc:
            self._raise(exc, object_key, "The file could not be saved.")
        return size

    async def get(self, key: str) -> bytes:
        object_key = self._object_key(key)
        try:
            async with self._client() as s3:
                response = await s3.get_object(Bucket=self.bucket, Key=object_key)
                body = response["Body"]
                # Entered separately: the proxy's __aenter__ yields the bare aiohttp
                # response, which skips the body's length check.
                async with body:
                    return await body.read()
        except _FAILURES as exc:
            self._raise(exc, object_key, "The audio could not be read.")

    async def delete(self, key: str) -> None:
        object_key = self._object_key(key)
        try:
            async with self._client() as s3:
                await s3.delete_object(Bucket=self.bucket, Key=object_key)
        except _FAILURES as exc:
            self._raise(exc, object_key, "The audio could not be deleted.")

    async def read_range(self, key: str, start: int, end: int | None) -> AudioRange:
        object_key = self._object_key(key)
        check_range(start, end)
        header = f"bytes={start}-" if end is None else f"bytes={start}-{end}"
        stream = self._stream_range(object_key, header, start)
        # The first item is produced once the request has succeeded, so NotFound and
        # range errors surface here, before the caller commits to a response. From then
        # on the generator has started: if the caller drops it without finishing,
        # asyncio's async-generator finaliser still closes it and with it the client.
        head = await anext(stream)
        if not isinstance(head, _RangeHead):  # pragma: no cover - generator contract
            raise TypeError("range stream must start with its head")
        return AudioRange(
            start=head.start, end=head.end, total=head.total, chunks=_only_bytes(stream)
        )

    async def _stream_range(
        self, object_key: str, header: str, start: int
    ) -> AsyncGenerator[_RangeHead | bytes, None]:
        try:
            async with self._client() as s3:
                response = await s3.get_object(Bucket=self.bucket, Key=object_key, Range=header)
                body = response["Body"]
                async with body:
                    content_range = response.get("ContentRange")
                    length = response["ContentLength"]
                    if content_range:
                        match = _CONTENT_RANGE.fullmatch(content_range)
                        if match is None:
                            raise StorageError(
                                "The audio could not be read.",
                                detail=f"{object_key}: unexpected Content-Range {content_range!r}",
                            )
                        first, last, total = (int(group) for group in match.groups())
                    elif start < length:  # pragma: no cover - S3 answers ranges with 206
                        first, last, total = 0, length - 1, length
                    else:
                        # S3 ignores a range on an empty object and answers 200.
                        raise RangeNotSatisfiable(f"start={start} total={length}")
                    yield _RangeHead(first, last, total)
                    async for chunk in body.iter_chunks(CHUNK_SIZE):
                        yield chunk
        except _FAILURES as exc:
            self._raise(exc, object_key, "The audio could not be read.")

    async def url(self, key: str) -> str:
        object_key = self._object_key(key)
        if self.public_base_url:
            return f"{self.public_base_url}/{quote(object_key, safe='/')}"
        try:
            async with self._client() as s3:
                return await s3.generate_presigned_url(
                    "get_object",
                    Params={"Bucket": self.bucket, "Key": object_key},
                    ExpiresIn=self.presign_seconds,
                )
        except _FAILURES as exc:
            self._raise(exc, object_key, "The audio address could not be made.")

    async def check(self) -> None:
        try:
            async with self._client() as s3:
                await s3.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            # HEAD answers carry no error body, so the code is the bare status.
            if _error_code(exc) in {"404", "NotFound", "NoSuchBucket"}:
                raise _bucket_missing(self.bucket, exc) from exc
            self._raise(exc, self.bucket, "The audio storage cannot be reached.")
        except _FAILURES as exc:
            self._raise(exc, self.bucket, "The audio storage cannot be reached.")

    def _raise(self, exc: BaseException, what: str, message: str) -> NoReturn:
        """Translate a botocore/aiohttp failure into a domain error."""
        detail = f"{self.bucket}/{what}: {exc!r}"
        if isinstance(exc, ClientError):
            code = _error_code(exc)
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code == "NoSuchBucket":
                raise _bucket_missing(self.bucket, exc) from exc
            if code in _MISSING_KEY_CODES:
                raise NotFound("This audio does not exist.", detail=detail) from exc
            if code == "InvalidRange" or status == 416:
                raise RangeNotSatisfiable(detail) from exc
            if code in _ACCESS_DENIED_CODES:
                raise StorageError(
                    "The audio storage refused access.",
                    code="storage_access_denied",
                    retryable=False,
                    detail=detail,
                ) from exc
            if code in _RETRYABLE_CODES or status >= 500 or status == 0:
                raise StorageError(
                    message, code="storage_unavailable", retryable=True, detail=detail
                ) from exc
            raise StorageError(
                message, code="storage_rejected", retryable=False, detail=detail
            ) from exc
        if isinstance(exc, NoCredentialsError):
            raise StorageError(
                "The audio storage has no credentials configured.",
                code="storage_credentials_missing",
                retryable=False,
                detail=detail,
            ) from exc
        raise StorageError(
            message, code="storage_unavailable", retryable=True, detail=detail
        ) from exc


PART_SIZE = 8 * 1024 * 1024


async def _upload_parts(
    s3: S3Client, bucket: str, key: str, upload_id: str, chunks: AsyncIterable[bytes]
) -> tuple[list[CompletedPartTypeDef], int]:
    parts: list[CompletedPartTypeDef] = []
    buffer = bytearray()
    size = 0

    async def send(data: bytes) -> None:
        number = len(parts) + 1
        sent = await s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        parts.append({"ETag": sent["ETag"], "PartNumber": number})

    async for chunk in chunks:
        buffer += chunk
        size += len(chunk)
        while len(buffer) >= PART_SIZE:
            await send(bytes(buffer[:PART_SIZE]))
            del buffer[:PART_SIZE]
    if buffer or not parts:  # the last part may be small; an empty object is one empty part
        await send(bytes(buffer))
    return parts, size


async def _only_bytes(stream: AsyncGenerator[_RangeHead | bytes, None]) -> AsyncIterator[bytes]:
    try:
        async for item in stream:
            if isinstance(item, bytes):
                yield item
    finally:
        await stream.aclose()


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _bucket_missing(bucket: str, exc: Exception) -> StorageError:
    return StorageError(
        "The audio storage bucket does not exist.",
        code="storage_bucket_missing",
        retryable=False,
        detail=f"{bucket}: {exc!r}",
    )
