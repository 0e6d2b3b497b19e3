"""Files and folders the command line cannot use are one clear line, never a traceback: `yuqing
load` reads line by line, keeps the good lines, quarantines each bad one with its reason and
ends with one summary line; `yuqing report` names a folder it cannot write to (issue 12,
defect 13)."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from store.sqlite import SqlitePostStore


def post(n: int, text: str = "小区门口道路积水严重") -> dict[str, Any]:
    return {
        "id": f"in:{n}",
        "source": "export",
        "kind": "board",
        "text": text,
        "published_at": "2025-03-01T10:00:00+08:00",
    }


def line(data: dict[str, Any], encoding: str = "utf-8") -> bytes:
    return (json.dumps(data, ensure_ascii=False) + "\n").encode(encoding)


def summary(stdout: str) -> str:
    """The last line of the output, which must be the summary."""
    return stdout.strip().splitlines()[-1]


def quarantined(root: Path) -> list[dict[str, Any]]:
    (path,) = (root / "quarantine").glob("*.jsonl")
    return [json.loads(x) for x in path.read_text(encoding="utf-8").split("\n") if x]


def stored(root: Path) -> set[str]:
    return {hit.post.id for hit in SqlitePostStore(root / "posts.db").search(limit=100).hits}


def test_one_gbk_line_in_a_utf8_file_is_quarantined_and_the_good_lines_are_kept(
    run, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(line(post(1)) + line(post(2, "噪音扰民"), "gbk") + line(post(3)))

    result = run("load", str(path), "--no-analyse")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert summary(result.stdout).startswith(
        "mixed: 2 created, 0 updated, 0 unchanged, 1 rejected; rejected lines kept in "
    )
    assert result.stderr.rstrip().splitlines() == [
        "  line 2: not UTF-8 text (invalid continuation byte at byte 62);"
        " it reads as GB18030 (GBK): save the file as UTF-8"
    ]
    (record,) = quarantined(tmp_path)
    assert record["line"] == 2 and record["reason"].startswith("not UTF-8 text")
    assert record["raw"].startswith('{"id": "in:2"')  # the bytes that are not UTF-8 as \xNN
    assert stored(tmp_path) == {"in:1", "in:3"}


@pytest.mark.parametrize(
    ("encoding", "reason"),
    [
        ("gbk", "it reads as GB18030 (GBK): save the file as UTF-8"),
        ("utf-16", "the file looks like UTF-16: save it as UTF-8"),
        ("random", "not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_utf8_is_quarantined_line_by_line(
    run, tmp_path: Path, encoding: str, reason: str
) -> None:
    path = tmp_path / "export.jsonl"
    if encoding == "random":
        noise = random.Random(12)
        path.write_bytes(bytes(noise.randrange(256) for _ in range(20_000)))
    else:
        text = "".join(line(post(n, "拆迁补偿款没有到位")).decode() for n in range(3))
        path.write_bytes(text.encode(encoding))
    lines = path.read_bytes().count(b"\n") + 1

    result = run("load", str(path), "--no-analyse")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    rejected = len(quarantined(tmp_path))
    assert 0 < rejected <= lines
    assert summary(result.stdout).startswith(
        f"export: 0 created, 0 updated, 0 unchanged, {rejected} rejected; rejected lines kept in "
    )
    assert reason in result.stderr.splitlines()[0]
    assert stored(tmp_path) == set()


def test_a_lone_surrogate_is_quarantined_with_its_reason_beside_the_good_lines(
    run, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    surrogate = '{"id": "in:2", "source": "export", "kind": "board", "text": "坏\\ud800字",'
    surrogate += ' "published_at": "2025-03-01T10:00:00+08:00"}\n'
    bad_id = '{"id": "\\udfff"}\n'
    path.write_bytes(line(post(1)) + surrogate.encode() + bad_id.encode() + line(post(3)))

    result = run("load", str(path), "--no-analyse")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert summary(result.stdout).startswith("posts: 2 created, 0 updated, 0 unchanged, 2 rejected")
    records = quarantined(tmp_path)
    assert [(r["line"], r["reason"]) for r in records] == [
        (2, "not text: a lone surrogate (\\ud800) cannot be stored"),
        (3, "not text: a lone surrogate (\\udfff) cannot be stored"),
    ]
    assert records[0]["raw"] == surrogate.rstrip("\n")
    assert stored(tmp_path) == {"in:1", "in:3"}


@pytest.mark.parametrize("where", ["/proc/forbidden", "a-file/reports"])
def test_a_report_folder_that_cannot_be_written_is_one_line(
    run, tmp_path: Path, where: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    out = where if where.startswith("/") else str(tmp_path / where)

    result = run("report", "daily", "--date", "2025-03-10", "--out", out)

    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    (message,) = result.stderr.strip().splitlines()
    assert message.startswith(f"error: cannot write the report to {out}: ")
    assert not os.path.exists(out)
