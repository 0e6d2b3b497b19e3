"""Leadership of the work only one worker may do at a time (the clustering job, deadline
warnings, retention): a lease every worker tries to take, which the leader keeps renewing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from api.leases import service as leases

log = logging.getLogger(__name__)

LEADER = "leader"


class Leadership:
    """Tries to take or keep the leader's lease every third of its length, on a thread of its
    own. A leader killed outright stops renewing, and another worker leads within
    `seconds` plus a third of it. `on_gain` runs (on that thread) when this worker takes the
    lead, with the previous holder if it took over from one."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        seconds: float,
        *,
        on_gain: Callable[[str | None], None] | None = None,
        name: str = LEADER,
    ) -> None:
        self.factory, self.seconds, self.on_gain, self.name = factory, seconds, on_gain, name
        self.holder = leases.this_process()
        self._leading = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="leadership", daemon=True)

    @property
    def leading(self) -> bool:
        return self._leading.is_set()

    def start(self) -> Leadership:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        if self._leading.is_set():
            self._leading.clear()
            leases.release(self.factory, self.name, self.holder)

    def current(self) -> str | None:
        """Who leads now."""
        return leases.holder_of(self.factory, self.name)

    def step(self) -> bool:
        """Take or keep the lead once; whether this worker leads now."""
        try:
            taken = leases.try_acquire(self.factory, self.name, self.holder, self.seconds)
        except Exception:
            # Without the database the lease cannot be renewed: stop leading before it lapses.
            log.warning("could not renew the leader's lease", exc_info=True)
            taken = None
        was = self._leading.is_set()
        if taken is None:
            if was:
                log.warning("%s no longer leads", self.holder)
            self._leading.clear()
            return False
        self._leading.set()
        if not was:
            log.info(
                "%s leads now%s",
                self.holder,
                f" (took over from {taken.previous})" if taken.previous else "",
            )
            if self.on_gain is not None:
                self.on_gain(taken.previous)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self.step()
            self._stop.wait(self.seconds / 3)
