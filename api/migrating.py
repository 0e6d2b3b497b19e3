"""Migrating the tracker database: Alembic run in one transaction per migration, with the
shipped migrations, on SQLite (foreign keys checked afterwards) and PostgreSQL (one process at
a time)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from api.database import SQLITE_BEGIN, connect, engine_for, error_reason, safe_url
from core.errors import StoreError, YuqingError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The PostgreSQL advisory lock that lets one process migrate at a time.
_MIGRATION_LOCK_KEY = 0x79757169  # "yuqi"


def alembic_config() -> Config:
    """Alembic's configuration without an ini file, pointing at the shipped migrations."""
    config = Config()
    # configparser reads "%" as interpolation, and a checkout path may contain one.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction, ready to migrate.

    On SQLite foreign keys are off for the run: batch migrations copy and drop tables, and a
    drop with foreign keys on would cascade into the rows that point at the table. They are
    checked afterwards instead. On PostgreSQL an advisory lock lets only one process migrate.
    """
    connection = connect(engine)
    with connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # The pragma is ignored inside a transaction, so it goes first, on its own, to the
            # driver (which has no transaction open: they are begun explicitly).
            _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")
            connection = connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                    )
                yield connection
            if sqlite:
                violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.commit()
                if violations:
                    raise StoreError(
                        f"after migrating, {len(violations)} rows point at missing rows, e.g."
                        f" {tuple(violations[0])}"
                    )
        finally:
            if sqlite and not connection.invalidated:
                _sqlite_pragma(connection, "PRAGMA foreign_keys = ON")


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    """Run a pragma outside any transaction (some are ignored inside one)."""
    if connection.in_transaction():
        connection.commit()
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection
    driver.execute(pragma)


def migrate(target: str | URL | Engine, *, revision: str = "head") -> None:
    """Bring the tracker database up to `revision` (the newest by default)."""
    _run_alembic(target, lambda config: command.upgrade(config, revision), f"upgrade {revision}")


def downgrade(target: str | URL | Engine, *, revision: str) -> None:
    """Take the tracker database back to `revision` ("base" removes every table)."""
    _run_alembic(
        target, lambda config: command.downgrade(config, revision), f"downgrade {revision}"
    )


def current_revision(target: str | URL | Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    engine, owned = engine_for(target)
    try:
        with connect(engine) as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def _run_alembic(target: str | URL | Engine, action: Callable[[Config], None], what: str) -> None:
    engine, owned = engine_for(target)
    try:
        with migration_connection(engine) as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            action(config)
        log.info("tracker database at %s: %s done", safe_url(engine.url), what)
    except YuqingError:
        raise
    except CommandError as exc:
        raise StoreError(f"cannot {what} the tracker database: {exc}") from exc
    except DBAPIError as exc:
        raise StoreError(
            f"{what} of the tracker database at {safe_url(engine.url)} failed: {error_reason(exc)}"
        ) from exc
    finally:
        if owned:
            engine.dispose()
