"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import PathType

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.http.features import FEATURES
from voiceqr.entrypoints.http.kit.api_docs import api_docs_assets, api_docs_viewer
from voiceqr.entrypoints.http.kit.api_requests import JsonApiRequests
from voiceqr.entrypoints.http.kit.auth import STOP_VIEWING_PATH, read_only_while_viewing, signed_in
from voiceqr.entrypoints.http.kit.compression import CompressionUnlessEncoded
from voiceqr.entrypoints.http.kit.json_bodies import JSONBodyRequest
from voiceqr.entrypoints.http.kit.openapi import ClosedStructSchemas, document_problems
from voiceqr.entrypoints.http.kit.problems import EXCEPTION_HANDLERS
from voiceqr.entrypoints.http.kit.views import local_time
from voiceqr.entrypoints.worker.registry import run_consumers, run_schedules, start_worker

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


def create_app(platform: Platform, *, run_worker: bool | None = None) -> Litestar:
    """The web app on a built platform.

    With the in-process queue the app also runs the worker and the periodic jobs, so the
    embedded platform is one process; with Redis they run in `voiceqr worker`.
    """
    in_process = platform.settings.queue.backend == "memory" if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await (start_worker(platform) if in_process else platform.start())
        background = [
            # The country database loads off the event loop while the server already
            # answers (a restart is ready sooner); a scan that comes first waits for it.
            asyncio.create_task(_load_countries(platform)),
            *(
                [asyncio.create_task(job(platform)) for job in (run_schedules, run_consumers)]
                if in_process
                else []
            ),
        ]
        try:
            yield
        finally:
            # Cancelled once the server takes no more requests: the consumers store what
            # they still hold (the scans of the last moments) before the database closes.
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await platform.stop()

    api = Router(
        path="/api/v1",
        middleware=[JsonApiRequests(platform.settings.public_base_url)],
        route_handlers=[f.api_router for f in FEATURES if f.api_router is not None],
    )
    pages = [f.pages_router for f in FEATURES if f.pages_router is not None]
    # A folder per feature, served under /static as one: file names do not repeat.
    folders: list[PathType] = [*sorted((HERE / "static").iterdir())]
    static = create_static_files_router(path="/static", directories=folders, name="static")
    app = Litestar(
        route_handlers=[api, *pages, static, api_docs_assets()],
        dependencies={"platform": Provide(lambda: platform, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_request=read_only_while_viewing(platform),
        template_config=TemplateConfig(
            directory=HERE / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=_template_globals(platform),
        ),
        openapi_config=OpenAPIConfig(
            title="voiceqr API",
            version="1.0.0",
            path="/api/v1/schema",
            render_plugins=[api_docs_viewer()],
        ),
        csrf_config=CSRFConfig(
            secret=platform.secret_key,
            cookie_name="voiceqr_csrf",
            cookie_secure=platform.settings.env == "production",
            cookie_httponly=True,
            # The JSON API takes JSON bodies only (a cross-site form cannot send those) and
            # cookie writes only from our own origin (api_requests.py); the web forms
            # carry a CSRF token. The public playback page and its audio have no form: no
            # CSRF cookie is made for a visitor who only scans.
            # (Its report form, /p/{code}/report, does have one.)
            exclude=["/api/", "^/p/[^/]+$", "^/media/"],
        ),
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=1024,
            exclude=["/media"],
            middleware_class=CompressionUnlessEncoded,  # the playback page comes gzipped
        ),
        lifespan=[lifespan],
        plugins=[ClosedStructSchemas()],
        request_class=JSONBodyRequest,
        logging_config=None,
        debug=False,
    )
    document_problems(app)
    return app


async def _load_countries(platform: Platform) -> None:
    try:
        await asyncio.to_thread(platform.country, "8.8.8.8")
    except Exception:  # the scans load it again; the server keeps answering meanwhile
        log.exception("the country database did not load at start")


def _template_globals(platform: Platform) -> Callable[[JinjaTemplateEngine], None]:
    """Give every template the configured sign-in providers (the sign-in page's buttons),
    and the layout the request's session as resolved (its view-as and deletion banners)."""

    def register(engine: JinjaTemplateEngine) -> None:
        engine.engine.globals["social_providers"] = platform.accounts.social_sign_in.providers
        engine.engine.globals["signed_in"] = signed_in
        engine.engine.globals["stop_viewing_path"] = STOP_VIEWING_PATH
        engine.engine.globals["local_time"] = local_time

    return register
