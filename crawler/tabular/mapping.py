"""A source's export mapping, settled once per file: each field's header, how its times read,
whose ids its links name, and the kind and author rule of the items it makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import ConfigError
from crawler.normalize import TimeReading
from crawler.source_options import TIME_FIELDS, Mapped, TableExport, where
from crawler.sources import AnySource, export_of

# (origin, raw item or None, why there is none)
Row = tuple[str, dict[str, Any] | None, str | None]

CONTENT_FIELDS = ("text", "title")


@dataclass(frozen=True)
class ExportMapping:
    """What reading one source's export needs to know, beyond the file itself."""

    source: str
    kind: str
    export: TableExport
    headers: dict[str, str]  # Post field -> the header as compared (`header_key`)
    readings: dict[str, TimeReading]  # time field -> its column's patterns, then the source's
    links: dict[str, str]  # repost_of / reply_to -> the source whose ids the column holds
    default_region: str | None
    # The product's secret key: board authors become keyed digests (`crawler.tabular.authors`).
    author_key: str | None

    @property
    def id_field(self) -> str:
        """The column that is each row's own number: `id` when mapped, else `case_no`."""
        return "id" if "id" in self.headers else "case_no"

    def required(self) -> list[list[str]]:
        """Headers a file must have, each as alternatives: the row's number, its time, content."""
        content = [self.headers[f] for f in CONTENT_FIELDS if f in self.headers]
        return [[self.headers[self.id_field]], [self.headers["published_at"]], content]


def mapping_of(source: AnySource, *, author_key: str | None) -> ExportMapping:
    """The export mapping of a source, or a `ConfigError` naming what the source lacks."""
    export = export_of(source)
    if export is None:
        read_from = "its HTML pages" if source.kind == "board" else "its feed or API"
        if source.kind == "board" and getattr(source, "api", None) is not None:
            read_from = "its JSON API (api:)"
        raise ConfigError(
            f"source {source.name} is a {source.kind} source read from {read_from}: it has no"
            " export mapping to import a file with. Import through a hotline source, or a board"
            " source with `export:` and its `columns:`"
        )
    if source.kind == "board" and "author" in export.columns and not author_key:
        raise ConfigError(
            f"source {source.name} maps an author column, and board authors are stored only"
            " as keyed pseudonyms: no key was given to make them with"
        )
    columns = export.columns
    return ExportMapping(
        source=source.name,
        kind=source.kind,
        export=export,
        headers={field: header_key(where(spec)) for field, spec in columns.items()},
        readings={
            field: _reading(spec, source.time_formats, source.dayfirst)
            for field, spec in columns.items()
            if field in TIME_FIELDS
        },
        links={
            field: (spec.source if isinstance(spec, Mapped) and spec.source else source.name)
            for field, spec in columns.items()
            if field in ("repost_of", "reply_to")
        },
        default_region=source.region,
        author_key=author_key,
    )


def _reading(spec: str | Mapped, formats: list[str], dayfirst: bool) -> TimeReading:
    """A column's own patterns come before the source's; its own day-first switch wins."""
    if isinstance(spec, str):
        return TimeReading(tuple(formats), dayfirst)
    return TimeReading(
        (*spec.time_formats, *formats), dayfirst if spec.dayfirst is None else spec.dayfirst
    )


def header_key(header: object) -> str:
    """A header as compared: exports pad headers with spaces, full-width ones included."""
    return "".join(str(header if header is not None else "").replace("\ufeff", "").split())
