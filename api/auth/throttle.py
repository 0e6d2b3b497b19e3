"""Sign-in rate limiting, counted in the database so that every API process sees one count.

After `MAX_FAILURES_PER_USERNAME` failed sign-ins for one username within `FAILURE_WINDOW`,
that username is refused until the oldest of them ages out; a successful sign-in starts its
count afresh. One client address is limited the same way with `MAX_FAILURES_PER_IP`, which is
higher because an office's staff may share one address, and which a success does not reset
(else one valid account would let its owner guess other accounts' passwords without limit).
A refused attempt is not checked and not counted, so a locked-out person is let in again on
time even if they keep trying.

Checking and counting are one step (`claim`): an attempt locks a row for its username and one
for its address (`LoginLock`), checks, and records itself as a failure until it succeeds; the
caller commits at once, which frees the rows before the slow password check. Parallel attempts
therefore take their turns, and of many sent at once exactly the limit are checked: the rows
are locked by an upsert, which on PostgreSQL locks that row and on SQLite takes the database's
write lock.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.auth.models import LoginAttempt, LoginLock
from api.database import utcnow
from core.errors import RateLimited

MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_IP = 20
FAILURE_WINDOW = timedelta(minutes=15)

USERNAME_LENGTH = 64  # as stored; longer attempts are cut, they cannot be a real username


def claim(
    *, session: Session, username: str, ip: str | None, now: datetime | None = None
) -> LoginAttempt:
    """Check and count one sign-in attempt as one step: `RateLimited` if this username or this
    address has failed too often lately, else the attempt, recorded as failed until
    `succeeded` says otherwise. Commit right after, before checking the password."""
    name = username[:USERNAME_LENGTH]
    _lock(session, f"name:{name}")
    if ip is not None:
        _lock(session, f"ip:{ip}")
    # After the locks: an attempt that waited for another one comes after it in time too.
    now = now or utcnow()
    _check(session, name, ip, now)
    attempt = LoginAttempt(username=name, ip=ip, ok=False, at=now)
    session.add(attempt)
    session.flush()
    return attempt


def succeeded(*, session: Session, attempt: LoginAttempt) -> None:
    """The claimed attempt signed in: it no longer counts as a failure, and starts the
    username's count afresh."""
    attempt.ok = True
    session.flush()


def _lock(session: Session, key: str) -> None:
    """Lock the row of `key` until the transaction ends, creating it if need be."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LoginLock).values(key=key, at=utcnow())
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[LoginLock.key], set_={"at": statement.excluded.at}
        )
    )


def _check(session: Session, name: str, ip: str | None, now: datetime) -> None:
    """Raise `RateLimited` if this username or this address has failed too often lately."""
    since = now - FAILURE_WINDOW
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
