"""Sign-in with Google and Microsoft (A5) through the web app, against OpenID providers
the tests start (see `tests.integration.oidc_providers`): the mock provider, where the
tests choose who signs in and what it claims, and the forging provider, whose ID tokens
the tests write to send what a real provider never should.

The browser's trips are followed by hand: start -> provider -> callback.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import pytest_asyncio
from joserfc import jwk
from oidc_provider_mock import run_server_in_thread

from tests.integration.http_helpers import (
    BROWSER,
    PASSWORD,
    SESSION_COOKIE,
    RunningApp,
    Visitor,
    assert_problem,
    cookie_attributes,
    csrf_token,
    is_html,
    running_app,
)
from tests.integration.oidc_providers import (
    CLIENT_SECRET,
    FORGED_CLIENT,
    GOOGLE_CLIENT,
    MICROSOFT_CLIENT,
    TENANT,
    ForgingProvider,
    MockProvider,
    local_path,
    query,
)
from voiceqr.domain.accounts.users import UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.settings import Auth, Settings

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # authlib, inside the mock
]

STATE_COOKIE = "voiceqr_oidc"
LINK_COOKIE = "voiceqr_link"


@pytest.fixture(scope="module")
def mock_provider() -> Iterator[MockProvider]:
    with run_server_in_thread() as server:
        yield MockProvider(f"http://localhost:{server.server_port}")


# --- the apps ----------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(
    tmp_path_factory: pytest.TempPathFactory, mock_provider: MockProvider
) -> AsyncIterator[RunningApp]:
    """Google and Microsoft both at the mock provider (with their own client ids)."""
    settings = Settings(
        data_dir=str(tmp_path_factory.mktemp("voiceqr-oidc")),
        auth=Auth(
            google_issuer=mock_provider.base,
            google_client_id=GOOGLE_CLIENT,
            google_client_secret=CLIENT_SECRET,
            microsoft_issuer=mock_provider.base,
            microsoft_client_id=MICROSOFT_CLIENT,
            microsoft_client_secret=CLIENT_SECRET,
        ),
    )
    async with running_app(settings) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def forged_app(
    tmp_path_factory: pytest.TempPathFactory, forger: ForgingProvider
) -> AsyncIterator[RunningApp]:
    """Google at the forging provider; Microsoft is not set up."""
    settings = Settings(
        data_dir=str(tmp_path_factory.mktemp("voiceqr-forged")),
        auth=Auth(
            google_issuer=forger.base,
            google_client_id=FORGED_CLIENT,
            google_client_secret=CLIENT_SECRET,
        ),
    )
    async with running_app(settings) as app:
        yield app


async def social_sign_in(
    app: RunningApp,
    provider: MockProvider,
    sub: str,
    *,
    via: str = "google",
    visitor: Visitor | None = None,
    start: str = "",
) -> tuple[Visitor, httpx.Response]:
    """start -> the provider's page (signed in as `sub`) -> callback; the callback's answer."""
    visitor = visitor or Visitor(app.client)
    started = await visitor.get(f"/api/v1/auth/oidc/{via}/start{start}")
    assert started.status_code == 302, started.text
    back = provider.authorize(started.headers["location"], sub=sub)
    return visitor, await visitor.get(local_path(back))


def user_count(app: RunningApp) -> int:
    return len(app.call(app.platform.accounts.accounts.list_users, OPERATOR))


def identities(app: RunningApp, email: str) -> list[Any]:
    async def find() -> list[Any]:
        user = await app.platform.accounts.accounts.get_by_email(email)
        assert user is not None
        async with app.uow() as uow:
            return await uow.social_identities.list_for_user(user.id)

    return app.call(find)


# --- the happy paths -----------------------------------------------------------------


async def test_start_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(
    app: RunningApp, mock_provider: MockProvider
) -> None:
    response = await Visitor(app.client).get(
        "/api/v1/auth/oidc/google/start?next=/generations&remember_me=on"
    )
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(f"{mock_provider.base}/oauth2/authorize?")
    params = query(location)
    assert params["response_type"] == "code"
    assert params["client_id"] == GOOGLE_CLIENT
    assert params["scope"] == "openid email profile"
    assert params["redirect_uri"] == "http://127.0.0.1:8000/api/v1/auth/oidc/google/callback"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert len(params["state"]) >= 43
    assert len(params["nonce"]) >= 43

    # The state record rides in a short-lived, HttpOnly cookie only the callback sees,
    # and carries neither the verifier nor anything else in the clear.
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(STATE_COOKIE))
    attributes = cookie_attributes(header)
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/api/v1/auth/oidc/"
    assert attributes["max-age"] == "600"


async def test_first_sign_in_creates_a_verified_account_and_the_second_finds_it(
    app: RunningApp, mock_provider: MockProvider
) -> None:
    mock_provider.set_user(
        "google-ada", email="Ada@Example.com", email_verified=True, name="Ada Lovelace"
    )
    before = user_count(app)

    visitor, back = await social_sign_in(
        app, mock_provider, "google-ada", start="?next=/generations"
    )
    assert back.status_code == 302, back.text
    assert back.headers["location"] == "/generations"
    assert STATE_COOKIE not in visitor.cookies  # spent
    session = next(h for h in back.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "httponly" in cookie_attributes(session)
    assert "max-age" not in cookie_attributes(session)  # no "remember me": ends with the browser
    me = await visitor.me()
    assert me is not None
    assert (me["email"], me["name"], me["email_verified"]) == (
        "ada@example.com",
        "Ada Lovelace",
        True,
    )
    assert user_count(app) == before + 1
    activity = (await visitor.get("/api/v1/me/login-activity")).json()
    assert activity[0]["method"] == "google"

    again, back = await social_sign_in(app, mock_provider, "google-ada", start="?remember_me=on")
    assert back.status_code == 302
    assert back.headers["location"] == "/generations/new"
    session = next(h for h in back.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert cookie_attributes(session)["max-age"] == str(30 * 86400)
    second = await again.me()
    assert second is not None
    assert second["id"] == me["id"]
    assert user_count(app) == before + 1


async def test_an_existing_email_links_only_after_that_accounts_password(
    app: RunningApp, mock_provider: MockProvider
) -> None:
    app.create_user("bob@example.com")
    mock_provider.set_user("google-bob", email="bob@example.com", email_verified=True)
    before = user_count(app)

    visitor, back = await social_sign_in(
        app, mock_provider, "google-bob", start="?next=/generations"
    )
    assert back.status_code == 302
    assert back.headers["location"] == "/signin/link"
    assert SESSION_COOKIE not in visitor.cookies  # not signed in by the email match
    assert LINK_COOKIE in visitor.cookies
    header = next(h for h in back.headers.get_list("set-cookie") if h.startswith(LINK_COOKIE))
    assert cookie_attributes(header)["path"] == "/signin/link"
    assert "httponly" in cookie_attributes(header)
    assert identities(app, "bob@example.com") == []

    page = await visitor.get("/signin/link", headers=BROWSER)
    assert page.status_code == 200
    assert "bob@example.com" in page.text
    assert "Link your Google account" in page.text

    wrong = await visitor.post(
        "/signin/link",
        data={"password": "not the password", "_csrf_token": csrf_token(page.text)},
        headers=BROWSER,
    )
    assert wrong.status_code == 401
    assert "not right" in wrong.text
    assert SESSION_COOKIE not in visitor.cookies
    assert identities(app, "bob@example.com") == []

    right = await visitor.post(
        "/signin/link",
        data={"password": PASSWORD, "_csrf_token": csrf_token(page.text)},
        headers=BROWSER,
    )
    assert right.status_code == 303, right.text
    assert right.headers["location"] == "/generations"
    assert LINK_COOKIE not in visitor.cookies
    me = await visitor.me()
    assert me is not None
    assert me["email"] == "bob@example.com"
    linked = identities(app, "bob@example.com")
    assert [(i.provider, i.subject) for i in linked] == [("google", "google-bob")]
    assert user_count(app) == before

    # From now on Google signs Bob in directly.
    later, back = await social_sign_in(app, mock_provider, "google-bob")
    assert back.headers["location"] == "/generations/new"
    again = await later.me()
    assert again is not None
    assert again["id"] == me["id"]


async def test_a_pending_link_works_once(app: RunningApp, mock_provider: MockProvider) -> None:
    app.create_user("cleo@example.com")
    mock_provider.set_user("google-cleo", email="cleo@example.com", email_verified=True)
    visitor, _ = await social_sign_in(app, mock_provider, "google-cleo")
    sealed = visitor.cookies[LINK_COOKIE]
    page = await visitor.get("/signin/link", headers=BROWSER)
    done = await visitor.post(
        "/signin/link",
        data={"password": PASSWORD, "_csrf_token": csrf_token(page.text)},
        headers=BROWSER,
    )
    assert done.status_code == 303

    visitor.cookies[LINK_COOKIE] = sealed  # the same record, sent again
    replay = await visitor.post(
        "/signin/link",
        data={"password": PASSWORD, "_csrf_token": csrf_token(page.text)},
        headers=BROWSER,
    )
    assert replay.status_code == 401
    assert "not valid any more" in replay.text
    assert len(identities(app, "cleo@example.com")) == 1

    # A forged record (its seal broken) shows the same refusal.
    forged = Visitor(app.client, {LINK_COOKIE: sealed[:-4] + "AAAA"})
    page = await forged.get("/signin/link", headers=BROWSER)
    assert page.status_code == 401
    assert "not valid any more" in page.text


async def test_an_unverified_email_never_links_or_opens_an_account(
    app: RunningApp, mock_provider: MockProvider
) -> None:
    app.create_user("dora@example.com")
    mock_provider.set_user("google-dora", email="dora@example.com", email_verified=False)
    before = user_count(app)

    visitor, back = await social_sign_in(app, mock_provider, "google-dora")
    assert_problem(back, 401, "oidc_email_unverified")
    assert SESSION_COOKIE not in visitor.cookies
    assert LINK_COOKIE not in visitor.cookies
    assert identities(app, "dora@example.com") == []
    assert user_count(app) == before


async def test_microsoft_email_counts_only_with_xms_edov(
    app: RunningApp, mock_provider: MockProvider
) -> None:
    """Any tenant can type any address into `email`: that alone never links (takeover)."""
    app.create_user("erin@example.com")
    mock_provider.set_user(
        "ms-attacker",
        email="erin@example.com",
        email_verified=True,  # not a Microsoft claim: a hostile tenant's word, ignored
        tid=TENANT,
        oid="00000000-0000-0000-0000-00000000a77a",
        name="Not Erin",
    )
    before = user_count(app)
    visitor, back = await social_sign_in(app, mock_provider, "ms-attacker", via="microsoft")
    assert_problem(back, 401, "oidc_email_unverified")
    assert SESSION_COOKIE not in visitor.cookies
    assert LINK_COOKIE not in visitor.cookies
    assert identities(app, "erin@example.com") == []
    assert user_count(app) == before

    # With xms_edov (the domain owner verified the address) a new account opens,
    # keyed on the tenant and object ids.
    oid = "00000000-0000-0000-0000-0000000f1a7e"
    mock_provider.set_user(
        "ms-fiona", email="fiona@example.com", xms_edov=True, tid=TENANT, oid=oid, name="Fiona"
    )
    visitor, back = await social_sign_in(app, mock_provider, "ms-fiona", via="microsoft")
    assert back.status_code == 302, back.text
    me = await visitor.me()
    assert me is not None
    assert me["email"] == "fiona@example.com"
    assert [(i.provider, i.subject) for i in identities(app, "fiona@example.com")] == [
        ("microsoft", f"{TENANT}:{oid}")
    ]


async def test_a_disabled_account_cannot_sign_in_with_google(
    app: RunningApp, mock_provider: MockProvider
) -> None:
    mock_provider.set_user("google-gus", email="gus@example.com", email_verified=True)
    _, back = await social_sign_in(app, mock_provider, "google-gus")
    assert back.status_code == 302
    app.operator_sets_status("gus@example.com", UserStatus.DISABLED)

    visitor, back = await social_sign_in(app, mock_provider, "google-gus")
    assert_problem(back, 401, "account_unavailable")
    assert SESSION_COOKIE not in visitor.cookies


# --- refusals: the provider's "no", replays, forged answers ------------------------


async def test_cancelling_at_the_provider_says_so(
    app: RunningApp, mock_provider: MockProvider
) -> None:
    visitor = Visitor(app.client)
    started = await visitor.get("/api/v1/auth/oidc/google/start")
    back = mock_provider.authorize(started.headers["location"])  # "Deny"
    assert query(back)["error"] == "access_denied"

    answer = await visitor.get(local_path(back), headers=BROWSER)
    assert answer.status_code == 401
    assert is_html(answer)
    assert "was cancelled or refused" in answer.text
    assert "Continue with Google" in answer.text  # back on the sign-in page
    assert SESSION_COOKIE not in visitor.cookies

    as_api = await Visitor(app.client).get(local_path(back))
    assert_problem(as_api, 401, "oidc_access_denied")


async def test_a_replayed_or_foreign_state_is_refused(
    app: RunningApp, mock_provider: MockProvider
) -> None:
    mock_provider.set_user("google-hal", email="hal@example.com", email_verified=True)
    visitor = Visitor(app.client)
    started = await visitor.get("/api/v1/auth/oidc/google/start")
    sealed = visitor.cookies[STATE_COOKIE]
    back = local_path(mock_provider.authorize(started.headers["location"], sub="google-hal"))

    # Another browser, without the state cookie: the login-CSRF case.
    assert_problem(await Visitor(app.client).get(back), 401, "oidc_state_invalid")
    # The right cookie, another state value.
    params = query(back)
    other = f"{urlsplit(back).path}?{urlencode({**params, 'state': 'x' * 43})}"
    assert_problem(
        await Visitor(app.client, {STATE_COOKIE: sealed}).get(other), 401, "oidc_state_invalid"
    )

    first = await visitor.get(back)
    assert first.status_code == 302
    replay = await Visitor(app.client, {STATE_COOKIE: sealed}).get(back)
    assert_problem(replay, 401, "oidc_state_replayed")


async def test_unknown_or_unconfigured_providers_are_not_found(
    app: RunningApp, forged_app: RunningApp
) -> None:
    assert_problem(await Visitor(app.client).get("/api/v1/auth/oidc/github/start"), 404)
    assert_problem(await Visitor(forged_app.client).get("/api/v1/auth/oidc/microsoft/start"), 404)
    assert_problem(
        await Visitor(forged_app.client).get("/api/v1/auth/oidc/microsoft/callback?code=x"), 404
    )


async def test_the_sign_in_page_offers_the_configured_providers_only(
    app: RunningApp, forged_app: RunningApp
) -> None:
    both = await Visitor(app.client).get("/signin?next=/generations", headers=BROWSER)
    assert "Continue with Google" in both.text
    assert "Continue with Microsoft" in both.text
    assert 'formaction="/api/v1/auth/oidc/microsoft/start"' in both.text
    assert 'name="next" value="/generations"' in both.text
    one = await Visitor(forged_app.client).get("/signin", headers=BROWSER)
    assert "Continue with Google" in one.text
    assert "Continue with Microsoft" not in one.text


async def forged_sign_in(
    app: RunningApp, forger: ForgingProvider, *, key: jwk.Key | None = None, **changes: Any
) -> httpx.Response:
    """A sign-in whose ID token is the usual one with `changes` (None drops a claim)."""
    visitor = Visitor(app.client)
    started = await visitor.get("/api/v1/auth/oidc/google/start")
    params = query(started.headers["location"])
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": forger.base,
        "aud": FORGED_CLIENT,
        "sub": "forged-subject",
        "email": "forged@example.com",
        "email_verified": True,
        "iat": now,
        "exp": now + 300,
        "nonce": params["nonce"],
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    code = forger.grant(claims, challenge=params["code_challenge"], key=key)
    return await visitor.get(
        f"/api/v1/auth/oidc/google/callback?{urlencode({'code': code, 'state': params['state']})}"
    )


async def test_a_well_formed_forged_provider_answer_is_accepted(
    forged_app: RunningApp, forger: ForgingProvider
) -> None:
    """The baseline for the refusals below: the same answer, untouched, signs in."""
    answer = await forged_sign_in(forged_app, forger, sub="baseline", email="base@example.com")
    assert answer.status_code == 302, answer.text
    form = forger.token_forms[-1]
    assert form["grant_type"] == "authorization_code"
    assert form["client_id"] == FORGED_CLIENT  # client_secret_post, as discovery asked
    assert form["redirect_uri"] == "http://127.0.0.1:8000/api/v1/auth/oidc/google/callback"


@pytest.mark.parametrize(
    ("changes", "code", "says"),
    [
        ({"aud": "someone-else"}, "oidc_wrong_audience", "another application"),
        ({"aud": ["someone-else", "another"]}, "oidc_wrong_audience", "another application"),
        ({"azp": "someone-else"}, "oidc_wrong_audience", "another application"),
        ({"iss": "http://127.0.0.1:1"}, "oidc_wrong_issuer", "issued by someone else"),
        ({"exp": int(time.time()) - 3600}, "oidc_token_expired", "expired"),
        ({"exp": None}, "oidc_token_expired", "expired"),
        ({"iat": int(time.time()) + 3600}, "oidc_bad_token", "future"),
        ({"nonce": "a-nonce-from-another-sign-in"}, "oidc_wrong_nonce", "another sign-in"),
        ({"nonce": None}, "oidc_wrong_nonce", "another sign-in"),
    ],
    ids=[
        "wrong-audience",
        "audience-list-without-us",
        "authorized-party-not-us",
        "wrong-issuer",
        "expired",
        "no-expiry",
        "issued-in-the-future",
        "wrong-nonce",
        "no-nonce",
    ],
)
async def test_forged_id_tokens_are_refused(
    forged_app: RunningApp,
    forger: ForgingProvider,
    changes: dict[str, Any],
    code: str,
    says: str,
) -> None:
    before = user_count(forged_app)
    body = assert_problem(await forged_sign_in(forged_app, forger, **changes), 401, code)
    assert says in body["detail"]
    assert "Nothing was changed" in body["detail"]
    assert user_count(forged_app) == before


@pytest.mark.parametrize("kid", ["stranger", "trusted-1"], ids=["unknown-key", "key-id-of-ours"])
async def test_a_token_signed_with_another_key_is_refused(
    forged_app: RunningApp, forger: ForgingProvider, kid: str
) -> None:
    """Signed by a key the provider does not publish, under its own id or under the id
    of the published key: either way the signature does not verify."""
    attacker = jwk.RSAKey.generate_key(2048, parameters={"kid": kid})
    before = user_count(forged_app)
    body = assert_problem(
        await forged_sign_in(forged_app, forger, key=attacker), 401, "oidc_bad_signature"
    )
    assert "sign" in body["detail"]
    assert user_count(forged_app) == before


async def test_a_code_the_provider_rejects_is_a_clear_refusal(
    forged_app: RunningApp, forger: ForgingProvider
) -> None:
    visitor = Visitor(forged_app.client)
    started = await visitor.get("/api/v1/auth/oidc/google/start")
    params = query(started.headers["location"])
    answer = await visitor.get(
        "/api/v1/auth/oidc/google/callback?"
        + urlencode({"code": "never-issued", "state": params["state"]})
    )
    assert_problem(answer, 401, "oidc_code_rejected")


async def test_discovery_and_keys_are_fetched_once(
    forged_app: RunningApp, forger: ForgingProvider
) -> None:
    # The module's first sign-in fetches them; this may be it (when run on its own).
    await forged_sign_in(forged_app, forger, sub="cached-first", email="cf@example.com")
    discovery, keys = forger.discovery_requests, forger.jwks_requests
    for n in range(3):
        answer = await forged_sign_in(
            forged_app, forger, sub=f"cached-{n}", email=f"c{n}@example.com"
        )
        assert answer.status_code == 302
    assert (forger.discovery_requests, forger.jwks_requests) == (discovery, keys)


async def test_an_account_with_two_factor_still_asks_for_its_code_after_google(
    app: RunningApp, mock_provider: MockProvider
) -> None:
    import re
    import time

    import pyotp

    mock_provider.set_user("google-tess", email="tess@example.com", email_verified=True)
    visitor, back = await social_sign_in(app, mock_provider, "google-tess")
    assert back.status_code == 302
    setup = await visitor.post("/api/v1/me/2fa/setup")
    assert setup.status_code in (200, 201), setup.text
    totp = pyotp.TOTP(setup.json()["secret"])
    confirmed = await visitor.post("/api/v1/me/2fa/confirm", json={"code": totp.now()})
    assert confirmed.status_code in (200, 201), confirmed.text

    browser, back = await social_sign_in(app, mock_provider, "google-tess")
    assert back.status_code == 302
    assert back.headers["location"] == "/signin/code"
    assert SESSION_COOKIE not in browser.cookies  # not signed in before the code

    page = await browser.get("/signin/code", headers={"Accept": "text/html"})
    assert page.status_code == 200
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    wrong = await browser.post(
        "/signin/code",
        data={"_csrf_token": token.group(1), "otp_code": "000000"},
        headers={"Accept": "text/html"},
    )
    assert wrong.status_code == 401
    assert SESSION_COOKIE not in browser.cookies

    right = await browser.post(
        "/signin/code",
        data={"_csrf_token": token.group(1), "otp_code": totp.at(time.time() + 30)},
        headers={"Accept": "text/html"},
    )
    assert right.status_code == 303, right.text
    assert SESSION_COOKIE in browser.cookies
    me = await browser.me()
    assert me is not None
    assert me["email"] == "tess@example.com"
