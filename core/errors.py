"""Every exception the product raises on purpose, in one place.

    YuqingError                  base; carries a message meant for a person
    ├── ConfigError              settings or a config file is invalid or unsafe
    │   └── CalendarError        a deadline needs a year the working-day calendar lacks
    ├── InputError               bad input from a user, a file or a request (HTTP 400/422)
    │   ├── QuerySyntaxError     a search query that cannot be parsed
    │   │   └── QueryTooComplex  one nested too deep or with too many terms for every store
    │   ├── CursorError          a pagination or scan cursor that is malformed or expired
    │   ├── TimeFormatError      a time written in no form the crawler knows
    │   ├── ItemRejected         a crawled or imported item that cannot become a post
    │   └── ExportError          an export file that cannot be read at all
    ├── NotFoundError            a record asked for by id does not exist (HTTP 404)
    ├── ConflictError            a concurrent change or a refused transition (HTTP 409)
    ├── AuthError                missing or wrong credentials (HTTP 401)
    │   └── ForbiddenError       authenticated, but the role may not do this (HTTP 403)
    ├── RateLimited              too many attempts; try again after `retry_after` s (HTTP 429)
    ├── PageError                a web page cannot be shown (signed out, wrong role, missing)
    ├── DeliveryError            one attempt to deliver a notification to a channel failed
    └── StoreError               a storage backend failed
        └── StoreUnavailable     the backend cannot be reached at all; the data should wait

Backends translate their own exceptions at the boundary with ``raise StoreError(...) from exc``,
and the API maps this tree to status codes in one exception handler.
"""

from __future__ import annotations


class YuqingError(Exception):
    """Base of the product's own errors; ``str(err)`` is safe to show to a user."""


class ConfigError(YuqingError):
    """Settings or a configuration file is invalid, or unsafe for the current mode."""


class CalendarError(ConfigError):
    """A deadline falls in a year that neither the calendar package nor the holidays file
    covers; counting working days there would be a guess."""


class InputError(YuqingError):
    """Bad input from a user, a file or a request."""


class QuerySyntaxError(InputError):
    """A search query that cannot be parsed."""


class QueryTooComplex(QuerySyntaxError):
    """A search query beyond what every store can run: `bound` is "depth" (parentheses and NOT
    nested too deep), "terms" or "length", and `most` the largest number allowed."""

    def __init__(self, message: str, *, bound: str, most: int) -> None:
        super().__init__(message)
        self.bound, self.most = bound, most


class CursorError(InputError):
    """A pagination or scan cursor that is malformed, foreign or expired."""


class TimeFormatError(InputError):
    """A time written in no form the crawler knows."""


class ItemRejected(InputError):
    """An item that cannot become a post; the message says why."""


class ExportError(InputError):
    """An export file that cannot be read at all (wrong format, missing columns)."""


class NotFoundError(YuqingError):
    """A record asked for by id does not exist."""


class ConflictError(YuqingError):
    """A concurrent change or a refused state transition."""


class AuthError(YuqingError):
    """Missing or wrong credentials."""


class ForbiddenError(AuthError):
    """The caller is known but their role may not do this."""


class RateLimited(YuqingError):
    """Too many attempts (failed sign-ins, for one); `retry_after` says when to try again."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PageError(YuqingError):
    """A page cannot be shown: signed out (401), wrong role (403) or no such record (404).

    `viewer` is whoever asked (for the error page's navigation), when known."""

    def __init__(self, status: int, message: str = "", viewer: object | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.viewer = status, message, viewer


class DeliveryError(YuqingError):
    """One attempt to deliver a notification failed; ``str(err)`` says why.

    ``retryable`` is False when another attempt cannot succeed without someone changing the
    channel (a refused login, HTTP 400, a redirect), so the remaining attempts are not spent.
    """

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.retryable = retryable


class StoreError(YuqingError):
    """A storage backend failed."""


class StoreUnavailable(StoreError):
    """The storage backend cannot be reached; callers should keep the data and retry later."""
