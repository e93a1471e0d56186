"""A user's preferences (P7-P9): default voice, QR size, the draft text, and the time
zone their analytics are shown in. Notification settings are the mail feature's
(domain/mail/preferences.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.time_zones import is_time_zone

MIN_QR_SIZE = 64
MAX_QR_SIZE = 4096
DEFAULT_QR_SIZE = 512
MAX_DRAFT_LENGTH = 5000


@dataclass(frozen=True, slots=True)
class UserPreferences:
    """What a user chose once and wants every time, and the text they were typing.

    A user who never chose anything has the defaults (`UserPreferences.defaults`).
    """

    user_id: UUID
    default_voice_id: UUID | None = None
    qr_size: int = DEFAULT_QR_SIZE
    draft_text: str = ""
    draft_voice_id: UUID | None = None
    draft_saved_at: datetime | None = None
    # The IANA time zone analytics are shown in; "" is the browser's (UTC without one).
    time_zone: str = ""

    def __post_init__(self) -> None:
        # bool is an int, but never a size.
        if isinstance(self.qr_size, bool) or not isinstance(self.qr_size, int):
            raise ValidationError("The QR size must be a whole number.", code="invalid_qr_size")
        if not MIN_QR_SIZE <= self.qr_size <= MAX_QR_SIZE:
            raise ValidationError(
                f"The QR size must be between {MIN_QR_SIZE} and {MAX_QR_SIZE} pixels.",
                code="invalid_qr_size",
            )
        for voice_id in (self.default_voice_id, self.draft_voice_id):
            if voice_id is not None and not isinstance(voice_id, UUID):
                raise ValidationError(
                    "Pick one of the voices in the gallery.", code="unknown_voice"
                )
        if not isinstance(self.time_zone, str) or (
            self.time_zone and not is_time_zone(self.time_zone)
        ):
            raise ValidationError(
                f"'{str(self.time_zone)[:60]}' is not a time zone; pick one from the list "
                "(an IANA name such as Europe/Paris), or your browser's.",
                code="unknown_time_zone",
            )
        if len(self.draft_text) > MAX_DRAFT_LENGTH:
            raise ValidationError(
                f"A draft keeps at most {MAX_DRAFT_LENGTH} characters.", code="draft_too_long"
            )

    @classmethod
    def defaults(cls, user_id: UUID) -> UserPreferences:
        return cls(user_id=user_id)

    @property
    def has_draft(self) -> bool:
        return self.draft_saved_at is not None

    def with_draft(self, text: str, voice_id: UUID | None, *, at: datetime) -> UserPreferences:
        """The same preferences with this text (and voice) kept as the draft."""
        return replace(self, draft_text=text, draft_voice_id=voice_id, draft_saved_at=at)

    def without_draft(self) -> UserPreferences:
        return replace(self, draft_text="", draft_voice_id=None, draft_saved_at=None)
