"""Fixtures tests in several integration folders share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.oidc_providers import ForgingProvider


@pytest.fixture(scope="module")
def forger() -> Iterator[ForgingProvider]:
    """An OpenID provider whose ID tokens the tests write (one per test module)."""
    with ForgingProvider() as provider:
        yield provider
