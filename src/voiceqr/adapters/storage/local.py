"""Audio storage on the local filesystem: the embedded adapter for single-host setups."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path, PurePosixPath
from stat import S_ISREG
from typing import BinaryIO
from urllib.parse import quote

from voiceqr.application.shared.ports import AudioRange
from voiceqr.domain.shared.errors import (
    NotFound,
    RangeNotSatisfiable,
    StorageError,
    ValidationError,
)

CHUNK_SIZE = 64 * 1024

_CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def guess_content_type(key: str) -> str:
    """The MIME type for a key, from its suffix (`application/octet-stream` if unknown)."""
    return _CONTENT_TYPES.get(PurePosixPath(key).suffix.lower(), "application/octet-stream")


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative object key, else raise ValidationError `bad_key`.

    Keys become both file paths and URL paths, so anything that could climb out of the
    root or be read differently by another OS or a browser is refused.
    """
    path = PurePosixPath(key)
    parts = key.split("/")
    if (
        not key
        or "\\" in key
        or "\x00" in key
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ValidationError("This storage key is not allowed.", code="bad_key", detail=repr(key))
    return key


def check_range(start: int, end: int | None) -> None:
    """Reject ranges that are malformed whatever the object's size."""
    if start < 0 or (end is not None and end < start):
        raise RangeNotSatisfiable(f"start={start} end={end}")


def resolve_range(start: int, end: int | None, total: int) -> tuple[int, int]:
    """Clamp a requested range to an object of `total` bytes; (start, inclusive end)."""
    check_range(start, end)
    if start >= total:
        raise RangeNotSatisfiable(f"start={start} total={total}")
    last = total - 1 if end is None else min(end, total - 1)
    return start, last


class LocalAudioStorage:
    """Stores objects as files under `root`; `url()` points at `url_prefix`, served by the app.

    Writes are atomic (temporary file, fsync, rename), so a reader never sees half an
    object. The content type given to `put` is not stored: whoever serves the files
    derives it from the key with `guess_content_type`. Empty directories left behind
    by `delete` are not pruned: removing them would race with a concurrent `put` into
    the same directory.
    """

    def __init__(self, root: Path, url_prefix: str = "/media") -> None:
        self.root = Path(root)
        self.url_prefix = url_prefix.rstrip("/")

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            await asyncio.to_thread(_write_atomically, path, data)
        except OSError as exc:
            raise StorageError("The audio could not be saved.", detail=f"{key}: {exc!r}") from exc

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        path = self._path(key)
        try:
            handle, tmp_name = await asyncio.to_thread(_temporary_beside, path)
            try:
                size = 0
                async for chunk in chunks:
                    await asyncio.to_thread(handle.write, chunk)
                    size += len(chunk)
                await asyncio.to_thread(_finish, handle, tmp_name, path)
            except BaseException:
                handle.close()
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
                raise
        except OSError as exc:
            raise StorageError("The file could not be saved.", detail=f"{key}: {exc!r}") from exc
        return size

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound("This audio does not exist.", detail=key) from exc
        except OSError as exc:
            raise StorageError("The audio could not be read.", detail=f"{key}: {exc!r}") from exc

    async def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            await asyncio.to_thread(path.unlink, missing_ok=True)
        except (IsADirectoryError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError("The audio could not be deleted.", detail=f"{key}: {exc!r}") from exc

    async def read_range(self, key: str, start: int, end: int | None) -> AudioRange:
        path = self._path(key)
        check_range(start, end)
        try:
            stat = await asyncio.to_thread(path.stat)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise NotFound("This audio does not exist.", detail=key) from exc
        except OSError as exc:
            raise StorageError("The audio could not be read.", detail=f"{key}: {exc!r}") from exc
        if not S_ISREG(stat.st_mode):
            raise NotFound("This audio does not exist.", detail=key)
        first, last = resolve_range(start, end, stat.st_size)
        # The file is opened by the generator, on first use, so that a caller who never
        # iterates does not leak a file handle.
        return AudioRange(
            start=first, end=last, total=stat.st_size, chunks=_read_chunks(path, first, last)
        )

    async def url(self, key: str) -> str:
        return f"{self.url_prefix}/{quote(validate_key(key), safe='/')}"

    async def check(self) -> None:
        try:
            await asyncio.to_thread(_probe_writable, self.root)
        except OSError as exc:
            raise StorageError(
                "The audio storage is not writable.",
                code="storage_unavailable",
                detail=f"{self.root}: {exc!r}",
            ) from exc


async def _read_chunks(path: Path, first: int, last: int) -> AsyncIterator[bytes]:
    try:
        handle = await asyncio.to_thread(path.open, "rb")
    except FileNotFoundError as exc:
        raise NotFound("This audio does not exist.", detail=str(path)) from exc
    try:
        await asyncio.to_thread(handle.seek, first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK_SIZE, remaining))
            if not chunk:
                # Objects are never rewritten, so a short read means the file was
                # deleted or truncated underneath us after the headers were decided.
                raise StorageError("The audio ended unexpectedly.", detail=str(path))
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(path.parent)


def _temporary_beside(path: Path) -> tuple[BinaryIO, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    return os.fdopen(fd, "wb"), tmp_name


def _finish(handle: BinaryIO, tmp_name: str, path: Path) -> None:
    """Flush, close and move a streamed temporary file into place (see `_write_atomically`)."""
    with handle:
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp_name, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # Without this the rename itself may be lost on power failure.
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _probe_writable(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=root, prefix=".check-") as probe:
        probe.write(b"ok")
        probe.flush()
