"""Sign-in with Google and Microsoft (A5), the rules: accounts on in-memory fakes and a
fake OpenID provider that returns whatever claims a test gives it (as verified)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.fakes import PUBLIC_BASE_URL, FakeClock, Services, make_services
from voiceqr.application.accounts.held_sign_ins import SocialSignedIn
from voiceqr.application.accounts.policy import Client, hash_token
from voiceqr.application.accounts.ports import OneTimeKeys, OpenIdProvider
from voiceqr.application.accounts.social_claims import identity_from_claims
from voiceqr.application.accounts.social_sign_in import LinkRequired, SocialSignIn
from voiceqr.domain.accounts.users import UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.compliance.documents import AcceptanceWay, DocumentKind
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    ErrorCategory,
    ExternalServiceError,
    NotFound,
    PermissionDenied,
)

CLIENT = Client(ip="203.0.113.9", user_agent="pytest")
PASSWORD = "correct horse battery"
REDIRECT = f"{PUBLIC_BASE_URL}/api/v1/auth/oidc/google/callback"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


@dataclass
class FakeOpenIdProvider:
    """Hands out its `claims` for any code, as if they had verified."""

    name: str
    label: str
    claims: dict[str, object] = field(default_factory=dict)
    authorizations: list[dict[str, str]] = field(default_factory=list)
    exchanges: list[dict[str, str]] = field(default_factory=list)

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        self.authorizations.append(
            {
                "redirect_uri": redirect_uri,
                "state": state,
                "nonce": nonce,
                "code_verifier": code_verifier,
            }
        )
        return f"https://{self.name}.test/authorize?state={state}"

    async def verified_claims(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> dict[str, object]:
        self.exchanges.append(
            {"code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier}
        )
        return {**self.claims, "nonce": nonce}


class FakeOneTimeKeys:
    def __init__(self) -> None:
        self.used: set[str] = set()

    async def use(self, key: str, *, ttl_seconds: int) -> bool:
        if key in self.used:
            return False
        self.used.add(key)
        return True


@dataclass
class World:
    s: Services
    social: SocialSignIn
    google: FakeOpenIdProvider
    microsoft: FakeOpenIdProvider

    @property
    def clock(self) -> FakeClock:
        return self.s.clock

    async def round_trip(
        self, provider: str = "google", *, remember_me: bool = False, next: str = "/generations"
    ) -> SocialSignedIn | LinkRequired:
        started = await self.social.start(
            provider, redirect_uri=REDIRECT, remember_me=remember_me, next=next
        )
        state = parse_qs(urlsplit(started.url).query)["state"][0]
        return await self.social.callback(
            provider, sealed_state=started.sealed_state, state=state, code="c0de", client=CLIENT
        )


def make_world(secret: str = "a-test-secret-of-some-length") -> World:
    google = FakeOpenIdProvider("google", "Google")
    microsoft = FakeOpenIdProvider("microsoft", "Microsoft")
    providers: Mapping[str, OpenIdProvider] = {"google": google, "microsoft": microsoft}
    once: OneTimeKeys = FakeOneTimeKeys()
    s = make_services(secret_key=secret, openid_providers=providers, one_time_keys=once)
    return World(s, s.platform.accounts.social_sign_in, google, microsoft)


@pytest.fixture
def w() -> World:
    return make_world()


def google_user(w: World, sub: str, email: str, *, verified: bool = True, **more: object) -> None:
    w.google.claims = {"sub": sub, "email": email, "email_verified": verified, **more}


# --- new and returning people ------------------------------------------------------


async def test_a_new_identity_opens_a_verified_account_without_a_password(w: World) -> None:
    google_user(w, "g-1", "Ada@Example.com", name="Ada Lovelace")
    result = await w.round_trip(remember_me=True)

    assert isinstance(result, SocialSignedIn)
    assert result.created_account
    assert (result.next, result.remember_me) == ("/generations", True)
    user = result.sign_in.user
    assert (user.email, user.name, user.password_hash) == ("ada@example.com", "Ada Lovelace", None)
    assert user.email_verified_at == w.clock.now
    assert user.terms_accepted_at == w.clock.now
    [identity] = w.s.db.social_identities.values()
    assert (identity.user_id, identity.provider, identity.subject) == (user.id, "google", "g-1")
    assert [m.kind for m in w.s.db.outbox.values()] == ["welcome"]
    session = w.s.sessions.sessions[hash_token(result.sign_in.token)]
    assert (session.method, session.remember_me) == ("google", True)
    assert [(e.method, e.success) for e in w.s.db.login_events] == [("google", True)]


async def test_the_same_identity_signs_into_the_same_account(w: World) -> None:
    google_user(w, "g-1", "ada@example.com")
    first = await w.round_trip()
    w.google.claims["email"] = "ada.new@example.com"  # the address at Google changed
    second = await w.round_trip()
    assert isinstance(first, SocialSignedIn)
    assert isinstance(second, SocialSignedIn)
    assert not second.created_account
    assert second.sign_in.user.id == first.sign_in.user.id
    assert second.sign_in.token != first.sign_in.token  # a new session every time
    assert len(w.s.db.users) == 1


async def test_the_provider_gets_back_what_the_start_sent(w: World) -> None:
    google_user(w, "g-1", "ada@example.com")
    await w.round_trip()
    await w.round_trip()
    first, second = w.google.authorizations
    assert first["redirect_uri"] == REDIRECT
    assert len(first["code_verifier"]) == 64
    assert first["state"] != second["state"]
    assert first["nonce"] != second["nonce"]
    assert first["code_verifier"] != second["code_verifier"]
    assert [e["code_verifier"] for e in w.google.exchanges] == [
        first["code_verifier"],
        second["code_verifier"],
    ]


async def test_a_disabled_or_locked_account_cannot_sign_in_with_a_provider(w: World) -> None:
    google_user(w, "g-1", "ada@example.com")
    result = await w.round_trip()
    assert isinstance(result, SocialSignedIn)
    await w.s.operator_sets_status("ada@example.com", UserStatus.DISABLED)
    with pytest.raises(AuthenticationFailed) as refused:
        await w.round_trip()
    assert refused.value.code == "account_unavailable"

    await w.s.operator_sets_status("ada@example.com", UserStatus.ACTIVE)
    await w.s.operator_locks("ada@example.com", w.clock.now + timedelta(minutes=15))
    with pytest.raises(AuthenticationFailed):
        await w.round_trip()
    assert [e.reason for e in w.s.db.login_events if not e.success] == ["disabled", "locked"]


# --- emails: verified or nothing ---------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "claims", "email"),
    [
        ("google", {"email": "a@example.com", "email_verified": True}, "a@example.com"),
        ("google", {"email": "a@example.com", "email_verified": "true"}, "a@example.com"),
        ("google", {"email": "a@example.com", "email_verified": False}, None),
        ("google", {"email": "a@example.com"}, None),
        ("google", {"email": "not an address", "email_verified": True}, None),
        ("microsoft", {"email": "a@example.com", "email_verified": True}, None),
        ("microsoft", {"email": "a@example.com"}, None),
        ("microsoft", {"email": "a@example.com", "xms_edov": False}, None),
        ("microsoft", {"email": "a@example.com", "xms_edov": True}, "a@example.com"),
        ("microsoft", {"email": "a@example.com", "xms_edov": "1"}, "a@example.com"),
    ],
)
def test_only_an_email_the_provider_vouches_for_counts(
    provider: str, claims: dict[str, object], email: str | None
) -> None:
    assert identity_from_claims(provider, {"sub": "x", **claims}).email == email


def test_microsoft_identities_are_tenant_and_object_ids() -> None:
    claims = {"sub": "pairwise", "tid": TENANT, "oid": "0b1ec7"}
    assert identity_from_claims("microsoft", claims).subject == f"{TENANT}:0b1ec7"
    assert identity_from_claims("microsoft", {"sub": "pairwise"}).subject == "pairwise"
    assert identity_from_claims("google", claims).subject == "pairwise"


async def test_an_unverified_email_neither_opens_nor_links_an_account(w: World) -> None:
    w.s.add_user("ada@example.com", password=PASSWORD)
    w.microsoft.claims = {
        "sub": "m-1",
        "tid": TENANT,
        "oid": "a77a",
        "email": "ada@example.com",
        "email_verified": True,  # a hostile tenant can say anything
    }
    with pytest.raises(AuthenticationFailed) as refused:
        await w.round_trip("microsoft")
    assert refused.value.code == "oidc_email_unverified"
    assert "Microsoft did not confirm" in refused.value.message
    assert not w.s.db.social_identities
    assert len(w.s.db.users) == 1
    assert not w.s.sessions.sessions
    [event] = w.s.db.login_events
    assert (event.method, event.success, event.reason) == ("microsoft", False, "email_unverified")


# --- linking to an existing account ------------------------------------------------


async def test_an_existing_verified_email_needs_the_accounts_password(w: World) -> None:
    owner = w.s.add_user("bob@example.com", password=PASSWORD)
    google_user(w, "g-bob", "bob@example.com")
    result = await w.round_trip(next="/generations/42")

    assert isinstance(result, LinkRequired)
    assert (result.email, result.provider_label, result.next) == (
        "bob@example.com",
        "Google",
        "/generations/42",
    )
    assert not w.s.sessions.sessions
    assert not w.s.db.social_identities
    pending = w.social.pending_link(result.sealed_link)
    assert (pending.email, pending.provider_label) == ("bob@example.com", "Google")

    with pytest.raises(AuthenticationFailed) as wrong:
        await w.social.confirm_link(result.sealed_link, password="nope nope nope", client=CLIENT)
    assert wrong.value.code == "bad_credentials"
    assert not w.s.db.social_identities
    assert not w.s.sessions.sessions

    linked = await w.social.confirm_link(result.sealed_link, password=PASSWORD, client=CLIENT)
    assert linked.linked
    assert linked.sign_in.user.id == owner.id
    assert linked.next == "/generations/42"
    [identity] = w.s.db.social_identities.values()
    assert (identity.user_id, identity.subject) == (owner.id, "g-bob")

    again = await w.round_trip()
    assert isinstance(again, SocialSignedIn)
    assert again.sign_in.user.id == owner.id


async def test_a_link_request_is_used_once_and_for_its_account_only(w: World) -> None:
    owner = w.s.add_user("bob@example.com", password=PASSWORD)
    other = w.s.add_user("eve@example.com", password=PASSWORD)
    google_user(w, "g-bob", "bob@example.com")
    result = await w.round_trip()
    assert isinstance(result, LinkRequired)

    with pytest.raises(PermissionDenied):
        await w.social.link_pending(other, result.sealed_link)
    await w.social.link_pending(owner, result.sealed_link)

    sessions_before = len(w.s.sessions.sessions)
    with pytest.raises(AuthenticationFailed) as replay:
        await w.social.confirm_link(result.sealed_link, password=PASSWORD, client=CLIENT)
    assert replay.value.code == "oidc_link_invalid"
    assert len(w.s.sessions.sessions) == sessions_before  # the password's session is ended
    assert len(w.s.db.social_identities) == 1


async def test_a_link_request_expires_after_ten_minutes(w: World) -> None:
    w.s.add_user("bob@example.com", password=PASSWORD)
    google_user(w, "g-bob", "bob@example.com")
    result = await w.round_trip()
    assert isinstance(result, LinkRequired)
    w.clock.advance(minutes=10, seconds=1)
    with pytest.raises(AuthenticationFailed) as late:
        await w.social.confirm_link(result.sealed_link, password=PASSWORD, client=CLIENT)
    assert late.value.code == "oidc_link_invalid"
    assert not w.s.sessions.sessions


# --- the state: sealed, short-lived, single use ------------------------------------


async def start(w: World, provider: str = "google") -> tuple[str, str]:
    started = await w.social.start(provider, redirect_uri=REDIRECT, remember_me=False, next="/")
    return started.sealed_state, parse_qs(urlsplit(started.url).query)["state"][0]


async def finish(w: World, sealed: str, state: str, provider: str = "google") -> object:
    return await w.social.callback(
        provider, sealed_state=sealed, state=state, code="c0de", client=CLIENT
    )


async def test_a_state_is_used_once(w: World) -> None:
    google_user(w, "g-1", "ada@example.com")
    sealed, state = await start(w)
    await finish(w, sealed, state)
    with pytest.raises(AuthenticationFailed) as replay:
        await finish(w, sealed, state)
    assert replay.value.code == "oidc_state_replayed"
    assert len(w.google.exchanges) == 1  # the code is not even sent again


async def test_a_state_lives_ten_minutes(w: World) -> None:
    google_user(w, "g-1", "ada@example.com")
    sealed, state = await start(w)
    w.clock.advance(minutes=10, seconds=1)
    with pytest.raises(AuthenticationFailed) as late:
        await finish(w, sealed, state)
    assert late.value.code == "oidc_state_invalid"
    assert not w.google.exchanges


@pytest.mark.parametrize(
    "case", ["other-state", "other-provider", "no-cookie", "other-secret", "a-link-record"]
)
async def test_a_state_that_does_not_match_is_refused(w: World, case: str) -> None:
    google_user(w, "g-1", "ada@example.com")
    w.microsoft.claims = dict(w.google.claims)
    sealed, state = await start(w)
    provider = "google"
    if case == "other-state":
        state = state[:-1] + ("A" if state[-1] != "A" else "B")
    elif case == "other-provider":
        provider = "microsoft"
    elif case == "no-cookie":
        sealed = ""
    elif case == "other-secret":
        sealed, state = await start(make_world("another secret entirely"))
    elif case == "a-link-record":
        w.s.add_user("bob@example.com", password=PASSWORD)
        google_user(w, "g-bob", "bob@example.com")
        link = await w.round_trip()
        assert isinstance(link, LinkRequired)
        sealed = link.sealed_link
    with pytest.raises(AuthenticationFailed) as refused:
        await finish(w, sealed, state, provider)
    assert refused.value.code == "oidc_state_invalid"
    assert "Start again" in refused.value.message


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
async def test_any_change_to_the_sealed_record_is_refused(position: int, flip: int) -> None:
    w = make_world()
    google_user(w, "g-1", "ada@example.com")
    sealed, state = await start(w)
    body, mac = sealed.split(".")
    payload = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload[position % len(payload)] ^= flip
    altered = base64.urlsafe_b64encode(bytes(payload)).rstrip(b"=").decode()
    with pytest.raises(AuthenticationFailed) as refused:
        await finish(w, f"{altered}.{mac}", state)
    assert refused.value.code == "oidc_state_invalid"
    assert not w.google.exchanges


# --- the provider says no ----------------------------------------------------------


async def test_a_refusal_at_the_provider_is_a_clear_message(w: World) -> None:
    sealed, state = await start(w)
    with pytest.raises(AuthenticationFailed) as denied:
        await w.social.callback(
            "google",
            sealed_state=sealed,
            state=state,
            code="",
            error="access_denied",
            error_description="The user said no",
            client=CLIENT,
        )
    assert denied.value.code == "oidc_access_denied"
    assert "Signing in with Google was cancelled or refused" in denied.value.message
    with pytest.raises(ExternalServiceError) as broken:
        await w.social.callback(
            "google",
            sealed_state=sealed,
            state=state,
            code="",
            error="server_error",
            client=CLIENT,
        )
    assert broken.value.category is ErrorCategory.PROVIDER
    assert not w.google.exchanges


async def test_only_configured_providers_are_offered(w: World) -> None:
    assert [(p.name, p.label) for p in w.social.providers] == [
        ("google", "Google"),
        ("microsoft", "Microsoft"),
    ]
    assert not w.social.is_enabled("github")
    with pytest.raises(NotFound):
        await w.social.start("github", redirect_uri=REDIRECT, remember_me=False, next="/")


async def test_a_new_account_from_a_provider_accepts_the_terms_and_privacy_in_force(
    w: World,
) -> None:
    documents = w.s.platform.compliance.documents
    for kind in DocumentKind:
        await documents.publish(
            OPERATOR,
            kind,
            text=f"{kind}, first version",
            summary="",
            effective_on=w.clock.now.date(),
            material=True,
            reason="launch",
        )
    google_user(w, "g-7", "nia@example.com")
    result = await w.round_trip()
    assert isinstance(result, SocialSignedIn)
    user = result.sign_in.user
    accepted = await w.s.platform.compliance.acceptances.of_user(user.id)
    assert sorted((str(a.kind), a.version, a.how) for a in accepted) == [
        ("privacy", 1, AcceptanceWay.SOCIAL_SIGNUP),
        ("terms", 1, AcceptanceWay.SOCIAL_SIGNUP),
    ]
    assert await w.s.platform.compliance.acceptances.still_to_accept(user.id) == []
