"""The post store: one protocol (`PostStore`), an SQLite and an Elasticsearch backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.base import PostStore
from store.models import Post, PostFilter, PostKind, SortOrder

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["Post", "PostFilter", "PostKind", "PostStore", "SortOrder", "open_store"]


def open_store(settings: Settings) -> PostStore:
    """The store the settings choose. Nothing connects until the store is first used."""
    if settings.store.backend == "elasticsearch":
        from core.errors import ConfigError
        from store.elasticsearch import ElasticsearchPostStore

        es = settings.elasticsearch
        if not es.url:
            raise ConfigError(
                "store.backend is elasticsearch but YUQING_ELASTICSEARCH__URL is not set"
            )
        return ElasticsearchPostStore(
            es.url,
            index_prefix=es.index_prefix,
            request_timeout=es.request_timeout,
            scan_settle_seconds=es.scan_settle_seconds,
        )
    from store.sqlite import SqlitePostStore

    return SqlitePostStore(settings.resolve(settings.store.sqlite_path))
