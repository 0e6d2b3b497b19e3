"""Small factories for test records; each call gives a fresh, valid post."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from core.timezone import SHANGHAI
from store.models import Post

BASE_TIME = datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI)
_counter = itertools.count(1)


def post_data(**overrides: Any) -> dict[str, Any]:
    """A post as a plain dict, the way a pipeline hands it to the store."""
    n = next(_counter)
    data: dict[str, Any] = {
        "id": f"test:{n}",
        "source": "test-board",
        "kind": "board",
        "url": f"https://example.gov.cn/msg/{n}",
        "title": f"留言{n}",
        "text": "小区门口道路积水严重，希望尽快处理。",
        "published_at": BASE_TIME + timedelta(minutes=n),
    }
    data.update(overrides)
    return data


def make_post(**overrides: Any) -> Post:
    return Post.model_validate(post_data(**overrides))
