"""The installed `yuqing` command, run as a user would run it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.timezone import SHANGHAI
from tests.factories import OUTAGE


def posts_file(tmp_path: Path) -> Path:
    lines = [
        {
            "id": "cli:1",
            "source": "board",
            "kind": "board",
            "title": "拆迁补偿",
            "text": "拆迁补偿款没有到位",
            "published_at": "2025-03-01T10:00:00+08:00",
        },
        "not json at all",
        {
            "id": "cli:2",
            "source": "board",
            "kind": "unknown-kind",
            "published_at": "2025-03-01T10:00:00+08:00",
        },
        {
            "id": "cli:3",
            "source": "weibo",
            "kind": "microblog",
            "text": "道路积水",
            "published_at": "2025-03-01T11:00:00+08:00",
        },
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines),
        encoding="utf-8",
    )
    return path


def test_help_lists_every_command(run) -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in (
        "demo",
        "serve",
        "scheduler",
        "load",
        "search",
        "stats",
        "retention",
        "config",
        "db",
        "user",
        "analyze",
        "hot-issues",
        "train-sentiment",
        "eval-sentiment",
    ):
        assert command in result.stdout


def test_analyze_then_hot_issues_json_shows_members_score_and_explanation(
    run, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    lines = [
        {"id": f"cli:w{i}", "source": f"src-{kind}", "kind": kind, "text": text,
         "published_at": (now - timedelta(minutes=50 - 4 * i)).isoformat()}
        for i, (kind, text) in enumerate(OUTAGE)
    ]  # fmt: skip
    path = tmp_path / "burst.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    assert run("load", str(path)).returncode == 0

    analyzed = run("analyze", "--json", YUQING_ALERTS__THRESHOLD="50")
    assert analyzed.returncode == 0, analyzed.stderr
    figures = json.loads(analyzed.stdout.strip().splitlines()[-1])
    assert figures["scanned"] == len(OUTAGE) and figures["flagged"] == 1

    shown = run("hot-issues", "--json")
    assert shown.returncode == 0, shown.stderr
    [hot] = json.loads(shown.stdout)
    assert {m["post_id"] for m in hot["members"]} == {x["id"] for x in lines}
    assert hot["score"] >= 50 and hot["first_seen"] and hot["flagged_at"]
    assert any(line.startswith(f"突发：近1小时{len(OUTAGE)}条") for line in hot["explanation"])


def test_a_backfill_of_history_lists_the_topics_that_were_hot_then(run, tmp_path: Path) -> None:
    then = datetime(2024, 7, 1, 10, 0, tzinfo=SHANGHAI)
    lines = [
        {"id": f"cli:h{i}", "source": f"src-{kind}", "kind": kind, "text": text,
         "published_at": (then + timedelta(minutes=4 * i)).isoformat()}
        for i, (kind, text) in enumerate(OUTAGE)
    ]  # fmt: skip
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    assert run("load", str(path)).returncode == 0

    analyzed = run("analyze", "--json")  # at the wall clock, long after the history
    assert analyzed.returncode == 0, analyzed.stderr
    assert json.loads(analyzed.stdout.strip().splitlines()[-1])["flagged"] == 1

    shown = run("hot-issues", "--all", "--json")
    assert shown.returncode == 0, shown.stderr
    [hot] = json.loads(shown.stdout)
    assert hot["score"] == 0 and hot["peak_score"] >= 60  # the shipped alert threshold
    assert hot["peak_at"].startswith("2024-07-01T03:")  # the hour the burst peaked, in UTC
    listed = run("hot-issues", "--all")
    assert "[当前 0] " in listed.stdout and "峰值" in listed.stdout, listed.stdout
    assert "（2024-07-01 11:00）" in listed.stdout


def test_load_stores_good_lines_and_quarantines_bad_ones(run, tmp_path: Path) -> None:
    result = run("load", str(posts_file(tmp_path)), "--no-analyse")
    assert result.returncode == 0, result.stderr
    assert "2 created, 0 updated, 0 unchanged, 2 rejected" in result.stdout
    assert "line 2: not valid JSON" in result.stderr
    assert "line 3: kind" in result.stderr
    quarantined = list((tmp_path / "quarantine").glob("posts-*.jsonl"))
    assert len(quarantined) == 1
    rows = [json.loads(x) for x in quarantined[0].read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [2, 3]

    found = run("search", '"拆迁补偿"')
    assert found.returncode == 0, found.stderr
    assert "cli:1" in found.stdout and "[拆迁补偿]" in found.stdout
    assert "1 posts match" in found.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("load", "/nonexistent/file.jsonl"), "is not a file"),
        (("search", '"unclosed'), "unclosed quote"),
        (("search", "x", "--sort", "sideways"), "bad search option"),
    ],
)
def test_bad_input_is_one_clear_line_not_a_traceback(run, args, message) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("query", ["(" * 330 + "拆迁" + ")" * 330, "NOT " * 50 + "拆迁"])
def test_a_deeply_nested_search_is_one_line_not_a_traceback(run, query: str) -> None:
    result = run("search", query)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: parentheses and NOT may be nested at most 8 deep"
    ], result.stderr


def test_option_validation_is_reported_by_the_cli(run) -> None:
    result = run("retention", "--days", "0", "--yes")
    assert result.returncode == 2
    assert "--days" in result.stderr and "Traceback" not in result.stderr


def test_every_mode_refuses_the_shipped_secret(run) -> None:
    for env in ("production", "development"):
        result = run("config", YUQING_ENV=env, YUQING_SECRET_KEY="dev-only-secret-change-me")
        assert result.returncode == 2
        assert "refuses the shipped default for YUQING_SECRET_KEY" in result.stderr


def test_config_hides_secrets(run, tmp_path) -> None:
    result = run("config")
    assert result.returncode == 0
    shown = json.loads(result.stdout)
    assert shown["secret_key"] == "**********"
    # None configured: the one made on first start, kept in the data directory.
    assert (tmp_path / "secret_key").read_text().strip() not in result.stdout
    assert shown["store"]["backend"] == "sqlite"
