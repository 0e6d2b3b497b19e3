"""Schemathesis against the API's own OpenAPI schema: generated requests for every /api
operation, valid and invalid, signed in as an admin (who passes every role check, so the
requests reach the code behind it). No answer may be a 5xx. Runs on SQLite and PostgreSQL.

The world is seeded as for the access matrix (departments, users, issues, hot issues, a
briefing), so generated small ids often name rows that exist. The number of examples per
operation is bounded (FUZZ_EXAMPLES) and derandomised, so a run takes a bounded time and a
failure repeats.

Schemathesis generates UTF-8-encodable text only, so never a lone surrogate, which a JSON body
can carry (`"\\ud800"`) and no database can store; and a NUL only by chance. Each operation
therefore also gets POISON_EXAMPLES generated requests with one of their strings ending in one
of POISON: any string of a JSON body, and for a NUL also of a form or the query (a URL cannot
carry a lone surrogate). They are sent as they are, past schemathesis' own checks, which cannot
encode a lone surrogate either.
"""

# The app fixtures come from tests/conftest.py, so that this file runs on SQLite and PostgreSQL.

from __future__ import annotations

import json
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from schemathesis import Case

from tests.api.world import ADMIN, seed

FUZZ_EXAMPLES = 12
POISON_EXAMPLES = 6
POISON = ("\ud800", "\x00")


def _string_places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where `value` (a JSON-like body, a form or a query) holds a string."""
    if isinstance(value, str):
        return [path]
    if not isinstance(value, dict | list):
        return []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    return [place for key, child in items for place in _string_places(child, (*path, key))]


def _append(container: Any, path: tuple[Any, ...], char: str) -> Any:
    if not path:
        return container + char
    container[path[0]] = _append(container[path[0]], path[1:], char)
    return container


def poisoned(request: dict[str, Any], pick: int, char: str) -> dict[str, Any]:
    """The keywords of `request` with `char` at the end of one of its strings (the `pick`th,
    round the list), its JSON body encoded with escapes, as any JSON client may send it."""
    kinds = ("json", "data", "params") if char == "\x00" else ("json",)
    places = [(kind, path) for kind in kinds for path in _string_places(request.get(kind))]
    if places:
        kind, path = places[pick % len(places)]
        request[kind] = _append(request[kind], path, char)
    if "json" in request:
        request["content"] = json.dumps(request.pop("json")).encode()
    request.pop("cookies", None)
    return request


def test_no_request_gets_a_server_error(app, client, admin) -> None:
    world = seed(app, client, admin, role=ADMIN)
    # The web pages are not part of the API.
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app).include(
        path_regex=r"^/api/"
    )
    headers = dict(admin)
    failures: list[str] = []
    operations = 0
    raw = TestClient(world.app, raise_server_exceptions=False)
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @examples(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Case) -> None:
            reply = case.call(headers=headers)
            if reply.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} answered {reply.status_code}:"
                    f" {reply.text[:300]}\n  {case.as_curl_command(headers=headers)}"
                )

        call()

        @given(
            case=operation.as_strategy(),
            pick=st.integers(min_value=0, max_value=10_000),
            char=st.sampled_from(POISON),
        )
        @examples(
            max_examples=POISON_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call_poisoned(case: Case, pick: int, char: str) -> None:
            request = poisoned(case.as_transport_kwargs(headers=headers), pick, char)
            reply = raw.request(**request)
            if reply.status_code >= 500:
                sent = {k: v for k, v in request.items() if k not in ("headers", "method")}
                failures.append(
                    f"{case.method} {case.formatted_path} with {char!r} answered"
                    f" {reply.status_code}: {reply.text[:300]}\n  {sent!r}"
                )

        call_poisoned()
    assert operations > 40, f"only {operations} operations in the schema"
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:10])
