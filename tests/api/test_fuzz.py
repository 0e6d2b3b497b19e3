"""Schemathesis against the API's own OpenAPI schema: generated requests for every /api
operation, valid and invalid, signed in as an admin (who passes every role check, so the
requests reach the code behind it). No answer may be a 5xx. Runs on SQLite and PostgreSQL.

The world is seeded as for the access matrix (departments, users, issues, hot issues, a
briefing), so generated small ids often name rows that exist. The number of examples per
operation is bounded (FUZZ_EXAMPLES) and derandomised, so a run takes a bounded time and a
failure repeats.
"""

# The app fixtures come from tests/conftest.py, so that this file runs on SQLite and PostgreSQL.

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as examples
from schemathesis import Case

from tests.api.world import ADMIN, seed

FUZZ_EXAMPLES = 12


def test_no_request_gets_a_server_error(app, client, admin) -> None:
    world = seed(app, client, admin, role=ADMIN)
    # The web pages are not part of the API.
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app).include(
        path_regex=r"^/api/"
    )
    headers = dict(admin)
    failures: list[str] = []
    operations = 0
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
    assert operations > 40, f"only {operations} operations in the schema"
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:10])
