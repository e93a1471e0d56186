"""ZIP archives written straight into storage: stream-zip produces the archive as the
files come, storage's `put_stream` uploads it as it is produced, so memory holds a
chunk and a part, whatever the archive's size."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from typing import Any

from voiceqr.application.generations.batch import ArchiveFile
from voiceqr.application.shared.ports import AudioStorage

_FILE_MODE = stat.S_IFREG | 0o644


async def _members(files: AsyncIterator[ArchiveFile]) -> AsyncIterator[Any]:
    from stream_zip import ZIP_AUTO

    async for f in files:
        yield (
            f.path,
            f.modified_at,
            _FILE_MODE,
            ZIP_AUTO(f.size, level=6 if f.compress else 0),
            f.chunks,
        )


class ZipToStorage:
    def __init__(self, storage: AudioStorage) -> None:
        self._storage = storage

    async def write(self, key: str, files: AsyncIterator[ArchiveFile]) -> int:
        # Imported by the first export, not at start (its crypto adds a third of a second).
        from stream_zip import async_stream_zip

        return await self._storage.put_stream(
            key, async_stream_zip(_members(files)), "application/zip"
        )
