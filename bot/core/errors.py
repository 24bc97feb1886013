"""Our own small hierarchy of API failures, the same for every network, so nothing above a client
sees tweepy (or any network's library).

The client translates every tweepy/requests failure into one of these (chained with `from`), each
carrying what the caller needs to decide: wait until `reset_at`, back off, give up on one target, or
stop and tell the organiser. Messages never contain credentials.
"""

from __future__ import annotations

from datetime import datetime


class ApiError(Exception):
    """Base class. `status` is the HTTP status when there was one; `detail` the API's own words."""

    def __init__(
        self, message: str, *, status: int | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class RateLimited(ApiError):
    """429 on a 15-minute bucket: wait until `reset_at` (None when the API gave no reset header)."""

    def __init__(
        self,
        message: str,
        *,
        reset_at: datetime | None,
        status: int | None = 429,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.reset_at = reset_at


class UsageCapped(ApiError):
    """429 usage-capped: the monthly (or daily) product cap is spent; 15 minutes won't help."""

    def __init__(
        self,
        message: str,
        *,
        period: str | None = None,
        status: int | None = 429,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.period = period


class CreditsDepleted(ApiError):
    """402: the pay-per-use balance is at or below zero. Needs a top-up by a human."""


class AuthError(ApiError):
    """401, or a 403 that concerns our credentials or app permissions (unsupported authentication,
    oauth1-permissions, client-not-enrolled). Persistent: needs a human."""


class ForbiddenForTarget(ApiError):
    """403 about one request's target, not about us: the 2026 reply restriction, duplicate content,
    the quote restriction. Record it on the post; don't retry. `reason` is one of
    "reply-restricted", "duplicate", "quote-restricted", "other"."""

    def __init__(
        self, message: str, *, reason: str, status: int | None = 403, detail: str | None = None
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.reason = reason


class InvalidRequest(ApiError):
    """400: our request was wrong (a bug, or a too-long text). `parameters` names what the API
    rejected, when it said."""

    def __init__(
        self,
        message: str,
        *,
        parameters: tuple[str, ...] = (),
        status: int | None = 400,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.parameters = parameters


class StaleCursor(InvalidRequest):
    """400 because `since_id` (or `start_time`) is older than the 7-day search window.
    The poller drops the cursor and falls back to `start_time`."""


class TooLong(InvalidRequest):
    """400: the post text is over 280 weighted characters."""


class Unavailable(ApiError):
    """Transient: 5xx, a timeout, a dropped connection, or a body that isn't the JSON it should be.
    Retry with exponential backoff."""
