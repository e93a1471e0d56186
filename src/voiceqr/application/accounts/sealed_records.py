"""Short-lived records the browser carries between two steps of a sign-in, in a cookie.

A record is sealed with an HMAC so nobody can forge or alter it; it is not encrypted, so
it holds nothing secret from the person who carries it. Each record has an id, so the
step that finishes it can spend it once (`OneTimeKeys`), and an expiry of its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

_RANDOM_BYTES = 32  # state, nonce and record ids: 256 random bits each


class SealedRecords:
    """Seals and opens records of one kind (`kind` keeps one kind from passing for another)."""

    def __init__(self, secret: Callable[[], str]) -> None:
        self._secret = secret
        self._key: bytes | None = None

    def seal(self, kind: str, payload: dict[str, Any]) -> str:
        """`payload` as JSON, with the HMAC of its kind and body."""
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{_b64(self._mac(kind, body))}"

    def unseal(self, kind: str, sealed: str) -> dict[str, Any] | None:
        """The payload, or None when the record is malformed, forged or of another kind."""
        body, _, mac = sealed.partition(".")
        if not body or not mac:
            return None
        try:
            if not hmac.compare_digest(_unb64(mac), self._mac(kind, body)):
                return None
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def _mac(self, kind: str, body: str) -> bytes:
        if self._key is None:
            # A key of its own, derived from the platform secret.
            self._key = hashlib.sha256(
                b"voiceqr social sign-in\0" + self._secret().encode()
            ).digest()
        return hmac.new(self._key, f"{kind}.{body}".encode(), hashlib.sha256).digest()


def random_token() -> str:
    """A fresh random value for a record id, a state or a nonce."""
    return secrets.token_urlsafe(_RANDOM_BYTES)


def lifetime_seconds(lifetime: timedelta) -> int:
    """A record's lifetime in whole seconds: its cookie's max-age and its one-time key's TTL."""
    return int(lifetime.total_seconds())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
