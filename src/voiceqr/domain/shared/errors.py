"""Errors of a known shape: every domain error has a category and a code.

The HTTP layer renders them as problem details and the CLI as a message and exit
code; nobody else formats them.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCategory(StrEnum):
    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMISSION = "permission"
    AUTHENTICATION = "authentication"
    PROVIDER = "provider"
    QUOTA = "quota"
    STORAGE = "storage"
    SYSTEM = "system"
    # Finer categories, each a case of a broader one (`broad`), for the refusals HTTP
    # answers with their own status.
    RATE_LIMITED = "rate_limited"  # validation: too many attempts, try again later
    OUT_OF_RANGE = "out_of_range"  # validation: a byte range past the end of the file
    GONE = "gone"  # not_found: it was there and its owner removed it for good
    WITHHELD = "withheld"  # not_found: it is there, and kept from the public by moderation
    TOO_LARGE = "too_large"  # validation: a file over its size limit

    @property
    def broad(self) -> ErrorCategory:
        """The category this one is a case of, or itself: a form that explains
        `validation` also explains `rate_limited`, and the CLI exits alike."""
        return _BROADER.get(self, self)


_BROADER = {
    ErrorCategory.RATE_LIMITED: ErrorCategory.VALIDATION,
    ErrorCategory.OUT_OF_RANGE: ErrorCategory.VALIDATION,
    ErrorCategory.TOO_LARGE: ErrorCategory.VALIDATION,
    ErrorCategory.GONE: ErrorCategory.NOT_FOUND,
    ErrorCategory.WITHHELD: ErrorCategory.NOT_FOUND,
}


class DomainError(Exception):
    """Base of every error the platform reports on purpose.

    `message` is safe to show to the user; `detail` is technical and for admins only.
    """

    category: ErrorCategory = ErrorCategory.SYSTEM
    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        detail: str | None = None,
        category: ErrorCategory | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if category is not None:
            self.category = category
        self.detail = detail


class ValidationError(DomainError):
    category = ErrorCategory.VALIDATION
    code = "invalid"


class NotFound(DomainError):
    category = ErrorCategory.NOT_FOUND
    code = "not_found"


class RangeNotSatisfiable(ValidationError):
    """A byte range outside the stored file."""

    category = ErrorCategory.OUT_OF_RANGE
    code = "range_not_satisfiable"

    def __init__(self, detail: str) -> None:
        super().__init__("The requested range is not satisfiable.", detail=detail)


class RateLimited(DomainError):
    """Too many attempts from one caller (sign-in, a mailed link, a public report)."""

    category = ErrorCategory.RATE_LIMITED
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many attempts; wait a little and try again.")
        self.retry_after = retry_after  # seconds, sent as Retry-After


class Gone(NotFound):
    """What was asked for existed and was removed for good."""

    category = ErrorCategory.GONE
    code = "gone"


class Withheld(NotFound):
    """What was asked for is there, but moderation keeps it from the public for now."""

    category = ErrorCategory.WITHHELD
    code = "withheld"


class Conflict(DomainError):
    category = ErrorCategory.CONFLICT
    code = "conflict"


class PermissionDenied(DomainError):
    category = ErrorCategory.PERMISSION
    code = "forbidden"


class AuthenticationFailed(DomainError):
    category = ErrorCategory.AUTHENTICATION
    code = "authentication_failed"


class IllegalTransition(Conflict):
    """A state machine was asked for a move it does not allow."""

    code = "illegal_transition"


class ExternalServiceError(DomainError):
    """A dependency (speech provider, storage, ...) failed.

    `retryable` says whether trying again later can succeed; `retry_after` is the
    delay in seconds the service asked for, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        category: ErrorCategory,
        code: str,
        retryable: bool,
        retry_after: float | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, code=code, detail=detail, category=category)
        self.retryable = retryable
        self.retry_after = retry_after


class SpeechError(ExternalServiceError):
    """The speech provider could not turn the text into audio."""


class StorageError(ExternalServiceError):
    """The audio store could not read or write an object."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "storage_failed",
        retryable: bool = True,
        detail: str | None = None,
    ) -> None:
        super().__init__(
            message, category=ErrorCategory.STORAGE, code=code, retryable=retryable, detail=detail
        )
