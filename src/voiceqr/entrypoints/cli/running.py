"""`voiceqr serve`, `voiceqr worker` and `voiceqr settings`: running the platform."""

from __future__ import annotations

import asyncio
import gc
from typing import Annotated

import typer

from voiceqr.bootstrap import build
from voiceqr.entrypoints.cli.kit import fail, settings
from voiceqr.settings import all_variables

app = typer.Typer()

# Passes over young objects every this many allocations: every scan makes a few
# hundred, and at the default (every 700) the collector ran every other request, for
# nothing to free.
YOUNG_OBJECTS_PER_PASS = 50_000


def settle_collector() -> None:
    """What exists now (modules, tables, templates, the app) lives as long as the
    process: kept out of the collector's full passes, which would otherwise walk it all,
    holding every request for tens of milliseconds each time enough new objects survive;
    and fewer passes over young objects. `voiceqr serve` calls it once built, and the
    benches before they time anything, to measure as it runs."""
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_PER_PASS, 20, 20)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on.")] = None,
) -> None:
    """Run the web app (and, on the in-process queue, the worker)."""
    # The server, the platform and the app are made of objects that live as long as the
    # process: no collection while they are imported and built (it would free nothing).
    gc.disable()
    import uvicorn

    from voiceqr.entrypoints.http import create_app

    loaded = settings()
    host = host or loaded.host
    port = port or loaded.port
    platform = build(loaded)
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    typer.echo(f"voiceqr is starting; open {address}", err=True)
    if loaded.queue.backend == "memory":
        typer.echo("embedded mode: the worker and sweeper run in this process", err=True)
    app = create_app(platform)
    # Frozen without a collection first: the start-up's garbage (~7,000 objects, a
    # megabyte or two, mostly routes Litestar copied and replaced) stays for good, and
    # a start is ~0.2 s sooner.
    settle_collector()
    gc.enable()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Jobs at once.")] = 4,
) -> None:
    """Process generation jobs from the Redis stream and run the sweeper."""
    from voiceqr.entrypoints.worker.main import run_worker

    loaded = settings()
    if loaded.queue.backend != "redis":
        raise fail(
            "VOICEQR_QUEUE=memory runs the worker inside `voiceqr serve`; "
            "set VOICEQR_QUEUE=redis for separate workers.",
            2,
        )
    asyncio.run(run_worker(build(loaded), concurrency=concurrency))


@app.command("settings")
def show_settings() -> None:
    """Every setting, its type and its default."""
    for name, kind, default in all_variables():
        typer.echo(f"{name:<42} {kind:<28} {default!r}")


COMMANDS = (app,)
"""What `voiceqr` gains from this module (see `main.py`)."""
