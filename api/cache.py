"""Short-lived caches of computed figures, one set per application.

Each cache keeps a value for a fixed number of seconds under its key. While one request
computes a key, the others asking for it wait for that result instead of computing it again.
The caches hang off the app, so two apps (two stores, two tracker databases) never see each
other's figures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request

_apps_lock = threading.Lock()


class TtlCache:
    """Values kept for `seconds` under their keys; at most `entries` at once.

    A value may carry the version of the data it was computed from. Asked with another version,
    the cache computes the value again, unless the value it has is younger than `settle`
    seconds; and while that computation runs, other requests for the key get the value it
    replaces rather than queueing behind it. Under a stream of changes each key is thus
    computed by one request at a time, at most once per `settle` seconds, instead of by every
    reader for every change; a value is at most `settle` seconds (and one computation) behind.
    """

    def __init__(self, seconds: float, entries: int = 64, settle: float = 0.0) -> None:
        self.seconds, self.entries, self.settle = seconds, entries, settle
        self._values: dict[Any, tuple[float, Any, Any]] = {}  # expiry, version, value
        self._computing: dict[Any, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any], version: Any = None) -> Any:
        hit = self._fresh(key)
        if hit is not None and (hit[0] == version or self._settling(key)):
            return hit[1]
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        if hit is not None and not key_lock.acquire(blocking=False):
            return hit[1]  # an older version, while another request computes the new one
        if hit is None:
            key_lock.acquire()
        try:
            again = self._fresh(key)
            if again is not None and again[0] == version:
                return again[1]
            value = compute()
            with self._lock:
                if len(self._values) >= self.entries:
                    self._values.clear()
                self._values[key] = (time.monotonic() + self.seconds, version, value)
            return value
        finally:
            key_lock.release()

    def _settling(self, key: Any) -> bool:
        """Whether the value under `key` was computed less than `settle` seconds ago."""
        with self._lock:
            hit = self._values.get(key)
        return hit is not None and time.monotonic() < hit[0] - self.seconds + self.settle

    def _fresh(self, key: Any) -> tuple[Any, Any] | None:
        """The version and value kept under `key`, if not expired."""
        with self._lock:
            hit = self._values.get(key)
        if hit is None or hit[0] <= time.monotonic():
            return None
        return hit[1], hit[2]


def app_cache(
    request: Request, name: str, seconds: float, entries: int = 64, settle: float = 0.0
) -> TtlCache:
    """The app's own cache called `name`, made on first use."""
    state = request.app.state
    with _apps_lock:
        caches = getattr(state, "caches", None)
        if caches is None:
            caches = state.caches = {}
        if name not in caches:
            caches[name] = TtlCache(seconds, entries, settle)
        cache: TtlCache = caches[name]
        return cache
