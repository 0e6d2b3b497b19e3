"""The scheduler wiring: one job per scheduled source, never two runs of one at once."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.settings import load_settings
from crawler.sources import SourcesFile
from yuqing.scheduler import build_scheduler, not_within_seconds


def test_each_scheduled_source_gets_a_job_and_runs_do_not_overlap(tmp_path: Path) -> None:
    sources = {
        "sources": [
            {"name": "fast", "kind": "news", "feed_url": "http://127.0.0.1:1/rss",
             "schedule": {"interval_minutes": 10}},
            {"name": "hourly", "kind": "news", "feed_url": "http://127.0.0.1:1/rss",
             "schedule": {"cron": "5 * * * *"}},
            {"name": "manual", "kind": "news", "feed_url": "http://127.0.0.1:1/rss"},
            {"name": "off", "kind": "news", "feed_url": "http://127.0.0.1:1/rss",
             "enabled": False, "schedule": {"interval_minutes": 5}},
        ]
    }  # fmt: skip
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(sources), "utf-8")
    settings = load_settings(
        data_dir=tmp_path,
        store={"sqlite_path": tmp_path / "posts.db", "retention_days": 90},
        crawler={"sources_file": tmp_path / "sources.yaml"},
        analysis={"interval_seconds": 45},
    )
    scheduler = build_scheduler(settings)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "retention",
        "analyze",
        "clock-warnings",
        "daily-brief",
        "replay-spool",
        "crawl:fast",
        "crawl:hourly",
    }
    assert jobs["analyze"].trigger.interval.total_seconds() == 45
    assert jobs["crawl:fast"].trigger.interval.total_seconds() == 600
    assert str(jobs["crawl:hourly"].trigger.fields[6]) == "5"  # the minute field
    # Interval sources and the clustering job run as the worker starts; cron waits its time.
    assert jobs["crawl:fast"].next_run_time is not None
    assert jobs["analyze"].next_run_time is not None
    assert not hasattr(jobs["crawl:hourly"], "next_run_time")  # pending: computed at start
    assert {jobs["crawl:fast"].executor, jobs["crawl:hourly"].executor} == {"crawls"}
    for job in jobs.values():
        # A run still going when the next is due is not started twice; missed runs collapse.
        assert (job.max_instances, job.coalesce) == (1, True)


def test_a_worker_skips_a_source_another_worker_crawled_within_half_its_interval() -> None:
    parsed = SourcesFile.model_validate(
        {
            "sources": [
                {"name": "often", "kind": "news", "feed_url": "http://127.0.0.1:1/rss",
                 "schedule": {"interval_seconds": 20}},
                {"name": "fast", "kind": "news", "feed_url": "http://127.0.0.1:1/rss",
                 "schedule": {"interval_minutes": 10}},
                {"name": "hourly", "kind": "news", "feed_url": "http://127.0.0.1:1/rss",
                 "schedule": {"cron": "5 * * * *"}},
                {"name": "twice-a-day", "kind": "news", "feed_url": "http://127.0.0.1:1/rss",
                 "schedule": {"cron": "0 8,20 * * *"}},
            ]
        }
    )  # fmt: skip
    assert {s.name: not_within_seconds(s) for s in parsed.sources} == {
        "often": 10,
        "fast": 300,
        "hourly": 1800,
        "twice-a-day": 6 * 3600,
    }
