"""The Fernet SecretBox adapter: TOTP secrets sealed at rest with a key from the settings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.adapters.secret_box import FernetSecretBox, derive_key
from voiceqr.application.accounts.ports import SecretBox
from voiceqr.domain.shared.errors import DomainError

KEY = "k" * 48
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_sealed_secret_opens_with_the_same_key_and_does_not_show_it() -> None:
    box: SecretBox = FernetSecretBox(KEY)

    sealed = box.encrypt(SECRET)

    assert SECRET not in sealed
    assert box.decrypt(sealed) == SECRET
    assert FernetSecretBox(KEY).decrypt(sealed) == SECRET  # e.g. after a restart


def test_sealing_twice_gives_different_text() -> None:
    box = FernetSecretBox(KEY)

    assert box.encrypt(SECRET) != box.encrypt(SECRET)  # a fresh IV each time


@given(st.text())
def test_any_text_comes_back_as_it_was(text: str) -> None:
    box = FernetSecretBox(KEY)
    assert box.decrypt(box.encrypt(text)) == text


@pytest.mark.parametrize("position", [0, 10, 40, -5, -1])
def test_tampering_is_detected(position: int) -> None:
    box = FernetSecretBox(KEY)
    sealed = box.encrypt(SECRET)
    replacement = "A" if sealed[position] != "A" else "B"
    tampered = sealed[:position] + replacement + sealed[position:][1:]
    assert tampered != sealed

    with pytest.raises(DomainError) as raised:
        box.decrypt(tampered)
    assert raised.value.code == "secret_unreadable"


@pytest.mark.parametrize("garbage", ["", "not a token", "ü" * 20])
def test_text_that_was_never_sealed_is_refused(garbage: str) -> None:
    with pytest.raises(DomainError) as raised:
        FernetSecretBox(KEY).decrypt(garbage)
    assert raised.value.code == "secret_unreadable"


def test_another_key_cannot_open_it() -> None:
    sealed = FernetSecretBox(KEY).encrypt(SECRET)

    with pytest.raises(DomainError) as raised:
        FernetSecretBox("another-" + KEY).decrypt(sealed)
    assert raised.value.code == "secret_unreadable"


def test_each_purpose_gets_its_own_key_never_the_setting_itself() -> None:
    totp = derive_key(KEY, "totp-secrets/v1")

    assert totp != derive_key(KEY, "something-else")
    assert totp != derive_key("another-" + KEY, "totp-secrets/v1")
    assert KEY.encode() not in totp
    sealed = FernetSecretBox(KEY, purpose="a").encrypt(SECRET)
    with pytest.raises(DomainError):
        FernetSecretBox(KEY, purpose="b").decrypt(sealed)


def test_a_key_function_is_called_on_first_use_only() -> None:
    calls: list[int] = []

    def key() -> str:
        calls.append(1)
        return KEY

    box = FernetSecretBox(key)
    assert calls == []
    sealed = box.encrypt(SECRET)
    assert box.decrypt(sealed) == SECRET
    assert calls == [1]
    assert FernetSecretBox(KEY).decrypt(sealed) == SECRET


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        FernetSecretBox("").encrypt(SECRET)
