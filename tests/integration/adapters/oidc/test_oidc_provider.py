"""The OpenID Connect adapter on its own, against the forging provider the tests start
(Microsoft's tenants, key rotation, an unreachable provider), and where used sign-in
states are remembered (one-time keys in Redis and in memory).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import pytest
from joserfc import jwk
from redis.asyncio import Redis

from tests.conftest import free_port
from tests.integration.oidc_providers import (
    CLIENT_SECRET,
    FORGED_CLIENT,
    GOOGLE_CLIENT,
    MICROSOFT_CLIENT,
    TENANT,
    ForgingProvider,
    query,
)
from voiceqr.adapters.memory.one_time_keys import MemoryOneTimeKeys
from voiceqr.adapters.oidc import OpenIdConnectProvider
from voiceqr.adapters.redis.one_time_keys import RedisOneTimeKeys
from voiceqr.domain.shared.errors import AuthenticationFailed, ErrorCategory, ExternalServiceError

pytestmark = pytest.mark.asyncio(loop_scope="module")


# --- the adapter on its own: Microsoft's tenants, key rotation ---------------------


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def adapter_round(
    provider: OpenIdConnectProvider, forger: ForgingProvider, **claims: Any
) -> dict[str, object]:
    verifier = secrets.token_urlsafe(48)
    url = await provider.authorization_url(
        redirect_uri="http://127.0.0.1:8000/cb", state="s", nonce="n", code_verifier=verifier
    )
    now = int(time.time())
    code = forger.grant(
        {"aud": provider.client_id, "sub": "s1", "iat": now, "exp": now + 300, "nonce": "n"}
        | claims,
        challenge=query(url)["code_challenge"],
    )
    return await provider.verified_claims(
        code=code, redirect_uri="http://127.0.0.1:8000/cb", code_verifier=verifier, nonce="n"
    )


async def test_microsofts_multi_tenant_issuer_is_filled_with_the_tokens_tenant(
    forger: ForgingProvider,
) -> None:
    provider = OpenIdConnectProvider(
        name="microsoft",
        label="Microsoft",
        issuer=f"{forger.base}/common/v2.0",
        client_id=MICROSOFT_CLIENT,
        client_secret=CLIENT_SECRET,
    )
    try:
        claims = await adapter_round(
            provider, forger, iss=f"{forger.base}/{TENANT}/v2.0", tid=TENANT
        )
        assert claims["tid"] == TENANT

        other = "72f988bf-86f1-41af-91ab-2d7cd011db47"
        for wrong in (
            {"iss": f"{forger.base}/{other}/v2.0", "tid": TENANT},  # tid and iss disagree
            {"iss": f"{forger.base}/{TENANT}/v2.0"},  # no tid
            {"iss": f"{forger.base}/{{tenantid}}/v2.0", "tid": "{tenantid}"},  # the template
        ):
            with pytest.raises(AuthenticationFailed) as refused:
                await adapter_round(provider, forger, **wrong)
            assert refused.value.code == "oidc_wrong_issuer"
    finally:
        await provider.aclose()


async def test_a_rotated_key_is_fetched_when_a_token_names_it(forger: ForgingProvider) -> None:
    clock = Clock()
    provider = OpenIdConnectProvider(
        name="google",
        label="Google",
        issuer=forger.base,
        client_id=FORGED_CLIENT,
        client_secret=CLIENT_SECRET,
        clock=clock,
    )
    old = forger.trusted
    try:
        await adapter_round(provider, forger, iss=forger.base)
        forger.trusted = jwk.RSAKey.generate_key(2048, parameters={"kid": "trusted-2"})
        clock.now += 60  # past the minimum interval between fetches
        fetched = forger.jwks_requests
        await adapter_round(provider, forger, iss=forger.base)
        assert forger.jwks_requests == fetched + 1
    finally:
        forger.trusted = old
        await provider.aclose()


async def test_an_unreachable_provider_is_a_provider_error() -> None:
    provider = OpenIdConnectProvider(
        name="google",
        label="Google",
        issuer=f"http://127.0.0.1:{free_port()}",
        client_id=GOOGLE_CLIENT,
        client_secret=CLIENT_SECRET,
    )
    try:
        with pytest.raises(ExternalServiceError) as down:
            await provider.authorization_url(
                redirect_uri="http://127.0.0.1:8000/cb", state="s", nonce="n", code_verifier="v"
            )
    finally:
        await provider.aclose()
    assert (down.value.category, down.value.code) == (ErrorCategory.PROVIDER, "oidc_unavailable")
    assert down.value.message == "Google sign-in is not available right now; try again in a moment."


# --- where used states are remembered ----------------------------------------------


@pytest.mark.redis
async def test_one_time_keys_in_redis_are_used_once_until_they_expire(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    keys = RedisOneTimeKeys(client, prefix=f"test-once-{secrets.token_hex(4)}")
    try:
        assert await keys.use("state-1", ttl_seconds=1)
        assert not await keys.use("state-1", ttl_seconds=1)
        assert await keys.use("state-2", ttl_seconds=1)
        await asyncio.sleep(1.2)
        assert await keys.use("state-1", ttl_seconds=1)
    finally:
        await client.aclose()


async def test_one_time_keys_in_memory_are_used_once_until_they_expire() -> None:
    clock = Clock()
    keys = MemoryOneTimeKeys(clock)
    assert await keys.use("state-1", ttl_seconds=600)
    assert not await keys.use("state-1", ttl_seconds=600)
    assert await keys.use("state-2", ttl_seconds=600)
    clock.now += 601
    assert await keys.use("state-1", ttl_seconds=600)
