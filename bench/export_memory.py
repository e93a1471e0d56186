"""Memory of "download all" (G6): the streamed ZIP against building it in memory.

    .venv/bin/python bench/export_memory.py [--small 200] [--large 2000] [--audio-kb 24]

On the embedded platform (SQLite, local files) it stores `--small` and then `--large`
completed generations of one user, each with an MP3-sized object, and makes the
archive two ways, side by side in one run:

- streamed: `GenerationBatches.archive` through stream-zip, as the HTTP endpoint does,
  with every chunk thrown away as a client would take it off the wire;
- in memory: the same files written with `zipfile` into a `BytesIO` (the naive way).

It prints the Python heap peak (tracemalloc) of each, and the ratios large/small.
In memory grows with the archive (about 10x for 10x the files). Streamed holds one
file's chunk at a time; what it still grows by is the ZIP's central directory, the
name and sizes of every file (a few hundred bytes each), which the format writes at
the very end, so any ZIP writer keeps it until then.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stream_zip import async_stream_zip

from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.adapters.storage.local import LocalAudioStorage
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.bootstrap import Adapters, Platform, build
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import Generation, GenerationStatus, new_public_code
from voiceqr.domain.shared.ids import uuid7
from voiceqr.entrypoints.http.generations.batch_api import _zip_members
from voiceqr.settings import Settings


@dataclass(frozen=True, slots=True)
class Stores:
    """The database and the audio files the bench fills, given to the platform it measures."""

    uow: SqlUnitOfWorkFactory
    storage: LocalAudioStorage


async def fill(platform: Platform, data: Stores, owner: User, count: int, audio_kb: int) -> None:
    voices = await platform.voices.list_for(owner)
    start = datetime.now(UTC) - timedelta(days=1)
    audio = os.urandom(audio_kb * 1024)  # incompressible, like MP3
    async with data.uow() as uow:
        for i in range(count):
            key = f"bench/{uuid7()}.mp3"
            await data.storage.put(key, audio, "audio/mpeg")
            await uow.generations.add(
                Generation(
                    id=uuid7(),
                    owner_id=owner.id,
                    voice_id=voices[i % len(voices)].id,
                    text=f"Bench generation number {i}, a sentence of ordinary length.",
                    public_code=new_public_code(),
                    created_at=start + timedelta(seconds=i),
                    completed_at=start + timedelta(seconds=i),
                    status=GenerationStatus.COMPLETED,
                    audio_key=key,
                    audio_bytes=len(audio),
                )
            )
        await uow.commit()


async def streamed(platform: Platform, owner: User) -> int:
    files = await platform.generations.batches.archive(owner, GenerationFilter())
    total = 0
    async for chunk in async_stream_zip(_zip_members(files)):
        total += len(chunk)
    return total


async def in_memory(platform: Platform, owner: User) -> int:
    files = await platform.generations.batches.archive(owner, GenerationFilter())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        async for f in files:
            archive.writestr(f.path, b"".join([c async for c in f.chunks]))
    return len(buffer.getvalue())


async def measure(
    way: Callable[[Platform, User], Awaitable[int]], platform: Platform, owner: User
) -> tuple[int, int, float]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    began = time.perf_counter()
    size = await way(platform, owner)
    elapsed = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, peak, elapsed


async def main(small: int, large: int, audio_kb: int) -> None:
    results: dict[tuple[str, int], tuple[int, int, float]] = {}
    for count in (small, large):
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(data_dir=data_dir)
            data = Stores(
                SqlUnitOfWorkFactory(create_engine(settings.database_url)),
                LocalAudioStorage(settings.data_path / "media", url_prefix="/media"),
            )
            platform = build(settings, Adapters(uow=data.uow, storage=data.storage))
            await platform.start()
            try:
                owner = await platform.accounts.accounts.create_user(
                    email="bench@example.com",
                    name="Bench",
                    password="a bench passphrase",
                    role=Role.USER,
                    actor=OPERATOR,
                )
                await fill(platform, data, owner, count, audio_kb)
                for name, way in (("streamed", streamed), ("in memory", in_memory)):
                    results[(name, count)] = await measure(way, platform, owner)
            finally:
                await platform.stop()
                await data.uow.dispose()

    print(f"{'way':<10} {'files':>6} {'archive MiB':>12} {'heap peak MiB':>14} {'seconds':>8}")
    for (name, count), (size, peak, elapsed) in results.items():
        print(f"{name:<10} {count:>6} {size / 2**20:>12.1f} {peak / 2**20:>14.2f} {elapsed:>8.2f}")
    for name in ("streamed", "in memory"):
        ratio = results[(name, large)][1] / results[(name, small)][1]
        print(f"{name}: heap peak at {large} files / at {small} files = {ratio:.2f}x")
    at_large = results[("in memory", large)][1] / results[("streamed", large)][1]
    print(f"at {large} files, in memory / streamed heap peak = {at_large:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--audio-kb", type=int, default=24)
    args = parser.parse_args()
    asyncio.run(main(args.small, args.large, args.audio_kb))
