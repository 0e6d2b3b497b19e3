"""An app per test on a tracker of its own (SQLite, and PostgreSQL when configured), and
helpers to read the downloaded documents back."""

# ruff: noqa: F401
from tests.api.test_auth import admin, app, client, settings
