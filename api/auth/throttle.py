"""Sign-in rate limiting, counted in the database so that every API process sees one count.

After `MAX_FAILURES_PER_USERNAME` failed sign-ins for one username within `FAILURE_WINDOW`,
that username is refused until the oldest of them ages out; a successful sign-in starts its
count afresh. One client address is limited the same way with `MAX_FAILURES_PER_IP`, which is
higher because an office's staff may share one address, and which a success does not reset
(else one valid account would let its owner guess other accounts' passwords without limit).
A refused attempt is not checked and not counted, so a locked-out person is let in again on
time even if they keep trying.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from api.auth.models import LoginAttempt
from api.database import utcnow
from core.errors import RateLimited

MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_IP = 20
FAILURE_WINDOW = timedelta(minutes=15)

USERNAME_LENGTH = 64  # as stored; longer attempts are cut, they cannot be a real username


def check(*, session: Session, username: str, ip: str | None, now: datetime | None = None) -> None:
    """Raise `RateLimited` if this username or this address has failed too often lately."""
    now = now or utcnow()
    since = now - FAILURE_WINDOW
    name = username[:USERNAME_LENGTH]
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == name, LoginAttempt.ok.is_(True)
        )
    )
    # A success starts the username's count afresh.
    since_for_name = max(since, last_success) if last_success is not None else since
    wait = _wait(
        session, LoginAttempt.username == name, since_for_name, now, MAX_FAILURES_PER_USERNAME
    )
    if wait:
        raise RateLimited(
            f"too many failed sign-ins for {name!r}; try again in {_minutes(wait)}",
            retry_after=wait,
        )
    if ip is None:
        return
    wait = _wait(session, LoginAttempt.ip == ip, since, now, MAX_FAILURES_PER_IP)
    if wait:
        raise RateLimited(
            f"too many failed sign-ins from this address; try again in {_minutes(wait)}",
            retry_after=wait,
        )


def record(
    *, session: Session, username: str, ip: str | None, ok: bool, now: datetime | None = None
) -> None:
    session.add(LoginAttempt(username=username[:USERNAME_LENGTH], ip=ip, ok=ok, at=now or utcnow()))
    session.flush()


def _wait(
    session: Session, which: ColumnElement[bool], since: datetime, now: datetime, limit: int
) -> int:
    """Seconds until fewer than `limit` failures matching `which` remain after `since`; 0 if
    there are fewer already."""
    # The limit-th newest failure is the one whose ageing out lifts the block.
    blocking = session.scalar(
        select(LoginAttempt.at)
        .where(which, LoginAttempt.ok.is_(False), LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if blocking is None:
        return 0
    return max(1, math.ceil((blocking + FAILURE_WINDOW - now).total_seconds()))


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
