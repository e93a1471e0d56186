"""The API documentation at /api/v1/schema works with no internet: the viewer's files
come from the app itself."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.integration.http_helpers import RunningApp

pytestmark = pytest.mark.asyncio(loop_scope="module")


class _Assets(HTMLParser):
    """Every address the page loads by itself: scripts, style sheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        url = named.get("href") if tag == "link" else named.get("src")
        if url is not None and tag in {"link", "script", "img", "iframe"}:
            self.urls.append(url)


async def test_the_api_docs_load_only_files_the_app_serves(app: RunningApp) -> None:
    response = await app.anonymous.get("/api/v1/schema")

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert '<html lang="en">' in response.text
    assert "<main>" in response.text
    parser = _Assets()
    parser.feed(response.text)
    assert any(url.endswith("swagger-ui-bundle.js") for url in parser.urls), parser.urls
    assert any(url.endswith(".css") for url in parser.urls), parser.urls
    for url in parser.urls:
        # Same origin: a path on this site, never another host (no CDN, no font service).
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        asset = await app.anonymous.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url


async def test_the_viewer_script_is_swagger_ui_from_the_installed_package(
    app: RunningApp,
) -> None:
    script = await app.anonymous.get("/static/api-docs/swagger-ui-bundle.js")

    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert b"SwaggerUIBundle" in script.content
