"""`yuqing sources`: check the sources file, and print every key each kind accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.errors import YuqingError
from core.settings import get_settings


def check(
    file: Annotated[
        Path | None, typer.Option(help="A sources file [default: crawler.sources_file].")
    ] = None,
) -> None:
    """Validate the sources file: a misspelt or unknown key is named with the keys known in
    its place, and exit status 2; every other command refuses to start on the same error."""
    from crawler.sources import load_sources

    path = file or get_settings().crawler.sources_file
    sources = load_sources(path)
    by_kind: dict[str, list[str]] = {}
    for source in sources.values():
        by_kind.setdefault(source.kind, []).append(source.name)
    typer.echo(f"{path}: {len(sources)} sources, every key known")
    for kind, names in by_kind.items():
        typer.echo(f"  {kind}: {', '.join(names)}")


def schema(
    kind: Annotated[
        str | None, typer.Argument(help="news, board, microblog or hotline [default: all].")
    ] = None,
) -> None:
    """Every key a kind of source accepts, with its type, default and meaning, from the same
    models that validate the sources file."""
    from crawler.source_schema import KINDS, schema_text

    if kind is not None and kind not in KINDS:
        raise YuqingError(f"no kind {kind!r}; the kinds are {', '.join(KINDS)}")
    typer.echo(schema_text(kind), nl=False)
