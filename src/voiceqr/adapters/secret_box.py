"""Secrets sealed at rest with Fernet (`cryptography`), keyed from VOICEQR_AUTH_SECRET_KEY.

Fernet is AES-128-CBC with an HMAC-SHA256 over the whole token and a fresh random IV
per message: authenticated encryption with no nonce for us to manage, so tampering
or a wrong key is detected rather than decrypted into garbage.

The Fernet key is derived with HKDF-SHA256 (RFC 5869), not taken from the setting
as-is, because the same setting also signs CSRF tokens: HKDF's `info` label gives
every purpose its own independent key from the one secret. A slow password hash
(argon2, scrypt) would add nothing: the setting is already a long random key
(production refuses fewer than 32 characters), not something a person chose.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import cached_property

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from voiceqr.domain.shared.errors import DomainError

FERNET_KEY_BYTES = 32  # 16 for the HMAC key, 16 for the AES key


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A urlsafe-base64 Fernet key for `purpose`, derived from the application secret."""
    if not secret_key:
        raise ValueError("the secret key is empty")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=FERNET_KEY_BYTES,
        salt=None,
        info=f"voiceqr/{purpose}".encode(),
    )
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


class FernetSecretBox:
    """Implements the SecretBox port.

    `secret_key` is the key itself or a function that returns it; a function is
    called on first use only, so building the platform never touches the data
    directory where a development key is kept.
    """

    def __init__(
        self, secret_key: str | Callable[[], str], *, purpose: str = "totp-secrets/v1"
    ) -> None:
        self._secret_key = secret_key
        self._purpose = purpose

    @cached_property
    def _fernet(self) -> Fernet:
        key = self._secret_key if isinstance(self._secret_key, str) else self._secret_key()
        return Fernet(derive_key(key, self._purpose))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise DomainError(
                "A stored secret cannot be read; an administrator must look into it.",
                code="secret_unreadable",
                detail="the ciphertext was altered or sealed with another VOICEQR_AUTH_SECRET_KEY",
            ) from exc
