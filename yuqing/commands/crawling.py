"""Commands that bring posts in through a source: crawl, import."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from core.errors import YuqingError
from core.settings import Settings
from yuqing import wiring


def crawl(
    sources: Annotated[
        list[str] | None, typer.Argument(help="Source names from sources.yaml.")
    ] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Every enabled source.")] = False,
    not_within: Annotated[
        float | None,
        typer.Option(
            "--not-within",
            metavar="SECONDS",
            help="Skip a source whose last run began less than SECONDS ago (the scheduler's"
            " way of not crawling again what another worker just crawled).",
        ),
    ] = None,
) -> None:
    """Crawl sources once each and print a summary line per source; exit status 1 when a source
    or any item failed (rejected items are kept in the quarantine file named). A source another
    worker is crawling is skipped, and its line says by whom."""
    from crawler.runner import crawl as run_crawl
    from crawler.sources import load_sources

    settings = wiring.command_settings()
    names = list(sources or [])
    if all_sources:
        names += [s.name for s in load_sources(settings.crawler.sources_file).values() if s.enabled]
    if not names:
        raise YuqingError("name at least one source, or give --all")
    counter = _ItemCounter()
    post_store = wiring.store(settings)
    summaries = run_crawl(
        settings,
        list(dict.fromkeys(names)),
        recorder=wiring.recorder(settings),
        analyzer=wiring.analyzer(settings, post_store),
        store=post_store,
        on_item=counter,
        not_within=not_within,
    )
    counter.done()
    for summary in summaries:
        typer.echo(summary.line())
        for error in summary.errors[:5]:
            typer.echo(f"  {error}", err=True)
        if summary.quarantined:
            where = _quarantine_file(settings, summary.source)
            typer.echo(f"  {summary.quarantined} rejected items, reasons in {where}", err=True)
    # Exit status 1 when a source failed, met its login wall, or any item failed: a script or
    # the scheduler sees it.
    if any(s.status in ("failed", "auth_required") or s.failed or s.quarantined for s in summaries):
        raise typer.Exit(1)


def import_file(
    path: Annotated[Path, typer.Argument(help="A CSV, XLSX or JSON export.")],
    source: Annotated[
        str, typer.Option(help="The source whose export mapping applies (hotline, or board).")
    ],
) -> None:
    """Import a file through a source's export mapping: hotline work orders, or a board's
    exported messages (a board source with `export:`), each stored as its source's kind."""
    from crawler.runner import import_rows, pick_sources
    from crawler.tabular import read_file

    settings = wiring.command_settings()
    (config,) = pick_sources(settings, [source])
    if not path.is_file():
        raise YuqingError(f"{path} is not a file")
    # The secret key pseudonymises board authors; a source without an export is refused here.
    rows = read_file(path, config, author_key=settings.secret_key.get_secret_value())
    counter = _ItemCounter()
    post_store = wiring.store(settings)
    summary = import_rows(
        settings,
        source,
        rows,
        recorder=wiring.recorder(settings),
        analyzer=wiring.analyzer(settings, post_store),
        store=post_store,
        on_item=counter,
    )
    counter.done()
    typer.echo(summary.line())
    for error in summary.errors[:5]:
        typer.echo(f"  {error}", err=True)
    if summary.quarantined:
        where = _quarantine_file(settings, source)
        typer.echo(f"  {summary.quarantined} rejected rows, reasons in {where}", err=True)


def _quarantine_file(settings: Settings, source: str) -> Path:
    """Where a run of `source` keeps its rejected items."""
    from crawler.pipeline import Quarantine

    return Quarantine(settings.resolve(settings.crawler.quarantine_dir), source).path


class _ItemCounter:
    """A running count of items on the terminal; silent when output is not a terminal."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.live = sys.stderr.isatty()

    def __call__(self, source: str) -> None:
        self.counts[source] = self.counts.get(source, 0) + 1
        if self.live and sum(self.counts.values()) % 25 == 0:
            shown = "  ".join(f"{k}: {v}" for k, v in self.counts.items())
            sys.stderr.write(f"\r{shown} items")
            sys.stderr.flush()

    def done(self) -> None:
        if self.live and self.counts:
            sys.stderr.write("\n")
