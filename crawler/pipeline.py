"""One path from a raw item to a stored post, for every spider and importer.

    raw item ─► normalise ─► stable id ─► validate (masks PII) ─► analyse ─► write (batched)
                                                  │                               │
                                            quarantine                     spool (store down)

Spiders and importers hand in plain dicts with `Post` field names (times may still be text,
text may still be HTML) plus ``native_id`` and ``origin`` (the URL or ``file:line`` the item
came from, for the quarantine). Nothing source-specific happens here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from w3lib.url import canonicalize_url

from core.errors import ItemRejected, StoreUnavailable, TimeFormatError
from core.timezone import SHANGHAI
from crawler.normalize import TimeReading, clean_text, html_to_text, read_time
from store.base import PostStore, describe_validation_error
from store.models import Post

if TYPE_CHECKING:
    from analysis.enrich import PostAnalyzer

log = logging.getLogger(__name__)

_ID_SAFE = re.compile(r"^[A-Za-z0-9_.\-]{1,120}$")
_TIME_FIELDS = ("published_at", "fetched_at", "deadline")
_TEXT_FIELDS = ("title", "text")
_PLAIN_FIELDS = ("author", "region", "category", "channel", "assigned_department", "status")


def stable_id(source: str, native_id: object | None, url: str | None) -> str:
    """The post id: the source plus its own id, or a digest of the canonical URL.

    Native ids with characters outside the id alphabet are digested too, so the same message
    always gets the same id and a re-crawl updates it.
    """
    if native_id is not None and str(native_id).strip():
        native = str(native_id).strip()
        if _ID_SAFE.match(native):
            return f"{source}:{native}"
        return f"{source}:h{hashlib.sha1(native.encode()).hexdigest()[:20]}"
    if url:
        canonical = canonicalize_url(url.strip(), keep_fragments=False)
        return f"{source}:u{hashlib.sha1(canonical.encode()).hexdigest()[:20]}"
    raise ItemRejected("no native id and no URL to derive a stable id from")


def prepare(
    raw: Mapping[str, Any],
    source: str,
    *,
    now: datetime | None = None,
    reading: TimeReading | None = None,
) -> Post:
    """Normalise and validate one raw item into a `Post` (validation masks personal numbers:
    `store.pii`), or raise `ItemRejected`.

    Times still in text are read with the source's `reading`; the precision the publication
    time was given with is recorded unless the reader already says it."""
    now = now or datetime.now(SHANGHAI)
    item = {k: v for k, v in raw.items() if k not in ("native_id", "origin") and v is not None}
    item["source"] = source
    for name in _TEXT_FIELDS:
        if isinstance(item.get(name), str):
            item[name] = html_to_text(item[name])
    for name in _PLAIN_FIELDS:
        if isinstance(item.get(name), str):
            item[name] = clean_text(item[name]) or None
    for name in _TIME_FIELDS:
        if name in item:
            item[name], precision = _time(name, item[name], now, reading)
            if name == "published_at":
                item.setdefault("published_precision", precision)
    item.setdefault("fetched_at", now)
    reply = item.get("reply")
    if isinstance(reply, Mapping):
        reply = {k: v for k, v in reply.items() if v is not None}
        if isinstance(reply.get("text"), str):
            reply["text"] = html_to_text(reply["text"])
        if isinstance(reply.get("department"), str):
            reply["department"] = clean_text(reply["department"]) or None
        if "replied_at" in reply:
            reply["replied_at"] = _time("reply.replied_at", reply["replied_at"], now, reading)[0]
        item["reply"] = reply if reply.get("text") else None
    if not item.get("title") and not item.get("text"):
        raise ItemRejected("the item has neither a title nor a text")
    item["id"] = stable_id(source, raw.get("native_id"), item.get("url"))
    try:
        return Post.model_validate(item)
    except ValidationError as exc:
        raise ItemRejected(describe_validation_error(exc)) from exc


def _time(
    name: str, value: object, now: datetime, reading: TimeReading | None
) -> tuple[datetime, str]:
    try:
        return read_time(value, now=now, reading=reading)
    except TimeFormatError as exc:
        tried = f" (also tried {', '.join(reading.formats)})" if reading and reading.formats else ""
        raise ItemRejected(f"{name}: {exc}{tried}") from exc


class Quarantine:
    """Rejected items, with their origin and reason, in one JSONL file per source.

    An item is recorded once per origin and reason: a rerun over the same bad rows counts
    them again in its summary, but the file does not grow. The file's records are read once,
    on the run's first rejection, so that a run costs one pass over it.
    """

    def __init__(self, directory: Path, source: str) -> None:
        self.path = directory / f"{source}.jsonl"
        self.count = 0  # items rejected in this run, recorded before or not
        self.recorded = 0  # records this run added to the file
        self._known: set[bytes] | None = None

    def add(self, origin: str | None, reason: str, raw: object) -> None:
        self.count += 1
        key = _quarantine_key(origin, reason)
        known = self._records()
        if key in known:
            log.debug("quarantined again %s: %s", origin, reason)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "at": datetime.now(SHANGHAI).isoformat(),
            "origin": origin,
            "reason": reason,
            "raw": raw,
        }
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        known.add(key)
        self.recorded += 1
        # One line per item would flood a terminal on a large bad file; the run's summary
        # gives the count and the file holds every reason.
        log.debug("quarantined %s: %s", origin, reason)

    def _records(self) -> set[bytes]:
        if self._known is None:
            self._known = set()
            if self.path.exists():
                with self.path.open(encoding="utf-8", errors="replace") as lines:
                    for line in lines:
                        try:
                            record = json.loads(line)
                        except ValueError:
                            continue  # a line cut short by a crash: not a record
                        if isinstance(record, dict):
                            self._known.add(
                                _quarantine_key(record.get("origin"), str(record.get("reason")))
                            )
        return self._known


def _quarantine_key(origin: str | None, reason: str) -> bytes:
    return hashlib.blake2b(f"{origin}\0{reason}".encode(), digest_size=16).digest()


@dataclass
class WriteStats:
    """What one run wrote, for the summary line and the run record."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    spooled: int = 0
    replayed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "spooled": self.spooled,
            "replayed": self.replayed,
            "errors": self.errors[:20],
        }


class PostWriter:
    """Writes posts to the store in batches; when the store is down they wait on disk.

    The spool is one JSONL journal per source. A run first replays it, in order; only when
    the whole journal is stored is it removed. Upserts are idempotent by id, so a replay that
    is interrupted and repeated writes every post exactly once.
    """

    def __init__(
        self,
        store: PostStore,
        source: str,
        *,
        spool_dir: Path,
        batch_size: int = 500,
        analyzer: PostAnalyzer | None = None,
        on_stored: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.source = source
        self.spool = spool_dir / f"{source}.jsonl"
        self.batch_size = batch_size
        self.analyzer = analyzer
        # Told how many posts each batch created or changed (the clustering job's nudge).
        self.on_stored = on_stored
        self.stats = WriteStats()
        self._batch: list[Post] = []
        self._store_down = False

    def open(self) -> None:
        """Replay whatever an earlier run left in the spool."""
        if not self.spool.exists():
            return
        posts = [
            Post.model_validate_json(line)
            for line in self.spool.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        log.info("replaying %d spooled posts of %s", len(posts), self.source)
        if self.analyzer is not None:
            # Posts spooled while the store was down could not be checked against the
            # near-duplicate signatures it keeps.
            self.analyzer.link_near_duplicates([p for p in posts if p.near_dup_of is None])
        for start in range(0, len(posts), self.batch_size):
            if not self._upsert(posts[start : start + self.batch_size], replay=True):
                return  # still down: the journal stays as it is, new posts go after it
        self.spool.unlink()

    def add(self, post: Post) -> None:
        self._batch.append(post)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        if self.analyzer is not None:
            analyse_new(None if self._store_down else self.store, batch, self.analyzer)
        if self._store_down or self.spool.exists():
            # Order matters: nothing may overtake posts already waiting in the journal.
            self._to_spool(batch)
            return
        self._upsert(batch, replay=False)

    def close(self) -> WriteStats:
        self.flush()
        return self.stats

    def _upsert(self, batch: list[Post], *, replay: bool) -> bool:
        try:
            result = self.store.upsert(batch)
        except StoreUnavailable as exc:
            self._store_down = True
            self.stats.errors.append(f"store unavailable: {exc}")
            log.error("store unavailable while writing %s: %s", self.source, exc)
            if not replay:
                self._to_spool(batch)
            return False
        self.stats.created += result.created
        self.stats.updated += result.updated
        self.stats.unchanged += result.unchanged
        self.stats.failed += result.failed
        self.stats.errors += [f"{f.id}: {f.reason}" for f in result.failures]
        if replay:
            self.stats.replayed += len(batch)
        changed = result.created + result.updated
        if changed and self.on_stored is not None:
            try:
                self.on_stored(changed)
            except Exception:  # a missed nudge only delays the alert to the job's interval
                log.warning("could not nudge the clustering job", exc_info=True)
        return True

    def _to_spool(self, batch: list[Post]) -> None:
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        with self.spool.open("a", encoding="utf-8") as out:
            for post in batch:
                out.write(post.model_dump_json() + "\n")
        self.stats.spooled += len(batch)


def _words(post: Post) -> tuple[str, str, str | None]:
    return (post.title, post.text, post.reply.text if post.reply else None)


def analyse_new(store: PostStore | None, posts: list[Post], analyzer: PostAnalyzer) -> None:
    """Analyse the posts that are new or changed, in place; the store keeps the analysis of
    the rest, so a re-crawl of an unchanged page costs no analysis. Without a store (it is
    down) every post is analysed."""
    stored: dict[str, Post] = {}
    if store is not None:
        try:
            stored = store.get_many([post.id for post in posts])
        except StoreUnavailable:
            stored = {}
    # Only the words are analysed: new counts of likes and reposts (a refresh) are not a reason
    # to score a text again. The store keeps the stored analysis of the rest.
    fresh = [
        post for post in posts if post.id not in stored or _words(stored[post.id]) != _words(post)
    ]
    if fresh:
        analyzer.enrich(fresh)
