"""Sessions and login activity show a country: from the offline database shipped with
geoip2fast, or from a CDN's header when it comes through a trusted proxy."""

from __future__ import annotations

import pytest

from voiceqr.adapters.geo import OfflineCountryLookup


@pytest.fixture(scope="module")
def countries() -> OfflineCountryLookup:
    lookup = OfflineCountryLookup()
    lookup.load()
    return lookup


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("8.8.8.8", "US"),
        ("81.2.69.160", "GB"),
        ("2001:4860:4860::8888", "US"),
        ("127.0.0.1", ""),
        ("10.1.2.3", ""),
        ("::1", ""),
        ("192.168.1.1", ""),
        ("100.64.0.1", ""),
        ("192.0.2.1", ""),
        ("fe80::1", ""),
        ("::ffff:10.1.2.3", ""),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_public_addresses_have_a_country_and_private_ones_none(
    countries: OfflineCountryLookup, ip: str, country: str
) -> None:
    assert countries.country(ip) == country
