"""Leases in the tracker database: what several workers agree on, on SQLite and PostgreSQL,
tried with concurrent takers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.database import make_engine, make_session_factory
from api.hot_issues import nudge, state
from api.leases import service as leases
from api.leases.leader import Leadership
from api.migrating import migrate
from api.sources.models import CrawlRun
from api.sources.recorder import DatabaseRunRecorder
from crawler.runs import SourceBusy


@pytest.fixture
def factory(tracker_url: str) -> sessionmaker[Session]:
    engine = make_engine(tracker_url)
    migrate(engine)
    return make_session_factory(engine)


def test_one_of_many_concurrent_takers_gets_a_lease(factory: sessionmaker[Session]) -> None:
    barrier = threading.Barrier(8)

    def take(n: int) -> bool:
        barrier.wait()
        return leases.try_acquire(factory, "crawl:board", f"w{n}", 30) is not None

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(take, range(8))) == 1


def test_a_lapsed_lease_is_taken_over_and_its_holder_named(
    factory: sessionmaker[Session],
) -> None:
    past = datetime.now(UTC) - timedelta(seconds=60)
    assert leases.try_acquire(factory, "leader", "dead", 30, now=past) is not None
    assert leases.holder_of(factory, "leader") is None  # it lapsed 30 s ago
    taken = leases.try_acquire(factory, "leader", "alive", 30)
    assert taken is not None and taken.previous == "dead"
    assert not leases.renew(factory, "leader", "dead", 30)  # the dead one cannot renew it
    assert leases.try_acquire(factory, "leader", "third", 30) is None
    assert leases.holder_of(factory, "leader") == "alive"
    leases.release(factory, "leader", "alive")
    assert leases.try_acquire(factory, "leader", "third", 30) is not None


def test_work_done_once_is_done_by_one_worker_only(factory: sessionmaker[Session]) -> None:
    barrier = threading.Barrier(6)
    done: list[int] = []

    def claim(n: int) -> None:
        barrier.wait()
        with leases.once(factory, "daily-brief:2026-12-03", f"w{n}", 60) as mine:
            if mine:
                time.sleep(0.2)
                done.append(n)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(claim, range(6)))
    assert len(done) == 1
    # done for good: a worker starting later does not do it again
    with leases.once(factory, "daily-brief:2026-12-03", "late", 60) as mine:
        assert not mine


def test_work_that_failed_is_given_back_for_another_try(factory: sessionmaker[Session]) -> None:
    with (
        pytest.raises(RuntimeError),
        leases.once(factory, "daily-brief:2026-12-04", "a", 60) as mine,
    ):
        assert mine
        raise RuntimeError("the store was down")
    with leases.once(factory, "daily-brief:2026-12-04", "b", 60) as mine:
        assert mine


def test_a_source_is_crawled_by_one_worker_and_picked_up_after_a_dead_one(
    tracker_url: str,
) -> None:
    first = DatabaseRunRecorder(tracker_url, worker="one", lease_seconds=2)
    second = DatabaseRunRecorder(tracker_url, worker="two", lease_seconds=2)
    run_id, _ = first.start("board")
    with pytest.raises(SourceBusy, match="board is being crawled by one#"):
        second.start("board")
    # Worker one dies: its heartbeat stops and nothing gives the lease back.
    first._beats.pop("board").stop()
    deadline = time.monotonic() + 10
    while True:
        try:
            taken_id, _ = second.start("board")
            break
        except SourceBusy:
            assert time.monotonic() < deadline, "the dead worker's lease never lapsed"
            time.sleep(0.2)
    second.finish(taken_id, "board", {"status": "ok", "items_seen": 3}, None)
    with second.factory() as session:
        lost, taken = session.get(CrawlRun, run_id), session.get(CrawlRun, taken_id)
        assert lost is not None and taken is not None
        assert lost.status == "failed" and "one#" in (lost.message or "")
        assert taken.status == "ok" and (taken.worker or "").startswith("two#")
    # A run moments ago by anyone: a scheduled crawl of the same source is skipped.
    with pytest.raises(SourceBusy, match="crawled 0 s ago"):
        first.start("board", not_within=60)
    first.close()
    second.close()


def test_the_lead_passes_within_the_lease_when_the_leader_stops(
    factory: sessionmaker[Session],
) -> None:
    leases.name_this_process("leader-a")
    gained: list[str | None] = []
    a = Leadership(factory, 1.5, on_gain=gained.append)
    assert a.step() and a.leading
    # The leader held the clustering lease when it died.
    with state.lease(factory):
        pass
    holder_a = a.holder
    leases.name_this_process("leader-b")
    b = Leadership(factory, 1.5, on_gain=lambda previous: gained.append(previous))
    assert not b.step()
    started = time.monotonic()
    while not b.step():  # a is "killed": it renews no more
        time.sleep(0.1)
    assert time.monotonic() - started <= 1.5 + 0.5
    assert gained == [None, holder_a] and b.current() == b.holder
    # a comes back from a long pause: it no longer leads
    assert not a.step() and not a.leading


def test_a_dead_leaders_clustering_lease_is_freed_by_the_next_leader(
    factory: sessionmaker[Session],
) -> None:
    leases.name_this_process("dead-leader")
    dead = leases.this_process()
    holding = state.lease(factory)
    holding.__enter__()  # and the process dies here, holding it
    leases.name_this_process("next-leader")
    assert state.free_lease_of(factory, "someone-else") is False
    assert state.free_lease_of(factory, dead) is True
    with state.lease(factory, wait_seconds=1):
        pass


def test_stored_posts_wake_the_listener(factory: sessionmaker[Session]) -> None:
    woken = threading.Event()
    engine = factory.kw["bind"]
    listener = nudge.Listener(engine, factory, lambda why: woken.set(), poll_seconds=0.2)
    listener.start()
    try:
        assert listener.listening.wait(10)
        assert not woken.wait(0.5)
        nudge.nudge(factory, "board", 12)
        assert woken.wait(5), "no nudge arrived"
    finally:
        listener.stop()
