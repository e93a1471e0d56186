"""Who is asking: the client address (behind trusted proxies) and the signed-in user.

The JSON API takes the session cookie or `Authorization: Bearer vqr_...` (an API
key). A bearer key wins over a cookie, and a bad one is a 401 even with a good cookie.
An API key opens only the routes whose `opt` says which scope each method
needs (see `api_key_scopes`); every other route, and anything that needs the
session itself, answers 403 to a key. The check runs in the user dependencies
below rather than in a guard, because guards run before dependencies and finding
the key's user needs the platform, which is a dependency.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from voiceqr.application.accounts.policy import Client
from voiceqr.application.accounts.view_as import SignedIn
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Permission, Role, can
from voiceqr.domain.compliance.documents import TermsNotAccepted
from voiceqr.domain.shared.errors import PermissionDenied
from voiceqr.entrypoints.http.kit.problems import accept_terms_first
from voiceqr.entrypoints.http.kit.views import ZONE_COOKIE, reader_zone

SESSION_COOKIE = "voiceqr_session"
SESSION_STATE_KEY = "voiceqr_session"
API_KEY_STATE_KEY = "voiceqr_api_key"
API_KEY_SCOPES = "api_key_scopes"  # route opt: {HTTP method: Scope an API key needs}
# Route opt of the few signed-in routes open before a material new version of the
# terms or privacy policy is accepted: the acceptance page itself.
BEFORE_ACCEPTING = "open_before_accepting_terms"


def _trusted(address: str, platform: Platform) -> bool:
    return _is_trusted(address, platform.settings.auth.trusted_proxies)


@functools.lru_cache(maxsize=4096)  # every request asks about its peer: mostly the proxies
def _is_trusted(address: str, proxies: str) -> bool:
    """Whether `address` is in one of `proxies` (the setting's comma-separated text, so
    the answer is remembered without parsing the setting on every request)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(proxies))


@functools.lru_cache(maxsize=8)
def _networks(proxies: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    names = (p.strip() for p in proxies.split(","))
    return tuple(ipaddress.ip_network(name, strict=False) for name in names if name)


def client_address(request: Request[Any, Any, Any], platform: Platform) -> str:
    """The real client address: X-Forwarded-For is believed only from trusted proxies.

    Walks the chain from the right and stops at the first address that is not a
    trusted proxy, so a client cannot choose its own address by sending the header.
    """
    client = request.scope.get("client")
    return _address(client[0] if client else "", request.headers, platform)


def _address(peer: str, headers: Mapping[str, str], platform: Platform) -> str:
    if not _trusted(peer, platform):
        return peer
    forwarded = [a.strip() for a in headers.get("x-forwarded-for", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _trusted(address, platform):
            return address
    return peer


def client_of(request: Request[Any, Any, Any], platform: Platform) -> Client:
    # Every scan asks: the headers and the peer are read from the request once.
    headers = request.headers
    client = request.scope.get("client")
    peer = client[0] if client else ""
    ip = _address(peer, headers, platform)
    country = ""
    header = platform.settings.auth.country_header
    if header and _trusted(peer, platform):
        # A CDN in front of us knows better than an offline database.
        country = headers.get(header, "").strip().upper()[:2]
    if not (len(country) == 2 and country.isalpha()):
        country = platform.country(ip)
    return Client(ip=ip, user_agent=headers.get("user-agent", "")[:500], country=country)


async def _resolve(request: Request[Any, Any, Any], platform: Platform) -> SignedIn | None:
    if SESSION_STATE_KEY in request.state:
        found: SignedIn | None = request.state[SESSION_STATE_KEY]
        return found
    token = request.cookies.get(SESSION_COOKIE)
    found = await platform.accounts.accounts.signed_in(token) if token else None
    request.state[SESSION_STATE_KEY] = found
    return found


def signed_in(request: Request[Any, Any, Any]) -> SignedIn | None:
    """The request's session as resolved already (the layout's banners); no lookup."""
    found: SignedIn | None = request.state.get(SESSION_STATE_KEY)
    return found


# While staff view as a user, these still work: stopping the view, and signing out.
STOP_VIEWING_PATH = "/view-as/stop"
_ALLOWED_WHILE_VIEWING = frozenset({STOP_VIEWING_PATH, "/signout", "/api/v1/auth/logout"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def read_only_while_viewing(platform: Platform) -> Callable[[Request[Any, Any, Any]], Any]:
    """An app-wide hook: while staff view as a user, every change is refused (403),
    pages and API alike, whatever the route; only stopping and signing out work.

    It looks the session up only for a change sent with a session cookie, which the
    route would look up anyway; reads and anonymous requests cost nothing more.
    """

    async def refuse_changes(request: Request[Any, Any, Any]) -> None:
        if request.method in _SAFE_METHODS or request.url.path in _ALLOWED_WHILE_VIEWING:
            return
        if SESSION_COOKIE not in request.headers.get("cookie", ""):
            return
        if _bearer_token(request) is not None:
            return  # an API key acts as its own account, never through the session's view
        found = await _resolve(request, platform)
        if found is not None and found.read_only:
            raise PermissionDenied(
                f"Nothing can be changed: read-only while viewing as {found.user.name}. "
                "Stop viewing to act as yourself again.",
                code="viewing_read_only",
            )

    return refuse_changes


def api_key_scopes(**by_method: Scope) -> dict[str, Any]:
    """Route `opt` that lets API keys in, with the scope each HTTP method needs.

    On a controller: `opt = api_key_scopes(GET=Scope.READ, POST=Scope.GENERATE)`.
    Routes without it serve the browser session only: an API key gets 403.
    """
    return {API_KEY_SCOPES: {method.upper(): scope for method, scope in by_method.items()}}


def _bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The bearer token of an API request, if it sent one.

    Web pages ignore the header (they use the cookie and CSRF tokens), and so does
    the API for other schemes (a proxy's Basic auth is not ours to judge).
    """
    if not request.url.path.startswith("/api/"):
        return None
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def _api_key(
    request: Request[Any, Any, Any], platform: Platform
) -> tuple[User, frozenset[Scope]] | None:
    """The user and scopes of the request's API key; None without one, 401 for a bad one."""
    if API_KEY_STATE_KEY in request.state:
        found: tuple[User, frozenset[Scope]] | None = request.state[API_KEY_STATE_KEY]
        return found
    token = _bearer_token(request)
    found = None if token is None else await platform.accounts.api_keys.authenticate(token)
    request.state[API_KEY_STATE_KEY] = found
    return found


def _require_scope(request: Request[Any, Any, Any], scopes: frozenset[Scope]) -> None:
    by_method: dict[str, Scope] = request.route_handler.opt.get(API_KEY_SCOPES, {})
    method = "GET" if request.method == "HEAD" else request.method
    needed = by_method.get(method)
    if needed is None:
        raise PermissionDenied(
            "API keys cannot do this; sign in to the website instead.", code="api_key_not_allowed"
        )
    if needed not in scopes:
        raise PermissionDenied(
            f"This API key does not have the {needed} scope.", code="api_key_scope_missing"
        )


async def _caller(
    request: Request[Any, Any, Any], platform: Platform
) -> tuple[User, frozenset[Scope] | None] | None:
    """The user, and the API key's scopes (None when signed in with the cookie)."""
    by_key = await _api_key(request, platform)
    if by_key is not None:
        _require_scope(request, by_key[1])
        return by_key
    found = await _resolve(request, platform)
    return None if found is None else (found.user, None)


async def _signed_in_caller(
    request: Request[Any, Any, Any], platform: Platform
) -> tuple[User, frozenset[Scope] | None]:
    """`_caller`, or 401 for a visitor; 403 `terms_not_accepted` for a browser session
    that has a material new version of the terms or privacy policy to accept (pages
    turn it into the acceptance page). API keys are not stopped: a script cannot
    accept anything, and its owner is asked at their next sign-in."""
    found = await _caller(request, platform)
    if found is None:
        raise NotAuthorizedException("Sign in first.")
    user, key_scopes = found
    if (
        key_scopes is None
        and not request.route_handler.opt.get(BEFORE_ACCEPTING)
        and await platform.compliance.acceptances.still_to_accept(user.id)
    ):
        raise TermsNotAccepted()
    return found


async def session_user(request: Request[Any, Any, Any], platform: Platform) -> User | None:
    """The user of the request's session cookie; nothing is looked up for a request
    without one (almost every visitor of a public page)."""
    if SESSION_COOKIE not in request.headers.get("cookie", ""):
        return None
    found = await _resolve(request, platform)
    return None if found is None else found.user


async def _count_notices(
    request: Request[Any, Any, Any], platform: Platform, user: User, scopes: object
) -> None:
    """The unread notices of a signed-in page's user, for the count in the navigation
    (one indexed count), and the time zone its times are shown in (one read of the
    preferences); none for the API, an API key, or a form's POST."""
    if scopes is None and request.method == "GET" and not request.url.path.startswith("/api/"):
        request.state.unread_notices = await platform.mail.notices.unread_count(user)
        chosen = (await platform.profile.get(user)).time_zone
        request.state.zone = reader_zone(chosen, request.cookies.get(ZONE_COOKIE))
        # Only then does the browser's zone matter: the layout asks the browser for it.
        request.state.ask_browser_zone = not chosen


async def optional_user(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> User | None:
    found = await _caller(request, platform)
    if found is None:
        return None
    await _count_notices(request, platform, *found)
    return found[0]


async def current_user(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> User:
    user, scopes = await _signed_in_caller(request, platform)
    await _count_notices(request, platform, user, scopes)
    return user


async def current_session(
    request: Request[Any, Any, Any],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Session:
    """The cookie session itself (sessions page, re-authentication); API keys get 403.

    It takes `user` so the two are resolved one after the other, not side by side: a
    refused one then never interrupts the other in the middle of a database call.
    """
    del user  # resolved (and cached on the request) first; only the order matters
    if await _api_key(request, platform) is not None:
        raise PermissionDenied(
            "API keys cannot do this; sign in to the website instead.", code="api_key_not_allowed"
        )
    found = await _resolve(request, platform)
    if found is None:
        raise NotAuthorizedException("Sign in first.")
    return found.session


def staff(*permissions: Permission) -> Provide:
    """A router-level dependency: the signed-in staff member who holds one of
    `permissions` (an API key also needs the admin scope). Others get 401 or 403; the
    use cases behind the routes still ask for the exact permission of each action."""

    async def staff_member(
        request: Request[Any, Any, Any], platform: NamedDependency[Platform]
    ) -> User:
        user, key_scopes = await _signed_in_caller(request, platform)
        viewing = signed_in(request) if key_scopes is None else None
        if viewing is not None and viewing.read_only:
            # The backoffice acts as the staff member, never as the viewed user; and a
            # view stays read-only: so it is closed until the view is stopped.
            raise PermissionDenied(
                f"You are viewing the site as {user.name}; stop viewing to use the backoffice.",
                code="viewing_read_only",
            )
        if not any(can(user, permission) for permission in permissions):
            if user.role is Role.USER:
                raise PermissionDeniedException("Only administrators can do this.")
            raise PermissionDeniedException(f"The {user.role} role cannot open this.")
        if key_scopes is not None and Scope.ADMIN not in key_scopes:
            raise PermissionDenied(
                "This API key does not have the admin scope.", code="api_key_scope_missing"
            )
        return user

    return Provide(staff_member)


def private_cookie(
    platform: Platform, key: str, value: str, *, path: str = "/", max_age: int | None
) -> Cookie:
    """A cookie scripts cannot read: HttpOnly, SameSite=Lax (it still comes back with a
    top-level redirect from another site), Secure outside development."""
    return Cookie(
        key=key,
        value=value,
        httponly=True,
        samesite="lax",
        secure=platform.settings.env == "production",
        path=path,
        max_age=max_age,
    )


def session_cookie(platform: Platform, token: str, *, remember_me: bool) -> Cookie:
    """A browser-session cookie unless "remember me" was ticked."""
    days = platform.settings.sessions.remember_days
    return private_cookie(
        platform, SESSION_COOKIE, token, max_age=days * 86400 if remember_me else None
    )


def cleared_session_cookie(platform: Platform) -> Cookie:
    return private_cookie(platform, SESSION_COOKIE, "", max_age=0)


async def after_sign_in(platform: Platform, user: User, target: str) -> str:
    """Where a fresh sign-in lands: `target`, unless the account is on its way out; then
    the profile, whose banner says when it goes and offers "Keep my account". Before
    either, a material new version of the terms or privacy policy to accept."""
    if await platform.compliance.acceptances.still_to_accept(user.id):
        return accept_terms_first(target)
    if await platform.account_deletions.pending(user.id) is not None:
        return "/profile#delete-account"
    return target
