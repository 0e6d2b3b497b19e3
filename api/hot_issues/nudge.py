"""Waking the clustering job when posts are stored, so an alert need not wait for its interval.

On PostgreSQL a crawl sends `NOTIFY` on `CHANNEL` and the leader `LISTEN`s on a connection of
its own. Where notifications are not to be had (SQLite), the crawl stamps a row and the leader
polls that row every few seconds. Either way the job's interval stays as the safety net: a
lost nudge only delays an alert to the next pass.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from api.database import unit_of_work
from api.hot_issues import state

log = logging.getLogger(__name__)

CHANNEL = "yuqing_posts_stored"
STAMP_KEY = "posts_stored_at"


def nudge(factory: sessionmaker[Session], source: str, count: int) -> None:
    """Tell the clustering job that `count` posts of `source` were just stored."""
    with unit_of_work(factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": f"{source}:{count}"},
            )
        else:
            state.write(session, STAMP_KEY, datetime.now(UTC).isoformat())


class Listener:
    """Calls `wake` soon after each nudge, on a thread of its own, until `stop()`.

    PostgreSQL: LISTEN on a dedicated connection (reconnecting after a failure). Otherwise:
    polls the stamp every `poll_seconds`.
    """

    def __init__(
        self,
        engine: Engine,
        factory: sessionmaker[Session],
        wake: Callable[[str], None],
        *,
        poll_seconds: float = 2.0,
    ) -> None:
        self.engine, self.factory, self.wake = engine, factory, wake
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self.listening = threading.Event()  # set once LISTEN is in place (or polling began)
        self._thread = threading.Thread(target=self._run, name="nudge listener", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        postgres = self.engine.dialect.name == "postgresql"
        while not self._stop.is_set():
            try:
                self._listen() if postgres else self._poll()
            except Exception:
                log.warning("nudge listener failed; starting again", exc_info=True)
                self._stop.wait(self.poll_seconds)

    def _listen(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self._stop.is_set():
                payloads = [n.payload for n in conn.notifies(timeout=1.0)]
                if payloads:
                    self.wake(", ".join(payloads[:5]))

    def _poll(self) -> None:
        seen = self._stamp()
        self.listening.set()
        while not self._stop.wait(self.poll_seconds):
            stamp = self._stamp()
            if stamp != seen:
                seen = stamp
                self.wake(f"posts stored at {stamp}")

    def _stamp(self) -> str | None:
        with unit_of_work(self.factory) as session:
            return state.read(session, STAMP_KEY)
