"""Accounts, through mailed links (A1-A4): sign-up and verification, password
recovery, and unlocking an account locked after failed sign-ins.

Every reply that could tell whether an email has an account is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voiceqr.application.accounts.core import AccountsCore
from voiceqr.application.accounts.policy import Client
from voiceqr.application.accounts.ports import AccountsUnitOfWork
from voiceqr.application.compliance.acceptances import accept_live_documents
from voiceqr.domain.accounts.tokens import TokenPurpose
from voiceqr.domain.accounts.users import (
    Role,
    User,
    UserStatus,
    check_password,
    clean_name,
    normalize_email,
)
from voiceqr.domain.compliance.documents import AcceptanceWay
from voiceqr.domain.shared.errors import (
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7


@dataclass(frozen=True, slots=True)
class ConfirmedEmail:
    """An address confirmed by its mailed link: a new account's, or an email change's."""

    user: User
    new_account: bool


class MailedLinks(AccountsCore):
    """Sign-up, verification, password reset and unlock: each ends with a mailed link."""

    # --- sign-up and verification (A1, A3) --------------------------------------------

    async def register(
        self, *, name: str, email: str, password: str, terms_accepted: bool, client: Client
    ) -> User | None:
        """Create an unverified account and mail a verification link; the new account, or
        None when the address has one already.

        The API's reply is the same whether or not the email is taken; the owner of a
        taken address is told by mail that someone tried. (The web form signs a new
        account in at once, so it cannot hide a taken address from who typed it.)
        """
        # Refused input mails nothing, so it is checked before it counts against a limit;
        # the limits come before the costly hashing.
        if not terms_accepted:
            raise ValidationError("Accept the terms of service to sign up.", code="terms_required")
        name = clean_name(name)
        address = normalize_email(email)
        check_password(password)
        await self._limit(f"register:ip:{client.ip}", self.policy.address_email_limit)
        await self._limit(f"register:email:{address}", self.policy.email_limit)
        password_hash = await self.hasher.hash(password)
        async with self.uow() as uow:
            existing = await uow.users.get_by_email(address)
            if existing is not None:
                await self.notifications.send(
                    uow,
                    "signup_attempt",
                    to=existing.email,
                    name=existing.name,
                    link=self.notifications.link("/forgot-password"),
                )
                await uow.commit()
                return None
            now = self.clock()
            user = User(
                id=uuid7(),
                email=address,
                name=name,
                password_hash=password_hash,
                role=Role.USER,
                created_at=now,
                terms_accepted_at=now,
                password_changed_at=now,
            )
            await uow.users.add(user)
            # The tick box accepted the versions in force now: recorded with the account.
            await accept_live_documents(uow, user.id, AcceptanceWay.SIGNUP, now)
            await self._send_verification(uow, user)
            await uow.commit()
        return user

    async def resend_verification(self, *, email: str, client: Client) -> None:
        """Mail a fresh link to an unverified account; silent otherwise."""
        await self._mail_link_on_request(
            "verify",
            email,
            client,
            TokenPurpose.VERIFY_EMAIL,
            "verify_email",
            "/verify-email",
            wanted=lambda user: not user.is_verified,
        )

    async def verify_email(self, token: str, *, client: Client | None = None) -> User:
        """Confirm an address: a new account's, or the new one of an email change."""
        return (await self.confirm_email(token, client=client)).user

    async def confirm_email(self, token: str, *, client: Client | None = None) -> ConfirmedEmail:
        """`verify_email`, saying whether the link was a new account's (the web page then
        signs the person in: the mailbox is proved, once)."""
        await self._limit_links(client)
        async with self.uow() as uow:
            stored, user = await self._use_link(
                uow, token, TokenPurpose.VERIFY_EMAIL, TokenPurpose.CHANGE_EMAIL
            )
            now = self.clock()
            if stored.purpose is TokenPurpose.CHANGE_EMAIL:
                old = user.email
                user.email = stored.data["email"]
                user.email_verified_at = now
                await uow.users.update(user)  # Conflict if someone took the address meanwhile
                await self.notifications.send(
                    uow, "email_changed", to=old, name=user.name, new_email=user.email
                )
            elif user.email_verified_at is None:
                user.email_verified_at = now
                await uow.users.update(user)
                await self.notifications.welcome(uow, user)
            await uow.commit()
        return ConfirmedEmail(user, new_account=stored.purpose is TokenPurpose.VERIFY_EMAIL)

    async def _mail_link_on_request(
        self,
        action: str,
        email: str,
        client: Client,
        purpose: TokenPurpose,
        template: str,
        path: str,
        *,
        wanted: Callable[[User], bool] = lambda user: True,
    ) -> None:
        """Mail a link for `purpose` to the active account at `email` if it is `wanted`;
        silent otherwise, so the reply never tells whether an account exists."""
        address = await self._limit_mailing(action, email, client)
        if address is None:
            return
        async with self.uow() as uow:
            user = await uow.users.get_by_email(address)
            if user is None or user.status is not UserStatus.ACTIVE or not wanted(user):
                return
            await self._mail_link(uow, user, purpose, template, path)
            await uow.commit()

    async def _send_verification(self, uow: AccountsUnitOfWork, user: User) -> None:
        await self._mail_link(uow, user, TokenPurpose.VERIFY_EMAIL, "verify_email", "/verify-email")

    # --- password recovery and unlock (A2, A4) ----------------------------------------

    async def forgot_password(self, *, email: str, client: Client) -> None:
        """Mail a single-use 30-minute reset link; the same reply for any email."""
        await self._mail_link_on_request(
            "reset", email, client, TokenPurpose.RESET_PASSWORD, "reset_password", "/reset-password"
        )

    async def reset_password(
        self, *, token: str, password: str, client: Client | None = None
    ) -> User:
        """Set a new password from a reset link; every session ends and the owner is told."""
        await self._limit_links(client)
        check_password(password)
        password_hash = await self.hasher.hash(password)
        async with self.uow() as uow:
            _, user = await self._use_link(
                uow, token, TokenPurpose.RESET_PASSWORD, TokenPurpose.SET_PASSWORD
            )
            now = self.clock()
            user.password_hash = password_hash
            user.password_changed_at = now
            user.locked_until = min(user.locked_until, now) if user.locked_until else None
            # Whoever could read this mailbox controls the address: count it as verified.
            user.email_verified_at = user.email_verified_at or now
            await uow.users.update(user)
            await self.notifications.password_changed(uow, user, now)
            await uow.commit()
        await self.sessions.delete_for_user(user.id)
        return user

    async def unlock(self, token: str, *, client: Client | None = None) -> User:
        await self._limit_links(client)
        async with self.uow() as uow:
            _, user = await self._use_link(uow, token, TokenPurpose.UNLOCK)
            # A lock that ended now (not None): failures before it stop counting.
            now = self.clock()
            user.locked_until = min(user.locked_until, now) if user.locked_until else None
            await uow.users.update(user)
            await uow.commit()
        return user
