"""Country of an IP address from the offline database the geoip2fast package ships
(IPv4 and IPv6, MIT licence): no download at run time, about 0.2 s to load."""

from __future__ import annotations

import functools
import threading

from geoip2fast import GeoIP2Fast

# Addresses whose country is kept: a visitor's scan, listen and reports come from one
# address, and the lookup (~20 us) runs on the event loop that serves the page.
REMEMBERED = 4096


class OfflineCountryLookup:
    def __init__(self) -> None:
        self._db: GeoIP2Fast | None = None
        self._lock = threading.Lock()
        self.country = functools.lru_cache(maxsize=REMEMBERED)(self._country)

    def load(self) -> None:
        with self._lock:
            if self._db is None:
                self._db = GeoIP2Fast(geoip2fast_data_file="geoip2fast-ipv6.dat.gz", verbose=False)

    def _country(self, ip: str) -> str:
        """The two-letter code; "" for what is not a public address (the database
        answers "--" for private and reserved ranges and "" for what is no address)."""
        if self._db is None:
            self.load()
        assert self._db is not None
        code = str(self._db.lookup(ip).country_code)
        return code if len(code) == 2 and code.isalpha() else ""
