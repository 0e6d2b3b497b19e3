"""Fixtures for crawler tests: the local fixture server and an isolated product setup."""

from __future__ import annotations

from tests.crawler.server import fixture_server  # noqa: F401 - a fixture
