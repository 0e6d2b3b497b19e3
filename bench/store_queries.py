"""The scale run's requests: mixed searches (phrases, boolean queries, filters, both sorts, pages
deep through the cursor) and aggregations, timed through the store and through a reference."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from store_data import PHRASE_NAMES, PLACE_NAMES, SUBJECT_NAMES

from store.base import PostStore
from store.models import Interval, PostFilter, SortOrder

DEEP_PAGES = 12
PAGE_SIZE = 20


@dataclass(frozen=True)
class SearchCase:
    group: str  # phrase, boolean, filtered, relevance, browse, deep
    query: str
    filters: PostFilter | None
    sort: SortOrder
    pages: int = 1


@dataclass(frozen=True)
class AggCase:
    label: str
    query: str
    filters: PostFilter


@dataclass
class Sample:
    group: str
    page: int  # 1 for a first page
    ms: float
    sort: str = ""


def window(end: datetime, days: float, **more: object) -> PostFilter:
    return PostFilter.model_validate(
        {"published_from": end - timedelta(days=days), "published_to": end, **more}
    )


def search_round(r: int, end: datetime) -> list[SearchCase]:
    """One round of requests; each round takes other words and windows, so that no two
    rounds repeat a request."""
    s, s2 = SUBJECT_NAMES[r % 14], SUBJECT_NAMES[(r + 5) % 14]
    p, f = PLACE_NAMES[(r * 3) % 14], PHRASE_NAMES[r % 13]
    last = end - timedelta(hours=7 * r)
    t, rel = SortOrder.TIME, SortOrder.RELEVANCE
    both = ["weibo", "12345"]
    return [
        SearchCase("phrase", f'"{s}"', None, t),
        SearchCase("phrase", f'"{f}"', None, t),
        SearchCase("boolean", f"{p} {s}", None, t),
        SearchCase("boolean", f"{s} OR {s2}", None, t),
        SearchCase("boolean", f"{s} NOT {p}", None, t),
        SearchCase("boolean", f'({s} OR {s2}) "{f}"', None, t),
        SearchCase("filtered", s, PostFilter(sources=both), t),
        SearchCase("filtered", s, window(last, 7), t),
        SearchCase("filtered", p, PostFilter(sentiment_max=0.4), t),
        SearchCase(
            "filtered", f"{s} OR {s2}", window(last, 30, sources=both, sentiment_min=0.6), t
        ),
        SearchCase("relevance", f'"{s}"', None, rel),
        SearchCase("relevance", f"{p} {s}", PostFilter(sources=both), rel),
        SearchCase("browse", "", PostFilter(sources=["board"]), t),
        SearchCase("deep", s2, None, t, DEEP_PAGES),
        SearchCase("deep", f"{s} OR {p}", None, rel, DEEP_PAGES),
        SearchCase("deep", "", window(last, 30), t, DEEP_PAGES),
    ]


def search_cases(queries: int, end: datetime) -> list[SearchCase]:
    """Rounds of requests until they make at least `queries` pages."""
    cases: list[SearchCase] = []
    r = 0
    while sum(c.pages for c in cases) < queries:
        cases += search_round(r, end)
        r += 1
    return cases


def agg_cases(rounds: int, end: datetime) -> list[AggCase]:
    cases = []
    for r in range(rounds):
        last = end - timedelta(hours=5 * r)
        s = SUBJECT_NAMES[r % 14]
        cases += [
            AggCase("30 days", "", window(last, 30)),
            AggCase("30 days, a word", s, window(last, 30)),
            AggCase("30 days, 2 sources", "", window(last, 30, sources=["weibo", "board"])),
            AggCase("7 days, negative", "", window(last, 7, sentiment_max=0.4)),
        ]
    return cases


def store_pages(store: PostStore, case: SearchCase) -> Iterator[float]:
    """Milliseconds of each page of the case, following the cursor."""
    cursor = None
    for _ in range(case.pages):
        started = time.perf_counter()
        page = store.search(
            case.query, filters=case.filters, sort=case.sort, limit=PAGE_SIZE, cursor=cursor
        )
        yield (time.perf_counter() - started) * 1000
        cursor = page.next_cursor
        if cursor is None:
            return


def time_store_search(store: PostStore, cases: list[SearchCase]) -> list[Sample]:
    samples = []
    for case in cases:
        for page, ms in enumerate(store_pages(store, case), start=1):
            samples.append(Sample(case.group, page, ms, case.sort.value))
    return samples


def time_reference(run: Callable[[SearchCase], object], cases: list[SearchCase]) -> list[Sample]:
    """The reference's first page of each case, once for every page the store was timed on."""
    samples = []
    for case in cases:
        for page in range(1, case.pages + 1):
            started = time.perf_counter()
            run(case)
            samples.append(Sample(case.group, page, (time.perf_counter() - started) * 1000))
    return samples


def time_aggregations(run: Callable[[AggCase], object], cases: list[AggCase]) -> list[Sample]:
    samples = []
    for case in cases:
        started = time.perf_counter()
        run(case)
        samples.append(Sample(case.label, 1, (time.perf_counter() - started) * 1000))
    return samples


def store_aggregate(store: PostStore) -> Callable[[AggCase], object]:
    def run(case: AggCase) -> object:
        found = store.aggregate(
            case.query, filters=case.filters, interval=Interval.HOUR, top_keywords=20
        )
        if not found.volume or not found.top_keywords:
            raise SystemExit(f"aggregation {case.label} found nothing: {found.total} posts")
        return found

    return run


def p50_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def describe(samples: list[Sample]) -> str:
    p50, p95 = p50_p95([s.ms for s in samples])
    return f"p50={p50:.1f} ms p95={p95:.1f} ms"


def search_lines(ours: list[Sample], reference: list[Sample], target_ms: float) -> list[str]:
    _, p95 = p50_p95([s.ms for s in ours])
    verdict = "met" if p95 <= target_ms else "MISSED"
    lines = [
        f"search        {describe(ours)} over {len(ours)} requests"
        f" (raw first page {describe(reference)}); target p95 <= {target_ms:.0f} ms: {verdict}"
    ]
    firsts = [s for s in ours if s.page == 1]
    groups = dict.fromkeys(s.group for s in firsts)
    for group in groups:
        mine = [s for s in firsts if s.group == group]
        ref = [s for s in reference if s.group == group and s.page == 1]
        lines.append(
            f"  first pages, {group:<10} {describe(mine)} ({len(mine)})   raw {describe(ref)}"
        )
    for sort in SortOrder:
        later = [s for s in ours if s.page > 1 and s.sort == sort.value]
        deep = [s for s in later if s.page >= 10]
        if later:
            lines.append(
                f"  by {sort.value:<9} pages 2-{DEEP_PAGES} {describe(later)} ({len(later)}),"
                f" pages 10-{DEEP_PAGES} {describe(deep)} ({len(deep)})"
            )
    return lines


def aggregation_lines(ours: list[Sample], reference: list[Sample], target_ms: float) -> list[str]:
    _, p95 = p50_p95([s.ms for s in ours])
    verdict = "met" if p95 <= target_ms else "MISSED"
    lines = [
        f"aggregations  {describe(ours)} over {len(ours)} calls"
        f" (raw {describe(reference)}); target p95 <= {target_ms:.0f} ms: {verdict}"
    ]
    for label in dict.fromkeys(s.group for s in ours):
        mine = [s for s in ours if s.group == label]
        ref = [s for s in reference if s.group == label]
        lines.append(f"  {label:<20} {describe(mine)}   raw {describe(ref)}")
    return lines
