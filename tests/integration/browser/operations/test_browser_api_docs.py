"""The API documentation, reached from the API keys page, in a browser with no internet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.browser_support import (
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    sign_in,
)

pytestmark = pytest.mark.browser

# What Swagger UI's own markup breaks, beyond what a style sheet can mend (the page
# around it and its colours are ours, and pass).
SWAGGER_UI_MARKUP = {
    "nested-interactive": "each operation's summary is a button holding a link",
    "heading-order": "the operation tags are h3 right under the h1 title",
    "select-name": "the servers list has a text beside it but no label",
}
EMAIL = "integrator@example.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD) as base:
        yield base


def test_the_api_docs_open_from_the_api_keys_page_with_no_internet(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    context.set_default_timeout(15_000)
    elsewhere: list[str] = []

    def offline(route: Any) -> None:
        # The machine of a person reading the docs may have no internet: any request
        # to another host fails, as it would there, and is noted for the assertion.
        if route.request.url.startswith(server):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        page.goto(f"{server}/security/api-keys")
        assert_accessible(page, state="the API keys page")

        page.get_by_role("link", name="The API documentation").click()
        expect(page).to_have_url(f"{server}/api/v1/schema")
        # Swagger UI drew the schema: its title and the generations' operations.
        # Swagger UI draws a large schema: seconds on a busy two-core machine.
        expect(page.get_by_role("heading", level=1)).to_contain_text("voiceqr API", timeout=30_000)
        generations = page.get_by_role("heading", name="generations", exact=False, level=3)
        expect(generations).to_be_visible()
        expect(page.get_by_role("button", name="POST /api/v1/generations ").first).to_be_visible()
        assert elsewhere == []
        assert_accessible(page, state="the API documentation", not_ours=SWAGGER_UI_MARKUP)
    finally:
        context.close()
