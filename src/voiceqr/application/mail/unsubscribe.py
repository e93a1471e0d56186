"""One-click unsubscribe tokens (RFC 8058): a link in optional mail that turns that kind
of mail off without signing in.

The token names the user and the kind and is signed with the platform's secret key, so
it cannot be forged or turned on another user; it does not expire (a link in an old
mail keeps working), and changing the secret key voids every link at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from voiceqr.domain.mail.preferences import MailKind

_PURPOSE = b"voiceqr/unsubscribe/v1"
_SIGNATURE_BYTES = 16


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    """What a valid token asks: this user wants no more mail of this kind."""

    user_id: UUID
    kind: MailKind


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class UnsubscribeTokens:
    """Signs and reads unsubscribe tokens with a key derived from the secret key."""

    def __init__(self, secret: Callable[[], str]) -> None:
        # A function: the development secret is made on first use, not at start-up.
        self._secret = secret

    def _signature(self, payload: bytes) -> bytes:
        key = hmac.new(self._secret().encode(), _PURPOSE, hashlib.sha256).digest()
        return hmac.new(key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def token(self, user_id: UUID, kind: MailKind) -> str:
        payload = user_id.bytes + str(kind).encode()
        return f"{_b64(payload)}.{_b64(self._signature(payload))}"

    def read(self, token: str) -> UnsubscribeRequest | None:
        """The request a token makes, or None for anything not signed by us."""
        encoded, dot, signature = token.partition(".")
        if not dot or len(token) > 200:
            return None
        try:
            payload, given = _unb64(encoded), _unb64(signature)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(given, self._signature(payload)) or len(payload) <= 16:
            return None
        try:
            return UnsubscribeRequest(UUID(bytes=payload[:16]), MailKind(payload[16:].decode()))
        except (UnicodeDecodeError, ValueError):
            return None
