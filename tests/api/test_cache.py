"""The figures cache: a change is seen by the next request, and while one request computes a
key again the others get the value before the change instead of computing it too."""

from __future__ import annotations

import threading
import time

from api.cache import TtlCache


def test_a_new_version_is_computed_and_the_same_version_is_kept() -> None:
    cache = TtlCache(seconds=60)
    calls: list[int] = []

    def compute(version: int) -> str:
        calls.append(version)
        return f"figures of {version}"

    assert cache.get("q", lambda: compute(1), version=1) == "figures of 1"
    assert cache.get("q", lambda: compute(1), version=1) == "figures of 1"
    assert cache.get("q", lambda: compute(2), version=2) == "figures of 2"
    assert calls == [1, 2]


def test_while_one_request_computes_a_new_version_the_others_get_the_last_one() -> None:
    cache = TtlCache(seconds=60)
    cache.get("q", lambda: "before", version=1)
    started, release = threading.Event(), threading.Event()
    got: list[str] = []

    def slow() -> str:
        started.set()
        assert release.wait(timeout=10)
        return "after"

    computing = threading.Thread(target=lambda: got.append(cache.get("q", slow, version=2)))
    computing.start()
    assert started.wait(timeout=10)
    # Another reader of the new version does not compute it again, nor wait for it.
    assert cache.get("q", lambda: "computed twice", version=2) == "before"
    release.set()
    computing.join(timeout=10)
    assert got == ["after"]
    assert cache.get("q", lambda: "computed twice", version=2) == "after"


def test_a_key_never_computed_waits_for_the_one_computing_it() -> None:
    cache = TtlCache(seconds=60)
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow() -> str:
        calls.append("slow")
        started.set()
        assert release.wait(timeout=10)
        return "figures"

    first = threading.Thread(target=lambda: cache.get("q", slow, version=1))
    first.start()
    assert started.wait(timeout=10)
    got: list[str] = []
    second = threading.Thread(target=lambda: got.append(cache.get("q", slow, version=1)))
    second.start()
    release.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert got == ["figures"]
    assert calls == ["slow"]


def test_a_new_version_waits_until_the_value_has_settled() -> None:
    cache = TtlCache(seconds=60, settle=0.3)
    cache.get("q", lambda: "before", version=1)
    # Changed again at once: the value is young, so it stands for now.
    assert cache.get("q", lambda: "after", version=2) == "before"
    time.sleep(0.35)
    assert cache.get("q", lambda: "after", version=2) == "after"
