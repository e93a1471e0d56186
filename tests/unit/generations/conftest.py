"""The generations unit tests' usual cast: fresh services, an owner and a published voice."""

from __future__ import annotations

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.domain.accounts.users import User
from voiceqr.domain.voices.voice import Voice


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("owner@example.com")


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex", provider_voice_id="en-us")
