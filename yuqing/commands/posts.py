"""Commands on the stored posts: load, search, stats, retention."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from core.errors import YuqingError
from yuqing import wiring


def load(
    path: Annotated[Path, typer.Argument(help="A JSON-lines file, one post per line.")],
    analyse: Annotated[
        bool, typer.Option("--analyse/--no-analyse", help="Score and segment.")
    ] = True,
) -> None:
    """Load posts from a JSON-lines file of UTF-8 text, line by line: the good lines are
    stored, the bad ones kept in the quarantine with their reasons; one summary line at the
    end."""
    from yuqing.loading import load_posts, read_jsonl

    if not path.is_file():
        raise YuqingError(f"{path} is not a file")
    settings = wiring.command_settings()
    label = path.stem
    post_store = wiring.store(settings)
    with typer.progressbar(length=_lines(path), label=f"loading {label}") as bar:
        report = load_posts(
            post_store,
            read_jsonl(path),
            analyzer=wiring.analyzer(settings, post_store) if analyse else None,
            quarantine_dir=settings.resolve(settings.data_dir) / "quarantine",
            label=label,
            progress=bar.update,
        )
    for item in report.rejected[:10]:
        typer.echo(f"  line {item.line}: {item.reason}", err=True)
    if report.failed > 10:
        typer.echo(f"  and {report.failed - 10} more", err=True)
    kept = f"; rejected lines kept in {report.quarantine}" if report.quarantine else ""
    typer.echo(
        f"{label}: {report.created} created, {report.updated} updated,"
        f" {report.unchanged} unchanged, {report.failed} rejected{kept}"
    )


def _lines(path: Path) -> int:
    """How many lines the file has, for the progress bar (a read of the bytes, no parsing)."""
    try:
        with path.open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError as exc:
        raise YuqingError(f"cannot read {path}: {exc.strerror}") from exc


def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", AND / OR / NOT.')] = "",
    source: Annotated[list[str] | None, typer.Option(help="Only these sources.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="news, board, microblog, hotline.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Published at or after.")] = None,
    until: Annotated[datetime | None, typer.Option(help="Published before.")] = None,
    sort: Annotated[str, typer.Option(help="time or relevance.")] = "time",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Search the stored posts."""
    from pydantic import ValidationError

    from core.timezone import SHANGHAI
    from store.models import PostFilter, SortOrder

    try:
        filters = PostFilter(
            sources=source or None,
            kinds=kind or None,
            published_from=since.replace(tzinfo=since.tzinfo or SHANGHAI) if since else None,
            published_to=until.replace(tzinfo=until.tzinfo or SHANGHAI) if until else None,
        )
        order = SortOrder(sort)
    except (ValidationError, ValueError) as exc:
        raise YuqingError(f"bad search option: {exc}") from exc
    page = wiring.store(wiring.command_settings()).search(
        query, filters=filters, sort=order, limit=limit
    )
    for hit in page.hits:
        post = hit.post
        if as_json:
            typer.echo(post.model_dump_json())
            continue
        when = post.published_at.strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{when}  {post.source:<12} {post.id}  {post.title}")
        text = hit.snippet.replace("<mark>", "[").replace("</mark>", "]")
        typer.echo(f"    {text}")
    if not as_json:
        typer.echo(f"{page.total} posts match")


def stats() -> None:
    """Counts of stored posts by source and sentiment band."""
    agg = wiring.store(wiring.command_settings()).aggregate(top_keywords=10)
    typer.echo(f"posts: {agg.total}")
    for title, buckets in (
        ("by source", agg.by_source),
        ("by sentiment", agg.by_sentiment),
        ("top keywords", agg.top_keywords),
    ):
        typer.echo(f"{title}: " + ", ".join(f"{b.key} {b.count}" for b in buckets))


def retention(
    days: Annotated[int, typer.Option(min=1, help="Keep posts published within this many days.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop posts published more than DAYS days ago."""
    if not yes:
        typer.confirm(f"Delete every post published more than {days} days ago?", abort=True)
    dropped = wiring.store(wiring.command_settings()).drop_older_than(days)
    typer.echo(f"dropped {dropped} posts")
