"""The API documentation viewer at /api/v1/schema, served whole by the app.

Litestar's Swagger UI plugin loads the viewer's script and style sheet from a CDN;
with no internet (an office network, a laptop on a train, a locked-down server) the
page stayed blank. The viewer's files come from the swagger-ui-bundle package instead
(installed with the app, nothing downloaded at run time) and are served here, from the
same origin as the schema they show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

# Under /static like the app's own files, in a folder of its own (its names are
# Swagger UI's, which need not stay apart from the features' file names).
ASSETS_PATH = "/static/api-docs"


# Swagger UI's own colours put white or light grey text at 2:1 to 3.8:1 (the method
# labels, the version pills, "Expand all"); these bring them to WCAG AA (4.5:1).
_READABLE = """<style>
body { margin: 0; padding: 0 }
.swagger-ui .opblock .opblock-summary-method { color: #1b1b1f; text-shadow: none }
.swagger-ui .info .title small { background: #4b5563 !important }
.swagger-ui .info .title small.version-stamp { background: #3f6212 !important }
.swagger-ui .json-schema-2020-12-expand-deep-button,
.swagger-ui .json-schema-2020-12__attribute--primary { color: #505059 }
</style>"""


class _AccessibleSwagger(SwaggerRenderPlugin):
    """Swagger UI in a page that says its language and puts the viewer in a main
    landmark (Litestar's page has neither)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        html = super().render(request, openapi_schema)
        return (
            html.replace(b"<html>", b'<html lang="en">', 1)
            .replace(b"<body>", b"<body><main>", 1)
            .replace(b"</body>", b"</main></body>", 1)
        )


def api_docs_viewer() -> SwaggerRenderPlugin:
    """Swagger UI reading its script, preset, style sheet and icon from `ASSETS_PATH`."""
    return _AccessibleSwagger(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        favicon=f'<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">',
        style=_READABLE,
    )


def api_docs_assets() -> Router:
    """The router serving the installed Swagger UI files under `ASSETS_PATH`."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[Path(str(swagger_ui_path))],
        name="api_docs_assets",
        include_in_schema=False,
    )
