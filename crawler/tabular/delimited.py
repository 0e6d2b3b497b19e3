"""CSV exports as table rows: the encoding is settled on a sample, then each line is decoded.

Lines are split on bytes, which is safe for UTF-8, GBK, GB18030 and Big5 (no byte of a
multi-byte character is a newline). A line that does not decode marks its row as bad instead
of ending the file, so one damaged row costs one row.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from core.errors import ConfigError, ExportError
from crawler.normalize import detect_encoding
from crawler.tabular.mapping import ExportMapping
from crawler.tabular.tables import TableRow

SAMPLE_BYTES = 256 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Files labelled GBK or GB2312 routinely hold characters only GB18030 has.
_WIDER = {"gbk": "gb18030", "gb2312": "gb18030"}


def csv_rows(
    stream: BinaryIO, head: bytes, mapping: ExportMapping, name: str
) -> Iterator[TableRow]:
    """Every CSV record with the physical lines it spans; blank lines come as empty rows."""
    encoding = choose_encoding(head, mapping, name)
    bad: dict[int, str] = {}
    reader = csv.reader(_lines(stream, encoding, bad), delimiter=_delimiter(head, encoding))
    start = 1
    while True:
        try:
            cells: list[str] | None = next(reader)
            problem = None
        except StopIteration:
            return
        except csv.Error as exc:
            cells, problem = None, f"not a well-formed CSV row: {exc}"
        end = reader.line_num
        undecodable = [bad.pop(n) for n in range(start, end + 1) if n in bad]
        yield TableRow(start, end, cells, problem or next(iter(undecodable), None))
        start = end + 1


def choose_encoding(head: bytes, mapping: ExportMapping, name: str) -> str:
    """The source's encoding if the sample bears it out, else the one the sample is in."""
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    declared = _declared(mapping)
    if declared and declared.startswith(("utf-16", "utf-32")):
        return declared
    sample = _whole_lines(head)
    if b"\x00" in sample:
        raise ExportError(
            f"{name} holds binary data, not CSV text (a NUL byte at byte {sample.index(0)});"
            " is it a spreadsheet saved under a .csv name?"
        )
    if declared is None:
        found = detect_encoding(sample)
        if found is None:
            raise ExportError(
                f"{name}: cannot tell the text encoding; give source {mapping.source} an encoding"
            )
        return found
    # Valid UTF-8 that is not plain ASCII is UTF-8 whatever the label says.
    if not sample.isascii() and _decodes(sample, "utf-8"):
        return "utf-8"
    try:
        sample.decode(declared)
    except UnicodeDecodeError as exc:
        raise ExportError(_wrong_encoding(sample, exc, mapping, name)) from exc
    return declared


def _declared(mapping: ExportMapping) -> str | None:
    declared = mapping.export.encoding
    if not declared:
        return None
    try:
        name = codecs.lookup(declared).name
    except LookupError as exc:
        raise ConfigError(f"source {mapping.source}: unknown encoding {declared!r}") from exc
    return _WIDER.get(name, name)


def _wrong_encoding(
    sample: bytes, exc: UnicodeDecodeError, mapping: ExportMapping, name: str
) -> str:
    line = sample.count(b"\n", 0, exc.start) + 1
    seen = sample[exc.start : exc.start + 4].hex(" ")
    guess = detect_encoding(sample)
    hint = f"; it looks like {guess}" if guess else ""
    declared = mapping.export.encoding
    return (
        f"{name} is not {declared} text as source {mapping.source} says: line {line} holds"
        f" bytes {seen} that {declared} cannot read{hint}. Correct the source's"
        " encoding, or remove it to have the encoding detected"
    )


def _whole_lines(head: bytes) -> bytes:
    """The sample up to its last line break, so that no character is cut in two."""
    if len(head) < SAMPLE_BYTES:
        return head
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 else head


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _lines(stream: BinaryIO, encoding: str, bad: dict[int, str]) -> Iterator[str]:
    """Decoded physical lines, endings kept for the csv module; `bad` collects failures."""
    if encoding.startswith(("utf-16", "utf-32")):
        text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
        try:
            yield from text
        finally:
            text.detach()  # the caller owns the file
        return
    for number, raw in enumerate(stream, 1):
        if number == 1:
            raw = raw.removeprefix(_UTF8_BOM)
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError as exc:
            seen = raw[exc.start : exc.start + 4].hex(" ")
            bad[number] = (
                f"line {number} holds bytes {seen} that {encoding}, the file's encoding,"
                " cannot read; the row is damaged or in another encoding"
            )
            yield raw.decode(encoding, errors="replace")


def _delimiter(head: bytes, encoding: str) -> str:
    """A comma, or a tab for "Unicode text" exports: whichever the first lines hold more of."""
    text = head[:8192].decode(encoding, errors="replace")
    first = "".join(text.splitlines(keepends=True)[:10])
    return "\t" if first.count("\t") > first.count(",") else ","
