"""Changes staff make to someone's account: the reason each needs, and how the account's
owner reads each one on their security page ("changes made by support").

The owner sees what changed and why, signed "voiceqr support": never the staff
member's email (staff addresses are not for users to collect or to write to outside
a ticket), and never an internal note.
"""

from __future__ import annotations

from typing import Final

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.text import is_blank, refuse_control_characters

MAX_REASON_LENGTH = 500
SIGNED: Final = "voiceqr support"

# Each staff action on an account, in the owner's words.
FOR_THE_OWNER: Final = {
    "user.create": "Your account was created",
    "user.edit": "Your name or email was changed",
    "user.role": "Your role was changed",
    "user.lock": "Your account was locked",
    "user.unlock": "Your account was unlocked",
    "user.disable": "Your account was disabled",
    "user.enable": "Your account was enabled again",
    "user.verify": "Your email was marked as verified",
    "user.password_reset_link": "A password reset link was mailed to you",
    "user.force_password_change": "Your password was reset; you choose a new one to sign in",
    "user.sessions_end": "You were signed out everywhere",
    "user.api_keys_revoke": "Your API keys were revoked",
    "user.view_as": "Support viewed your pages as you see them (read-only)",
    "user.view_as_end": "Support stopped viewing your pages",
}


def check_reason(reason: str) -> str:
    """The reason as stored (one line, trimmed); ValidationError when it says nothing."""
    cleaned = " ".join(reason.split())
    if is_blank(cleaned):
        raise ValidationError(
            "Say why: every change to someone's account needs a reason.", code="reason_missing"
        )
    refuse_control_characters(cleaned, what="A reason")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise ValidationError(
            f"A reason has at most {MAX_REASON_LENGTH} characters.", code="reason_too_long"
        )
    return cleaned


def for_the_owner(action: str) -> str:
    """How the account's owner reads a staff action on it."""
    return FOR_THE_OWNER.get(action, "Your account was changed")
