"""Links that act without a sign-in (unsubscribe, a banned owner's appeal): a payload
signed with a key derived from the platform's secret key and the link's purpose.

A token cannot be forged, nor used for another purpose than the one it was made for;
it does not expire (a link in an old mail keeps working), and changing the secret key
voids every link at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable

_SIGNATURE_BYTES = 16
_MAX_TOKEN = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedLinks:
    """Signs payloads for one purpose and reads back only what it signed."""

    def __init__(self, secret: Callable[[], str], purpose: bytes) -> None:
        # A function: the development secret is made on first use, not at start-up.
        self._secret = secret
        self._purpose = purpose

    def _signature(self, payload: bytes) -> bytes:
        key = hmac.new(self._secret().encode(), self._purpose, hashlib.sha256).digest()
        return hmac.new(key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def token(self, payload: bytes) -> str:
        return f"{_b64(payload)}.{_b64(self._signature(payload))}"

    def read(self, token: str) -> bytes | None:
        """The payload of a token this signed for its purpose, or None for anything else."""
        encoded, dot, signature = token.partition(".")
        if not dot or len(token) > _MAX_TOKEN:
            return None
        try:
            payload, given = _unb64(encoded), _unb64(signature)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(given, self._signature(payload)):
            return None
        return payload
