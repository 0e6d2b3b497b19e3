"""How a product error reads over HTTP: its status code and the JSON every error answers with."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from core.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    RateLimited,
    StoreError,
    StoreUnavailable,
    YuqingError,
)

# The most specific class first: ForbiddenError is an AuthError, StoreUnavailable a StoreError.
STATUS_CODES: tuple[tuple[type[YuqingError], int], ...] = (
    (ForbiddenError, 403),
    (AuthError, 401),
    (InputError, 400),
    (NotFoundError, 404),
    (ConflictError, 409),
    (RateLimited, 429),
    (StoreUnavailable, 503),
    (StoreError, 500),
    (ConfigError, 500),
)


class ErrorBody(BaseModel):
    type: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    """What every error looks like."""

    error: ErrorBody


def status_code_for(exc: YuqingError) -> int:
    for cls, code in STATUS_CODES:
        if isinstance(exc, cls):
            return code
    return 500


def error_json(kind: str, message: str) -> bytes:
    """An error's JSON body, for answers made outside FastAPI's handlers."""
    body = ErrorResponse(error=ErrorBody(type=kind, message=message))
    return json.dumps(body.model_dump(mode="json", exclude_none=True), ensure_ascii=False).encode()
