"""The OpenID providers the sign-in tests start on this machine.

- `MockProvider`: `oidc-provider-mock`, a real OpenID Connect provider in a thread: the
  tests choose who signs in (the subject) and what it claims (email, email_verified,
  tid, ...);
- `ForgingProvider`, a small provider whose ID tokens the tests write themselves, to
  send what a real provider never should: a token signed with a key it does not
  publish, for another audience, expired, for another nonce or from another issuer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwk, jwt

GOOGLE_CLIENT = "voiceqr-google-client"
MICROSOFT_CLIENT = "voiceqr-microsoft-client"
FORGED_CLIENT = "voiceqr-forged-client"
CLIENT_SECRET = "s3cret/with+odd=chars"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- the mock provider ---------------------------------------------------------------


@dataclass
class MockProvider:
    base: str

    def set_user(self, sub: str, **claims: Any) -> None:
        response = httpx.put(f"{self.base}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def authorize(self, authorization_url: str, *, sub: str | None = None) -> str:
        """Sign in as `sub` (or deny, without one) on the provider's page; the redirect."""
        form = {"sub": sub} if sub is not None else {"action": "deny"}
        response = httpx.post(authorization_url, data=form, timeout=5)
        assert response.status_code == 302, response.text
        return str(response.headers["location"])


# --- the forging provider ----------------------------------------------------------


@dataclass
class Grant:
    id_token: str
    challenge: str


class ForgingProvider:
    """Discovery, a key set and a token endpoint; the tests write the ID tokens.

    Discovery under `/common/v2.0` names Microsoft's multi-tenant issuer template.
    The token endpoint takes the secret in the form (client_secret_post) and checks
    the PKCE verifier against the challenge of the authorization URL.
    """

    def __init__(self) -> None:
        self.trusted = jwk.RSAKey.generate_key(2048, parameters={"kid": "trusted-1"})
        self.stranger = jwk.RSAKey.generate_key(2048, parameters={"kid": "stranger"})
        self.grants: dict[str, Grant] = {}
        self.discovery_requests = 0
        self.jwks_requests = 0
        self.token_forms: list[dict[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ForgingProvider:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def grant(self, claims: dict[str, Any], *, challenge: str, key: jwk.Key | None = None) -> str:
        """A code whose token carries `claims`, signed with `key` (the trusted one)."""
        signer = key or self.trusted
        token = jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer)
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(token, challenge)
        return code

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path.endswith("/.well-known/openid-configuration"):
                    provider.discovery_requests += 1
                    prefix = path.removesuffix("/.well-known/openid-configuration")
                    issuer = provider.base + (
                        "/{tenantid}/v2.0" if prefix == "/common/v2.0" else prefix
                    )
                    self._json(
                        200,
                        {
                            "issuer": issuer,
                            "authorization_endpoint": f"{provider.base}/authorize",
                            "token_endpoint": f"{provider.base}/token",
                            "jwks_uri": f"{provider.base}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "token_endpoint_auth_methods_supported": ["client_secret_post"],
                        },
                    )
                elif path == "/jwks":
                    provider.jwks_requests += 1
                    self._json(200, {"keys": [provider.trusted.as_dict(private=False)]})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_forms.append(form)
                grant = provider.grants.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if form.get("client_secret") != CLIENT_SECRET:
                    self._json(401, {"error": "invalid_client"})
                elif grant is None or grant.challenge != challenge:
                    self._json(400, {"error": "invalid_grant"})
                else:
                    self._json(
                        200,
                        {"access_token": "x", "token_type": "Bearer", "id_token": grant.id_token},
                    )

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
