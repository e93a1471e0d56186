"""One-click unsubscribe tokens (RFC 8058): a link in optional mail that turns that kind
of mail off without signing in.

The token names the user and the kind and is signed with the platform's secret key, so
it cannot be forged or turned on another user; it does not expire (a link in an old
mail keeps working), and changing the secret key voids every link at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from voiceqr.application.shared.signed_links import SignedLinks
from voiceqr.domain.mail.preferences import MailKind


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    """What a valid token asks: this user wants no more mail of this kind."""

    user_id: UUID
    kind: MailKind


class UnsubscribeTokens:
    """Signs and reads unsubscribe tokens with a key derived from the secret key."""

    def __init__(self, secret: Callable[[], str]) -> None:
        self._links = SignedLinks(secret, b"voiceqr/unsubscribe/v1")

    def token(self, user_id: UUID, kind: MailKind) -> str:
        return self._links.token(user_id.bytes + str(kind).encode())

    def read(self, token: str) -> UnsubscribeRequest | None:
        """The request a token makes, or None for anything not signed by us."""
        payload = self._links.read(token)
        if payload is None or len(payload) <= 16:
            return None
        try:
            return UnsubscribeRequest(UUID(bytes=payload[:16]), MailKind(payload[16:].decode()))
        except (UnicodeDecodeError, ValueError):
            return None
