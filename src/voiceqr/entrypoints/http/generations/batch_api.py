"""Many generations at once in the JSON API: `POST /api/v1/generations/batch` and
the "download all" archive, `GET /api/v1/generations/export.zip`."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK

from voiceqr.application.generations.batch import ArchiveFile, Selection
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.generations.api import history_filter
from voiceqr.entrypoints.http.generations.schemas import BatchOut, BatchRequest
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user

_FILE_MODE = stat.S_IFREG | 0o644


async def _zip_members(files: AsyncIterator[ArchiveFile]) -> AsyncIterator[Any]:
    from stream_zip import ZIP_AUTO

    async for f in files:
        method = ZIP_AUTO(f.size, level=6 if f.compress else 0)
        yield f.path, f.modified_at, _FILE_MODE, method, f.chunks


class GenerationBatchController(Controller):
    path = "/generations"
    tags = ["generations"]
    opt = api_key_scopes(GET=Scope.READ, POST=Scope.GENERATE)
    dependencies = {"user": Provide(current_user)}

    @post("/batch", status_code=HTTP_200_OK)
    async def batch(
        self,
        data: JSONBody[BatchRequest],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> BatchOut:
        """Apply one action to many generations at once.

        Named `ids` (at most 500) must all be yours: if any is not, the answer is 404
        and nothing changes. A `filter` picks every generation that matches it.
        """
        selection = Selection(
            ids=None if data.ids is None else tuple(data.ids),
            matching=None if data.filter is None else data.filter.to_filter(),
        )
        result = await platform.generations.batches.apply(
            user, data.action, selection, folder_id=data.folder_id, tags=data.tags
        )
        return BatchOut(action=str(result.action), count=result.count)

    @get(
        "/export.zip",
        media_type="application/zip",
        dependencies={"matching": Provide(history_filter)},
    )
    async def export(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        matching: NamedDependency[GenerationFilter],
    ) -> Stream:
        """Download every matching generation: MP3s, QR PNGs and `index.csv`, in one ZIP.

        Takes the filters of `GET /api/v1/generations`. The archive is streamed as it
        is made, so it starts at once and the server's memory stays flat for thousands
        of files.
        """
        # Imported by the first export, not at start (its crypto adds a third of a second).
        from stream_zip import async_stream_zip

        files = await platform.generations.batches.archive(user, matching)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return Stream(
            async_stream_zip(_zip_members(files)),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="voiceqr-{stamp}.zip"',
                "Cache-Control": "private, no-store",
            },
        )
