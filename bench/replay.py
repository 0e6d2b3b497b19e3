"""The product as a replay benchmark runs it: settings, a SQLite post store, per-post analysis
with the shipped vocabulary, a migrated SQLite tracker and the clustering job, all in one
temporary folder. Imported by the benches that replay real data through the job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class Replay:
    """Everything a replay needs in `tmp`; `close()` releases it."""

    def __init__(self, tmp: Path) -> None:
        from analysis.enrich import AnalysisFiles, PostAnalyzer
        from analysis.text import DEPARTMENTS_FILE
        from api.database import make_engine, make_session_factory
        from api.hot_issues.config import segmenter
        from api.hot_issues.job import Job
        from api.migrating import migrate
        from core.settings import load_settings
        from store.sqlite import SqlitePostStore

        self.settings = load_settings(
            data_dir=tmp,
            store={"sqlite_path": tmp / "posts.db"},
            database={"url": f"sqlite:///{tmp}/tracker.db"},
            crawler={"sources_file": ROOT / "config" / "sources.yaml"},
        )
        self.store = SqlitePostStore(tmp / "posts.db")
        self.analyzer = PostAnalyzer(
            AnalysisFiles(neardup_db=tmp / "neardup.db", departments_file=DEPARTMENTS_FILE)
        )
        self.index = self.analyzer.index  # opened here, outside any timing
        self.engine = make_engine(self.settings.database.url)
        migrate(self.engine)
        factory = make_session_factory(self.engine)
        self.job: Any = Job(self.settings, self.store, factory, segmenter(self.settings))

    def close(self) -> None:
        self.store.close()
        self.index.close()
        self.engine.dispose()
