"""Crawl runs and source marks in the tracker database: the crawler's `RunRecorder`."""

from __future__ import annotations

from typing import Any

from api.database import session_scope
from api.migrating import migrate
from api.sources import service
from crawler.runs import SourceMarks


class DatabaseRunRecorder:
    """Records runs in the tracker database at `url` (migrated on first use)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._migrated = False

    def _ready(self) -> None:
        if not self._migrated:
            migrate(self.url)
            self._migrated = True

    def start(self, source: str) -> tuple[int, SourceMarks]:
        self._ready()
        with session_scope(self.url) as session:
            state = service.get_state(session=session, source=source)
            run_id = service.start_run(session=session, source=source).id
            marks = SourceMarks(state.last_seen_at, state.last_seen_id, dict(state.pending or {}))
        return run_id, marks

    def finish(
        self, run_id: int, source: str, outcome: dict[str, Any], marks: SourceMarks | None
    ) -> None:
        with session_scope(self.url) as session:
            service.finish_run(session=session, run_id=run_id, outcome=outcome)
            if marks is not None:
                service.save_state(
                    session=session,
                    source=source,
                    last_seen_id=marks.last_seen_id,
                    last_seen_at=marks.last_seen_at,
                    pending=marks.pending,
                )
