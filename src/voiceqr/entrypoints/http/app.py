"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.http.api import API_CONTROLLERS
from voiceqr.entrypoints.http.api_accounts import ACCOUNT_CONTROLLERS
from voiceqr.entrypoints.http.api_admin_dashboard import ADMIN_DASHBOARD_CONTROLLERS
from voiceqr.entrypoints.http.api_admin_generations import ADMIN_GENERATION_CONTROLLERS
from voiceqr.entrypoints.http.api_batch import BATCH_CONTROLLERS
from voiceqr.entrypoints.http.api_folders import FOLDER_CONTROLLERS
from voiceqr.entrypoints.http.api_keys import API_KEY_CONTROLLERS
from voiceqr.entrypoints.http.api_preferences import PREFERENCE_CONTROLLERS
from voiceqr.entrypoints.http.api_requests import JsonApiRequests
from voiceqr.entrypoints.http.api_revisions import REVISION_CONTROLLERS
from voiceqr.entrypoints.http.api_two_factor import TWO_FACTOR_CONTROLLERS
from voiceqr.entrypoints.http.health import healthz, readyz
from voiceqr.entrypoints.http.json_bodies import JSONBodyRequest
from voiceqr.entrypoints.http.media import serve_media
from voiceqr.entrypoints.http.oidc import OIDC_HANDLERS, social_buttons
from voiceqr.entrypoints.http.openapi import ClosedStructSchemas, document_problems
from voiceqr.entrypoints.http.pages import PAGES
from voiceqr.entrypoints.http.pages_accounts import ACCOUNT_PAGES
from voiceqr.entrypoints.http.pages_admin import ADMIN_PAGES
from voiceqr.entrypoints.http.pages_admin_generations import ADMIN_GENERATION_PAGES
from voiceqr.entrypoints.http.pages_api_keys import API_KEY_PAGES
from voiceqr.entrypoints.http.pages_batch import BATCH_PAGES
from voiceqr.entrypoints.http.pages_folders import FOLDER_PAGES
from voiceqr.entrypoints.http.pages_preferences import PREFERENCE_PAGES
from voiceqr.entrypoints.http.pages_revisions import REVISION_PAGES
from voiceqr.entrypoints.http.pages_two_factor import TWO_FACTOR_PAGES
from voiceqr.entrypoints.http.problems import EXCEPTION_HANDLERS
from voiceqr.entrypoints.worker.registry import run_schedules, start_worker

HERE = Path(__file__).parent


def create_app(platform: Platform, *, run_worker: bool | None = None) -> Litestar:
    """The web app on a built platform.

    With the in-process queue the app also runs the worker and the periodic jobs, so the
    embedded platform is one process; with Redis they run in `voiceqr worker`.
    """
    in_process = platform.settings.queue.backend == "memory" if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await (start_worker(platform) if in_process else platform.start())
        # Load the country database off the event loop, not in the first request.
        await asyncio.to_thread(platform.countries.country, "8.8.8.8")
        periodic = asyncio.create_task(run_schedules(platform)) if in_process else None
        try:
            yield
        finally:
            if periodic is not None:
                periodic.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await periodic
            await platform.stop()

    from litestar import Router

    api = Router(
        path="/api/v1",
        middleware=[JsonApiRequests(platform.settings.public_base_url)],
        route_handlers=[
            *ACCOUNT_CONTROLLERS,
            *TWO_FACTOR_CONTROLLERS,
            *API_KEY_CONTROLLERS,
            *API_CONTROLLERS,
            *ADMIN_GENERATION_CONTROLLERS,
            *ADMIN_DASHBOARD_CONTROLLERS,
            *BATCH_CONTROLLERS,
            *FOLDER_CONTROLLERS,
            *PREFERENCE_CONTROLLERS,
            *REVISION_CONTROLLERS,
        ],
    )
    handlers: list[object] = [
        api,
        healthz,
        readyz,
        *PAGES,
        *ACCOUNT_PAGES,
        *TWO_FACTOR_PAGES,
        *API_KEY_PAGES,
        *BATCH_PAGES,
        *FOLDER_PAGES,
        *PREFERENCE_PAGES,
        *ADMIN_PAGES,
        *ADMIN_GENERATION_PAGES,
        *REVISION_PAGES,
        *OIDC_HANDLERS,
    ]
    if platform.media_root is not None:
        handlers.append(serve_media)
    handlers.append(
        create_static_files_router(path="/static", directories=[HERE / "static"], name="static")
    )
    app = Litestar(
        route_handlers=handlers,  # type: ignore[arg-type]
        dependencies={"platform": Provide(lambda: platform, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        template_config=TemplateConfig(
            directory=HERE / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=social_buttons(platform),
        ),
        openapi_config=OpenAPIConfig(
            title="voiceqr API",
            version="1.0.0",
            path="/api/v1/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        csrf_config=CSRFConfig(
            secret=platform.secret_key,
            cookie_name="voiceqr_csrf",
            cookie_secure=platform.settings.env == "production",
            cookie_httponly=True,
            # The JSON API takes JSON bodies only (a cross-site form cannot send those) and
            # cookie writes only from our own origin (api_requests.py); the web forms
            # carry a CSRF token.
            exclude=["/api/"],
        ),
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, exclude=["/media"]),
        lifespan=[lifespan],
        plugins=[ClosedStructSchemas()],
        request_class=JSONBodyRequest,
        logging_config=None,
        debug=False,
    )
    document_problems(app)
    return app
