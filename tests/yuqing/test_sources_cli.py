"""`yuqing sources check` and `yuqing sources schema`: a sources file is checked key by key, and
every key each kind accepts is printed from the models that check it."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.source_options import MAPPABLE_FIELDS
from crawler.source_schema import KINDS, schema_text

GOOD = """\
sources:
  - name: city-weibo
    kind: microblog
    api_url: https://m.weibo.cn/api/container/getIndex?containerid=1076031669879400
    items_path: data.cards
    item_path: mblog
    pagination: {type: page, param: page}
    url_template: https://m.weibo.cn/status/{id}
    fields: {id: id, text: text, published_at: created_at, author: user.screen_name}
  - name: city-board-export
    kind: board
    export:
      format: xlsx
      sheets: all
      columns:
        id: 留言编号
        published_at: {at: 留言时间, time_formats: ["%m/%d/%Y %H:%M"]}
        text: 留言详情
"""


def test_a_good_file_is_reported_by_kind(run, tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = run("sources", "check", "--file", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{path}: 2 sources, every key known",
        "  microblog: city-weibo",
        "  board: city-board-export",
    ]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        # A key a JSON board API has, mapped where the microblog kind reads it.
        (
            ("author: user.screen_name}", "author: user.screen_name, titel: title}"),
            "source city-weibo (microblog), fields: unknown fields key 'titel'; known keys: id,",
        ),
        (
            ("    url_template:", "    url_templat:"),
            "source city-weibo (microblog), url_templat: unknown key 'url_templat'; known keys"
            " here: name, title, enabled",
        ),
        (
            ("      sheets: all", "      sheet: all"),
            "source city-board-export (board), export.sheet: unknown key 'sheet'; known keys"
            " here: url, format, encoding, sheets, columns",
        ),
    ],
)
def test_an_unknown_key_is_named_with_the_known_ones_and_every_command_refuses_it(
    run, tmp_path: Path, change: tuple[str, str], named: str
) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    checked = run("sources", "check", "--file", str(path))
    assert checked.returncode == 2
    assert named in checked.stderr, checked.stderr
    # Any command, not only the crawl: the file is checked as every command starts.
    for command in (["stats"], ["hot-issues"], ["crawl", "--all"]):
        refused = run(*command, YUQING_CRAWLER__SOURCES_FILE=str(path))
        assert refused.returncode == 2, (command, refused.stdout)
        assert named in refused.stderr, refused.stderr


def test_the_schema_lists_every_key_of_a_kind_from_its_model(run) -> None:
    result = run("sources", "schema", "microblog")
    assert result.returncode == 0, result.stderr
    keys = {line.split(":")[0].strip() for line in result.stdout.splitlines() if ":" in line}
    model = KINDS["microblog"]
    assert {field.alias or name for name, field in model.model_fields.items()} - {"kind"} <= keys
    # Nested options and the post fields a mapping may fill are there too.
    assert {"when_path", "text_path", "json_equals", "headers_from_env"} <= keys
    assert set(MAPPABLE_FIELDS) <= keys
    assert "  refresh_hours: float  = 0" in result.stdout.splitlines()
    assert run("sources", "schema", "tweets").returncode == 2


def test_the_whole_schema_covers_every_kind() -> None:
    text = schema_text()
    assert [line for line in text.splitlines() if line.startswith("kind:")] == [
        f"kind: {kind}" for kind in KINDS
    ]
