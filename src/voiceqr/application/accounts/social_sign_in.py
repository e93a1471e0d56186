"""Sign-in with Google and Microsoft (A5): OpenID Connect, authorization code + PKCE.

`start` sends the browser to the provider with a fresh state, nonce and PKCE verifier,
kept in a record the browser carries back in a cookie: sealed with an HMAC so nobody
can forge or alter it, expiring after 10 minutes, and usable once. `callback` then
signs in: a known identity signs into its account; a new identity with a verified
email nobody uses gets a new, verified account. A new identity whose verified email
already has an account is never linked by that email alone (Microsoft's unverified
`email` claim is a known takeover route): the person must type that account's
password first (`confirm_link`).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from uuid import UUID

from voiceqr.application.accounts.accounts import Accounts
from voiceqr.application.accounts.held_sign_ins import (
    HeldSignIns,
    SecondFactorPending,
    SocialSignedIn,
)
from voiceqr.application.accounts.policy import Client
from voiceqr.application.accounts.ports import AccountsUnitOfWork, OneTimeKeys, OpenIdProvider
from voiceqr.application.accounts.sealed_records import (
    SealedRecords,
    lifetime_seconds,
    random_token,
)
from voiceqr.application.accounts.social_claims import ProviderIdentity, identity_from_claims
from voiceqr.application.compliance.acceptances import accept_live_documents
from voiceqr.application.mail.notifications import Notifications
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.compliance.documents import AcceptanceWay
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    ErrorCategory,
    ExternalServiceError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)
LINK_LIFETIME = timedelta(minutes=10)
_VERIFIER_BYTES = 48  # a 64-character PKCE verifier (RFC 7636 allows 43 to 128)
_STATE = "oidc-state"
_LINK = "oidc-link"


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    """A configured provider, as the sign-in page offers it."""

    name: str
    label: str


@dataclass(frozen=True, slots=True)
class StartedSignIn:
    """Where to send the browser, and the sealed record it must bring back."""

    url: str
    sealed_state: str
    max_age_seconds: int


@dataclass(frozen=True, slots=True)
class LinkRequired:
    """The provider's verified email belongs to an account: its password must come first."""

    sealed_link: str
    max_age_seconds: int
    email: str
    provider_label: str
    next: str


@dataclass(frozen=True, slots=True)
class PendingLink:
    """What a link page shows: which account, and which provider wants to join it."""

    email: str
    provider_label: str
    next: str


@dataclass(frozen=True, slots=True)
class _StateRecord:
    id: str
    provider: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    remember_me: bool
    next: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class _LinkRecord:
    id: str
    provider: str
    subject: str
    email: str
    user_id: str
    remember_me: bool
    next: str
    expires_at: float


class SocialSignIn:
    """Sign-in with the configured OpenID Connect providers (A5)."""

    def __init__(
        self,
        *,
        providers: Mapping[str, OpenIdProvider],
        accounts: Accounts,
        uow: Callable[[], AccountsUnitOfWork],
        one_time_keys: OneTimeKeys,
        notifications: Notifications,
        clock: Callable[[], datetime],
        sealed_records: SealedRecords,
        held_sign_ins: HeldSignIns,
    ) -> None:
        self._providers = dict(providers)
        self._accounts = accounts
        self._uow = uow
        self._once = one_time_keys
        self._mail = notifications
        self._clock = clock
        self._sealed = sealed_records
        self._held = held_sign_ins

    @property
    def providers(self) -> list[ProviderChoice]:
        """The configured providers (a provider is off while its client id is empty)."""
        return [ProviderChoice(p.name, p.label) for p in self._providers.values()]

    def is_enabled(self, provider: str) -> bool:
        return provider in self._providers

    # --- the round trip to the provider ---------------------------------------------

    async def start(
        self, provider: str, *, redirect_uri: str, remember_me: bool, next: str
    ) -> StartedSignIn:
        """The provider's authorization URL and the sealed state record for a cookie."""
        openid = self._provider(provider)
        record = _StateRecord(
            id=random_token(),
            provider=provider,
            state=random_token(),
            nonce=random_token(),
            code_verifier=secrets.token_urlsafe(_VERIFIER_BYTES),
            redirect_uri=redirect_uri,
            remember_me=remember_me,
            next=next,
            expires_at=(self._clock() + STATE_LIFETIME).timestamp(),
        )
        url = await openid.authorization_url(
            redirect_uri=redirect_uri,
            state=record.state,
            nonce=record.nonce,
            code_verifier=record.code_verifier,
        )
        return StartedSignIn(
            url=url,
            sealed_state=self._sealed.seal(_STATE, asdict(record)),
            max_age_seconds=int(STATE_LIFETIME.total_seconds()),
        )

    async def callback(
        self,
        provider: str,
        *,
        sealed_state: str,
        state: str,
        code: str,
        client: Client,
        error: str | None = None,
        error_description: str | None = None,
    ) -> SocialSignedIn | LinkRequired | SecondFactorPending:
        """Finish a sign-in the provider sent back: sign in, create an account, ask for
        the existing account's password (`LinkRequired`), or for its 2FA code."""
        openid = self._provider(provider)
        if error:
            raise _provider_said_no(openid, error, error_description)
        record = self._open_state(sealed_state, provider, state)
        if not await self._once.use(
            f"{_STATE}:{record.id}", ttl_seconds=lifetime_seconds(STATE_LIFETIME)
        ):
            raise AuthenticationFailed(
                "This sign-in answer was used already; start again.", code="oidc_state_replayed"
            )
        if not code:
            raise ValidationError(
                f"{openid.label} sent no sign-in code; start again.", code="oidc_code_missing"
            )
        claims = await openid.verified_claims(
            code=code,
            redirect_uri=record.redirect_uri,
            code_verifier=record.code_verifier,
            nonce=record.nonce,
        )
        identity = identity_from_claims(provider, claims)
        async with self._uow() as uow:
            linked = await uow.social_identities.get(provider, identity.subject)
            user = await uow.users.get(linked.user_id) if linked else None
            owner = None
            if linked is None and identity.email is not None:
                owner = await uow.users.get_by_email(identity.email)
        if linked is not None:
            if user is None:
                raise NotFound("The account of this sign-in is gone.", code="user_not_found")
            return await self._sign_in(user, provider, record, client)
        if identity.email is None:
            await self._record_failure(
                str(claims.get("email", ""))[:254], None, provider, "email_unverified", client
            )
            raise AuthenticationFailed(
                f"{openid.label} did not confirm that the email address is yours, so it cannot "
                "open a voiceqr account. Sign up with your email and a password instead.",
                code="oidc_email_unverified",
            )
        if owner is not None:
            link = _LinkRecord(
                id=random_token(),
                provider=provider,
                subject=identity.subject,
                email=identity.email,
                user_id=str(owner.id),
                remember_me=record.remember_me,
                next=record.next,
                expires_at=(self._clock() + LINK_LIFETIME).timestamp(),
            )
            return LinkRequired(
                sealed_link=self._sealed.seal(_LINK, asdict(link)),
                max_age_seconds=lifetime_seconds(LINK_LIFETIME),
                email=owner.email,
                provider_label=openid.label,
                next=record.next,
            )
        user = await self._create_account(provider, identity)
        signed = await self._sign_in(user, provider, record, client)
        assert isinstance(signed, SocialSignedIn)  # a new account has no 2FA yet
        return SocialSignedIn(signed.sign_in, signed.next, signed.remember_me, created_account=True)

    # --- linking to an existing account -------------------------------------------

    def pending_link(self, sealed_link: str) -> PendingLink:
        """What the link page shows; raises when the record is forged or expired."""
        record = self._open_link(sealed_link)
        return PendingLink(
            email=record.email,
            provider_label=self._provider(record.provider).label,
            next=record.next,
        )

    async def confirm_link(
        self,
        sealed_link: str,
        *,
        password: str,
        client: Client,
        otp_code: str | None = None,
        recovery_code: str | None = None,
    ) -> SocialSignedIn:
        """Sign in with the existing account's password (and code, with 2FA), then link."""
        record = self._open_link(sealed_link)
        async with self._uow() as uow:
            user = await uow.users.get(UUID(record.user_id))
        if user is None:
            raise _link_expired()
        # The ordinary sign-in: same rate limits, lockout, 2FA and activity log.
        signed = await self._accounts.sign_in(
            email=user.email,
            password=password,
            client=client,
            remember_me=record.remember_me,
            otp_code=otp_code,
            recovery_code=recovery_code,
        )
        try:
            await self.link_pending(signed.user, sealed_link)
        except BaseException:
            await self._accounts.sign_out(signed.token)
            raise
        return SocialSignedIn(signed, record.next, record.remember_me, linked=True)

    async def link_pending(self, user: User, sealed_link: str) -> SocialIdentity:
        """Link the pending identity to `user`, who has just proven owning the account."""
        record = self._open_link(sealed_link)
        if UUID(record.user_id) != user.id:
            raise PermissionDenied(
                "This link request is for another account.", code="oidc_link_other_account"
            )
        if not await self._once.use(
            f"{_LINK}:{record.id}", ttl_seconds=lifetime_seconds(LINK_LIFETIME)
        ):
            raise _link_expired()
        identity = SocialIdentity(
            id=uuid7(),
            user_id=user.id,
            provider=record.provider,
            subject=record.subject,
            email=record.email,
            created_at=self._clock(),
        )
        async with self._uow() as uow:
            await uow.social_identities.add(identity)  # Conflict if linked meanwhile
            await uow.commit()
        log.info(
            "social identity linked",
            extra={"user_id": str(user.id), "provider": record.provider},
        )
        return identity

    # --- helpers ----------------------------------------------------------------------

    def _provider(self, name: str) -> OpenIdProvider:
        openid = self._providers.get(name)
        if openid is None:
            raise NotFound(f"Sign-in with '{name}' is not offered here.", code="oidc_unknown")
        return openid

    async def _sign_in(
        self, user: User, provider: str, record: _StateRecord, client: Client
    ) -> SocialSignedIn | SecondFactorPending:
        if user.status is not UserStatus.ACTIVE or user.is_locked(self._clock()):
            reason = "disabled" if user.status is not UserStatus.ACTIVE else "locked"
            await self._record_failure(user.email, user, provider, reason, client)
            raise AuthenticationFailed(
                "This account cannot sign in right now: it is disabled, or locked for a "
                "while after failed sign-ins.",
                code="account_unavailable",
            )
        if user.has_two_factor:
            # The provider proves who the person is at the provider; the account's own
            # second factor still guards the account.
            return self._held.hold_for_second_factor(
                user,
                method=SignInMethod(provider),
                remember_me=record.remember_me,
                next=record.next,
            )
        signed = await self._accounts.start_session(
            user, client=client, remember_me=record.remember_me, method=SignInMethod(provider)
        )
        return SocialSignedIn(signed, record.next, record.remember_me)

    async def _create_account(self, provider: str, identity: ProviderIdentity) -> User:
        assert identity.email is not None
        now = self._clock()
        user = User(
            id=uuid7(),
            email=identity.email,
            name=identity.name,
            password_hash=None,
            role=Role.USER,
            created_at=now,
            email_verified_at=now,  # the provider vouched for it
            terms_accepted_at=now,  # the buttons say continuing accepts the terms
        )
        async with self._uow() as uow:
            try:
                await uow.users.add(user)
            except Conflict as exc:  # the address was taken a moment ago
                raise Conflict(
                    "An account with this email was just created; sign in again.",
                    code="email_taken",
                ) from exc
            await uow.social_identities.add(
                SocialIdentity(
                    id=uuid7(),
                    user_id=user.id,
                    provider=provider,
                    subject=identity.subject,
                    email=identity.email,
                    created_at=now,
                )
            )
            # The sign-in page says continuing accepts the terms and the privacy policy.
            await accept_live_documents(uow, user.id, AcceptanceWay.SOCIAL_SIGNUP, now)
            await self._mail.welcome(uow, user)
            await uow.commit()
        return user

    async def _record_failure(
        self, email: str, user: User | None, provider: str, reason: str, client: Client
    ) -> None:
        method = str(SignInMethod(provider))
        await self._accounts.record_refused_sign_in(email, user, method, reason, client)

    # --- sealed records ---------------------------------------------------------------

    def _open_state(self, sealed: str, provider: str, state: str) -> _StateRecord:
        payload = self._sealed.unseal(_STATE, sealed)
        try:
            record = _StateRecord(**payload) if payload is not None else None
        except TypeError:
            record = None
        if (
            record is None
            or record.provider != provider
            or not hmac.compare_digest(record.state.encode(), state.encode())
            or self._clock().timestamp() > record.expires_at
        ):
            raise AuthenticationFailed(
                "This sign-in attempt is not valid any more: it expired, it was finished "
                "already, or it began in another browser. Start again.",
                code="oidc_state_invalid",
            )
        return record

    def _open_link(self, sealed: str) -> _LinkRecord:
        payload = self._sealed.unseal(_LINK, sealed)
        try:
            record = _LinkRecord(**payload) if payload is not None else None
        except TypeError:
            record = None
        if record is None or self._clock().timestamp() > record.expires_at:
            raise _link_expired()
        return record


def _provider_said_no(
    openid: OpenIdProvider, error: str, description: str | None
) -> AuthenticationFailed | ExternalServiceError:
    if error in ("access_denied", "consent_required", "interaction_required", "login_required"):
        return AuthenticationFailed(
            f"Signing in with {openid.label} was cancelled or refused, so you are not signed "
            "in. Try again, or sign in with your email and password.",
            code="oidc_access_denied",
            detail=f"{error}: {description or ''}"[:500],
        )
    return ExternalServiceError(
        f"{openid.label} could not sign you in ({error[:64]}); try again in a moment.",
        category=ErrorCategory.PROVIDER,
        code="oidc_provider_error",
        retryable=True,
        detail=f"{error}: {description or ''}"[:500],
    )


def _link_expired() -> AuthenticationFailed:
    return AuthenticationFailed(
        "This request to link accounts is not valid any more: it expired or was used "
        "already. Start again with the sign-in button.",
        code="oidc_link_invalid",
    )
