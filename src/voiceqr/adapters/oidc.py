"""OpenID Connect providers (Google, Microsoft) over httpx; ID tokens checked with joserfc.

One `OpenIdConnectProvider` per configured provider. It reads the provider's
discovery document (cached), builds the authorization URL (code flow, PKCE S256),
exchanges the code at the token endpoint and verifies the ID token: the signature
against the published key set (cached, fetched again for an unknown key id), the
issuer, the audience, the expiry and the nonce.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeGuard
from urllib.parse import quote, urlencode

import httpx
from joserfc import jwk, jwt
from joserfc.errors import BadSignatureError, JoseError

from voiceqr.domain.shared.errors import AuthenticationFailed, ErrorCategory, ExternalServiceError

SCOPE: Final = "openid email profile"
# Asymmetric algorithms only: "none" and the HMAC family (keyed with the client secret)
# are never accepted, whatever a token's header says.
SIGNING_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
DISCOVERY_TTL: Final = 24 * 3600.0
JWKS_TTL: Final = 24 * 3600.0
JWKS_MIN_REFETCH: Final = 30.0  # an unknown key id refetches at most this often
TENANT_TEMPLATE: Final = "{tenantid}"
_TENANT_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_DETAIL_LIMIT: Final = 500


@dataclass(frozen=True, slots=True)
class _Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: frozenset[str]
    auth_methods: tuple[str, ...]
    fetched_at: float


class OpenIdConnectProvider:
    """`OpenIdProvider` for any standard provider; Microsoft's multi-tenant issuer too.

    `issuer` is the configured issuer; its discovery document must name the same
    issuer, except Microsoft's multi-tenant endpoints (`common`, `organizations`),
    whose document names `https://login.microsoftonline.com/{tenantid}/v2.0`: a
    token is then accepted when its `iss` is that template filled with its `tid`.
    """

    def __init__(
        self,
        *,
        name: str,
        label: str,
        issuer: str,
        client_id: str,
        client_secret: str,
        timeout: float = 10.0,
        leeway_seconds: int = 60,
        clock: Callable[[], float] = time.time,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.name = name
        self.label = label
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._leeway = leeway_seconds
        self._clock = clock
        self._owns_client = client is None
        self._http = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), headers={"Accept": "application/json"}
        )
        self._discovery: _Discovery | None = None
        self._keys: list[jwk.Key] = []
        self._keys_fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    # --- the two steps of a sign-in -------------------------------------------------

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        discovery = await self._discover()
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": _b64(hashlib.sha256(code_verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
        endpoint = discovery.authorization_endpoint
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"

    async def verified_claims(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> dict[str, object]:
        discovery = await self._discover()
        id_token = await self._exchange(discovery, code, redirect_uri, code_verifier)
        claims = await self._verify_signature(discovery, id_token)
        self._check_claims(discovery, claims, nonce)
        return claims

    # --- discovery and keys ---------------------------------------------------------

    async def _discover(self) -> _Discovery:
        cached = self._discovery
        if cached is not None and self._clock() - cached.fetched_at < DISCOVERY_TTL:
            return cached
        async with self._lock:
            cached = self._discovery
            if cached is not None and self._clock() - cached.fetched_at < DISCOVERY_TTL:
                return cached
            document = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            self._discovery = self._read_discovery(document)
            return self._discovery

    def _read_discovery(self, document: dict[str, Any]) -> _Discovery:
        fields = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        missing = [f for f in fields if not isinstance(document.get(f), str) or not document[f]]
        if missing:
            raise self._unavailable(f"discovery document lacks {', '.join(missing)}")
        issuer = str(document["issuer"]).rstrip("/")
        if issuer != self.issuer and TENANT_TEMPLATE not in issuer:
            raise self._unavailable(
                f"discovery names issuer {issuer!r}, the settings say {self.issuer!r}"
            )
        algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        return _Discovery(
            issuer=issuer,
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            algorithms=frozenset(str(a) for a in algorithms) & SIGNING_ALGORITHMS,
            auth_methods=tuple(str(m) for m in methods),
            fetched_at=self._clock(),
        )

    async def _key_for(self, discovery: _Discovery, kid: str | None, alg: str) -> jwk.Key | None:
        stale = self._keys_fetched_at is None or self._clock() - self._keys_fetched_at > JWKS_TTL
        if stale:
            await self._fetch_keys(discovery)
        key = self._pick(kid, alg)
        if key is None and (
            self._keys_fetched_at is None
            or self._clock() - self._keys_fetched_at >= JWKS_MIN_REFETCH
        ):
            # Providers rotate keys: a new key id means fetching the set again, once.
            await self._fetch_keys(discovery)
            key = self._pick(kid, alg)
        return key

    async def _fetch_keys(self, discovery: _Discovery) -> None:
        async with self._lock:
            document = await self._get_json(discovery.jwks_uri)
            keys: list[jwk.Key] = []
            for entry in document.get("keys") or []:
                if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                    continue
                try:
                    keys.append(jwk.import_key(entry))
                except (JoseError, ValueError, TypeError):
                    continue  # a key type we cannot use is not one that signed our token
            self._keys = keys
            self._keys_fetched_at = self._clock()

    def _pick(self, kid: str | None, alg: str) -> jwk.Key | None:
        candidates = [k for k in self._keys if k.get("alg") in (None, alg)]
        if kid is not None:
            matching = [k for k in candidates if k.kid == kid]
            return matching[0] if matching else None
        return candidates[0] if len(candidates) == 1 else None  # no key id: only if unambiguous

    # --- the token endpoint ---------------------------------------------------------

    async def _exchange(
        self, discovery: _Discovery, code: str, redirect_uri: str, code_verifier: str
    ) -> str:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        auth = httpx.Auth()  # the base class sends the request as it is
        if "client_secret_basic" in discovery.auth_methods:
            # RFC 6749 2.3.1: the id and secret are form-encoded before Basic encoding.
            auth = httpx.BasicAuth(
                quote(self.client_id, safe=""), quote(self._client_secret, safe="")
            )
        else:
            form |= {"client_id": self.client_id, "client_secret": self._client_secret}
        try:
            response = await self._http.post(discovery.token_endpoint, data=form, auth=auth)
        except httpx.HTTPError as exc:
            raise self._unavailable(f"token endpoint: {type(exc).__name__}: {exc}") from exc
        body = _json_object(response)
        if response.status_code in (400, 401):
            error = str(body.get("error", "")) if body else ""
            raise self._refused(
                f"{self.label} did not accept the sign-in (the code may be used or expired).",
                code="oidc_code_rejected",
                detail=f"token endpoint {response.status_code}: {error} "
                f"{body.get('error_description', '') if body else response.text[:_DETAIL_LIMIT]}",
            )
        if response.status_code != 200 or body is None:
            raise self._unavailable(
                f"token endpoint {response.status_code}: {response.text[:_DETAIL_LIMIT]}"
            )
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise self._refused(
                f"{self.label} sent no ID token.", code="oidc_bad_token", detail="no id_token"
            )
        return id_token

    # --- the ID token ---------------------------------------------------------------

    async def _verify_signature(self, discovery: _Discovery, id_token: str) -> dict[str, object]:
        header = _header(id_token)
        alg = header.get("alg") if header else None
        if not isinstance(alg, str) or alg not in discovery.algorithms:
            raise self._refused(
                f"{self.label}'s ID token is signed in a way we do not accept.",
                code="oidc_bad_signature",
                detail=f"alg {alg!r}; accepted {sorted(discovery.algorithms)}",
            )
        kid = header.get("kid") if header else None
        key = await self._key_for(discovery, kid if isinstance(kid, str) else None, alg)
        if key is None:
            raise self._refused(
                f"{self.label}'s ID token is signed with a key {self.label} does not publish.",
                code="oidc_bad_signature",
                detail=f"no published key for kid {kid!r}",
            )
        try:
            token = jwt.decode(id_token, key, algorithms=[alg])
        except BadSignatureError as exc:
            raise self._refused(
                f"{self.label}'s ID token has a signature that does not verify.",
                code="oidc_bad_signature",
                detail=f"{type(exc).__name__}: {exc}",
            ) from exc
        except (JoseError, ValueError) as exc:
            raise self._refused(
                f"{self.label}'s ID token cannot be read.",
                code="oidc_bad_token",
                detail=f"{type(exc).__name__}: {exc}",
            ) from exc
        return dict(token.claims)

    def _check_claims(self, discovery: _Discovery, claims: dict[str, object], nonce: str) -> None:
        now = self._clock()
        expected_issuer = self._expected_issuer(discovery, claims)
        if claims.get("iss") != expected_issuer:
            raise self._refused(
                f"{self.label}'s ID token was issued by someone else.",
                code="oidc_wrong_issuer",
                detail=f"iss {claims.get('iss')!r}, expected {expected_issuer!r}",
            )
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.client_id not in audiences:
            raise self._refused(
                f"{self.label}'s ID token was issued for another application.",
                code="oidc_wrong_audience",
                detail=f"aud {audience!r}, expected {self.client_id!r}",
            )
        azp = claims.get("azp")
        if azp is not None and azp != self.client_id:
            raise self._refused(
                f"{self.label}'s ID token was issued for another application.",
                code="oidc_wrong_audience",
                detail=f"azp {azp!r}, expected {self.client_id!r}",
            )
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
        if not _number(exp) or now > exp + self._leeway:
            raise self._refused(
                f"{self.label}'s ID token has expired; check this computer's clock.",
                code="oidc_token_expired",
                detail=f"exp {exp!r}, now {int(now)}",
            )
        if (
            not _number(iat)
            or iat > now + self._leeway
            or (_number(nbf) and nbf > now + self._leeway)
        ):
            raise self._refused(
                f"{self.label}'s ID token is dated in the future; check this computer's clock.",
                code="oidc_bad_token",
                detail=f"iat {iat!r}, nbf {nbf!r}, now {int(now)}",
            )
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
            raise self._refused(
                f"{self.label}'s ID token belongs to another sign-in attempt.",
                code="oidc_wrong_nonce",
                detail="nonce mismatch",
            )
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise self._refused(
                f"{self.label}'s ID token names nobody.", code="oidc_bad_token", detail="no sub"
            )

    def _expected_issuer(self, discovery: _Discovery, claims: dict[str, object]) -> str | None:
        if TENANT_TEMPLATE not in discovery.issuer:
            return discovery.issuer
        tenant = claims.get("tid")
        if not isinstance(tenant, str) or not _TENANT_ID.match(tenant):
            return None  # no tenant, no issuer: the comparison fails
        return discovery.issuer.replace(TENANT_TEMPLATE, tenant)

    # --- helpers ----------------------------------------------------------------------

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url)
        except httpx.HTTPError as exc:
            raise self._unavailable(f"GET {url}: {type(exc).__name__}: {exc}") from exc
        body = _json_object(response)
        if response.status_code != 200 or body is None:
            raise self._unavailable(
                f"GET {url}: {response.status_code} {response.text[:_DETAIL_LIMIT]}"
            )
        return body

    def _unavailable(self, detail: str) -> ExternalServiceError:
        return ExternalServiceError(
            f"{self.label} sign-in is not available right now; try again in a moment.",
            category=ErrorCategory.PROVIDER,
            code="oidc_unavailable",
            retryable=True,
            detail=detail[:_DETAIL_LIMIT],
        )

    def _refused(self, why: str, *, code: str, detail: str) -> AuthenticationFailed:
        return AuthenticationFailed(
            f"{why} Nothing was changed; start again.", code=code, detail=detail[:_DETAIL_LIMIT]
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _header(token: str) -> dict[str, Any] | None:
    """The JOSE header of a compact token, unverified (to pick the key)."""
    first = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    except ValueError:
        return None
    return header if isinstance(header, dict) else None


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
