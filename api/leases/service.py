"""Taking, renewing and giving back leases: conditional UPDATEs on one row each, atomic on
SQLite and PostgreSQL alike, so any number of workers on any number of hosts can share a
tracker database and agree on who does what.

Times are the workers' UTC clocks. Hosts are expected to keep time (NTP); the leases last tens
of seconds, far beyond the skew NTP leaves.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from api.database import rows_changed, unit_of_work
from api.leases.models import Lease

log = logging.getLogger(__name__)


_this_process: tuple[str, str] | None = None  # (the name it was given, the holder name)


def name_this_process(configured: str = "") -> str:
    """This process's name as a lease holder: the configured worker name, or host:pid, with a
    short random tail so that a restarted process never passes for its predecessor. Named once:
    asked again with the same name (or none), it keeps the name it has, so every lease this
    process holds names the same holder."""
    global _this_process
    if _this_process is not None and configured in ("", _this_process[0]):
        return _this_process[1]
    base = configured or f"{socket.gethostname()}:{os.getpid()}"
    _this_process = (configured, f"{base}#{uuid.uuid4().hex[:6]}")
    return _this_process[1]


def this_process() -> str:
    """This process's name as a lease holder (`name_this_process`, host:pid unless named)."""
    return name_this_process()


@dataclass(frozen=True)
class Taken:
    """A lease just taken, and who held it before (None when it was free or done by us)."""

    name: str
    holder: str
    previous: str | None


def _ensure_row(session: Session, name: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(Lease).values(name=name).on_conflict_do_nothing())


def try_acquire(
    factory: sessionmaker[Session],
    name: str,
    holder: str,
    seconds: float,
    *,
    now: datetime | None = None,
) -> Taken | None:
    """Take `name` for `seconds` if it is free, lapsed or ours already; None if another worker
    holds it or it is done."""
    now = now or datetime.now(UTC)
    with unit_of_work(factory) as session:
        _ensure_row(session, name)
    with unit_of_work(factory) as session:
        before = session.execute(
            select(Lease.holder, Lease.expires_at).where(Lease.name == name)
        ).one()
        taken = rows_changed(
            session,
            update(Lease)
            .where(Lease.name == name, Lease.done_at.is_(None))
            .where(Lease.holder.is_(None) | (Lease.expires_at < now) | (Lease.holder == holder))
            .values(
                holder=holder,
                acquired_at=case((Lease.holder == holder, Lease.acquired_at), else_=now),
                expires_at=now + timedelta(seconds=seconds),
            ),
        )
    if not taken:
        return None
    previous = before.holder if before.holder not in (None, holder) else None
    return Taken(name=name, holder=holder, previous=previous)


def renew(factory: sessionmaker[Session], name: str, holder: str, seconds: float) -> bool:
    """Push the lease's expiry on; False when it is no longer ours (it lapsed and was taken)."""
    now = datetime.now(UTC)
    with unit_of_work(factory) as session:
        return bool(
            rows_changed(
                session,
                update(Lease)
                .where(Lease.name == name, Lease.holder == holder)
                .values(expires_at=now + timedelta(seconds=seconds)),
            )
        )


def release(factory: sessionmaker[Session], name: str, holder: str, *, done: bool = False) -> None:
    """Give the lease back (marking the work done for good when `done`)."""
    values: dict[str, object] = {"holder": None, "expires_at": None}
    if done:
        values["done_at"] = datetime.now(UTC)
    with unit_of_work(factory) as session:
        session.execute(
            update(Lease).where(Lease.name == name, Lease.holder == holder).values(**values)
        )


def holder_of(
    factory: sessionmaker[Session], name: str, *, now: datetime | None = None
) -> str | None:
    """Who holds `name` now (a lapsed lease has no holder)."""
    now = now or datetime.now(UTC)
    with unit_of_work(factory) as session:
        row = session.get(Lease, name)
        if row is None or row.holder is None or row.expires_at is None or row.expires_at < now:
            return None
        return row.holder


class Heartbeat:
    """Renews a held lease every third of its length, on a thread of its own, until stopped.
    `lost` is set if the lease was taken from us (we stalled past its expiry)."""

    def __init__(
        self, factory: sessionmaker[Session], name: str, holder: str, seconds: float
    ) -> None:
        self.factory, self.name, self.holder, self.seconds = factory, name, holder, seconds
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease {name}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                if not renew(self.factory, self.name, self.holder, self.seconds):
                    log.error("lease %s was taken from %s", self.name, self.holder)
                    self.lost.set()
                    return
            except Exception:  # the database may be back at the next beat
                log.warning("could not renew lease %s; trying again", self.name, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


@contextmanager
def once(factory: sessionmaker[Session], name: str, holder: str, seconds: float) -> Iterator[bool]:
    """Claim work done once for good across all workers (a day's brief). Yields True to the
    one worker that should do it now; marks it done when the block succeeds, and gives it back
    for another try when the block fails."""
    taken = try_acquire(factory, name, holder, seconds)
    if taken is None:
        yield False
        return
    beat = Heartbeat(factory, name, holder, seconds)
    try:
        yield True
    except BaseException:
        beat.stop()
        release(factory, name, holder)
        raise
    beat.stop()
    release(factory, name, holder, done=True)
