"""Who a provider says signed in, read from the claims of its ID token with each
provider's rules (which email it vouches for, which id stays the same)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from voiceqr.domain.accounts.users import MAX_NAME_LENGTH, normalize_email
from voiceqr.domain.shared.errors import ValidationError


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    """Who the provider says signed in, read with each provider's rules."""

    subject: str
    email: str | None  # only an address the provider vouches for
    name: str


def identity_from_claims(provider: str, claims: Mapping[str, object]) -> ProviderIdentity:
    """The stable subject, the email only when verified, and a display name.

    Google says `email_verified`. Microsoft's `email` is whatever the tenant typed
    (unverified), so it counts only with the optional `xms_edov` claim (the email
    domain's owner verified it); its stable id is the tenant and object ids.
    """
    email = claims.get("email")
    if provider == "microsoft":
        verified = _true(claims.get("xms_edov"))
        tid, oid = claims.get("tid"), claims.get("oid")
        has_ids = isinstance(tid, str) and tid and isinstance(oid, str) and oid
        subject = f"{tid}:{oid}" if has_ids else str(claims.get("sub", ""))
    else:
        verified = _true(claims.get("email_verified"))
        subject = str(claims.get("sub", ""))
    address: str | None = None
    if verified and isinstance(email, str):
        try:
            address = normalize_email(email)
        except ValidationError:
            address = None
    return ProviderIdentity(subject=subject, email=address, name=_display_name(claims, address))


def _display_name(claims: Mapping[str, object], email: str | None) -> str:
    for candidate in (
        claims.get("name"),
        " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name")),
        claims.get("preferred_username"),
    ):
        if isinstance(candidate, str) and candidate.strip():
            return " ".join(candidate.split())[:MAX_NAME_LENGTH]
    return email.split("@")[0] if email else "voiceqr user"


def _true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))
