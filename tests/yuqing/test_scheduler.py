"""The scheduler wiring: one job per scheduled source, never two runs of one at once."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.settings import load_settings
from yuqing.scheduler import build_scheduler


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
        "crawl:fast",
        "crawl:hourly",
    }
    assert jobs["analyze"].trigger.interval.total_seconds() == 45
    assert jobs["crawl:fast"].trigger.interval.total_seconds() == 600
    assert str(jobs["crawl:hourly"].trigger.fields[6]) == "5"  # the minute field
    for job in jobs.values():
        # A run still going when the next is due is not started twice; missed runs collapse.
        assert (job.max_instances, job.coalesce) == (1, True)
