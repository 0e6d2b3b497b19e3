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
    """Values kept for `seconds` under their keys; at most `entries` at once."""

    def __init__(self, seconds: float, entries: int = 64) -> None:
        self.seconds, self.entries = seconds, entries
        self._values: dict[Any, tuple[float, Any]] = {}
        self._computing: dict[Any, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        hit = self._fresh(key)
        if hit is not None:
            return hit[0]
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            hit = self._fresh(key)
            if hit is not None:
                return hit[0]
            value = compute()
            with self._lock:
                if len(self._values) >= self.entries:
                    self._values.clear()
                self._values[key] = (time.monotonic() + self.seconds, value)
                self._computing.pop(key, None)
            return value

    def _fresh(self, key: Any) -> tuple[Any] | None:
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return (hit[1],)
        return None


def app_cache(request: Request, name: str, seconds: float, entries: int = 64) -> TtlCache:
    """The app's own cache called `name`, made on first use."""
    state = request.app.state
    with _apps_lock:
        caches = getattr(state, "caches", None)
        if caches is None:
            caches = state.caches = {}
        if name not in caches:
            caches[name] = TtlCache(seconds, entries)
        cache: TtlCache = caches[name]
        return cache
