"""Who may do what: roles, the permissions each role holds, and the actor who asks.

A use case that only some people may run names the permission it needs and calls
`require(actor, Permission.X)` first. The actor is explicit: a signed-in `User` (any
object with a role, an id and an audit label), or `OPERATOR`, the person at the
terminal. Nobody is "None".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Protocol
from uuid import UUID

from voiceqr.domain.shared.errors import PermissionDenied


class Role(StrEnum):
    USER = "user"
    SUPPORT = "support"  # reads and helps accounts, answers tickets
    MODERATOR = "moderator"  # looks after what people make
    ADMIN = "admin"  # everything, roles and settings included


class Permission(StrEnum):
    """What a role may do beyond using the product for oneself, named for what it allows."""

    READ_ACCOUNTS = "accounts.read"
    MANAGE_ACCOUNTS = "accounts.manage"  # create, lock, unlock, disable, enable, verify
    CHANGE_ROLES = "accounts.roles"  # give an account any role but `user`
    DELETE_ACCOUNTS = "accounts.delete"  # delete an account and everything it made
    READ_FAILED_GENERATIONS = "generations.failures.read"  # the failure list and details
    RECOVER_GENERATIONS = "generations.recover"  # retry, cancel, correct a failed one
    READ_FAILURE_DASHBOARD = "operations.failures.read"
    READ_AUDIT_LOG = "operations.audit.read"
    READ_MAIL_OUTBOX = "mail.outbox.read"
    SEND_PRODUCT_NEWS = "mail.news.send"  # mail product news to the users who opted in
    MANAGE_VOICES = "voices.manage"  # create, change, hide, delete; see hidden ones
    MODERATE_REVIEWS = "voices.reviews.moderate"  # hide and show voice reviews; see hidden ones
    HANDLE_TICKETS = "support.tickets"  # the support queue: read, answer, assign, close
    VIEW_AS_USER = "accounts.view_as"  # see the pages as a user sees them, read-only, a while
    PUBLISH_LEGAL = "legal.publish"  # publish new versions of the terms and privacy policy
    MODERATE_CONTENT = "moderation.decide"  # the moderation queue: flag, decide, ban owners
    MANAGE_FILTER_TERMS = "moderation.terms"  # the text filter's extra and allowed terms, domains
    MANAGE_FLAGGING_RULES = "moderation.rules"  # automated flagging rules: edit, try, turn on


_SUPPORT = frozenset(
    {
        Permission.READ_ACCOUNTS,
        Permission.MANAGE_ACCOUNTS,
        Permission.READ_FAILED_GENERATIONS,
        # A user writes in about a failed generation: support retries it from the ticket.
        Permission.RECOVER_GENERATIONS,
        Permission.HANDLE_TICKETS,
        Permission.VIEW_AS_USER,
    }
)
_MODERATOR = frozenset(
    {
        # The owner of what they moderate: their account and timeline, read only.
        Permission.READ_ACCOUNTS,
        Permission.READ_FAILED_GENERATIONS,
        Permission.RECOVER_GENERATIONS,
        Permission.READ_FAILURE_DASHBOARD,
        Permission.MODERATE_REVIEWS,
        Permission.MODERATE_CONTENT,
        Permission.MANAGE_FILTER_TERMS,
    }
)

PERMISSIONS: Final[Mapping[Role, frozenset[Permission]]] = MappingProxyType(
    {
        Role.USER: frozenset(),
        Role.SUPPORT: _SUPPORT,
        Role.MODERATOR: _MODERATOR,
        Role.ADMIN: frozenset(Permission),
    }
)


class Actor(Protocol):
    """Someone asking to do something: a signed-in user, or `OPERATOR` at the terminal."""

    @property
    def role(self) -> Role: ...

    @property
    def id(self) -> UUID | None:
        """The account's id; None only for the operator, who has no account."""
        ...

    @property
    def actor_label(self) -> str:
        """How the audit log names them: the account's email, or "cli"."""
        ...


@dataclass(frozen=True, slots=True)
class Operator:
    """The person at the terminal. They hold the database credentials, so there is no
    account to name and nothing they could not do anyway: they act as an admin."""

    role: Role = Role.ADMIN
    id: None = None
    actor_label: str = "cli"


OPERATOR: Final = Operator()


def can(actor: Actor, permission: Permission) -> bool:
    return permission in PERMISSIONS[actor.role]


def require(actor: Actor, permission: Permission) -> None:
    """Return if `actor` holds `permission`; PermissionDenied otherwise."""
    if can(actor, permission):
        return
    if all(permission not in held for role, held in PERMISSIONS.items() if role is not Role.ADMIN):
        raise PermissionDenied("Only administrators can do this.", code="admin_only")
    raise PermissionDenied(
        f"The {actor.role} role cannot do this ({permission}).", code="permission_missing"
    )
