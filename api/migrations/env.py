"""Alembic environment for the tracker database; the URL comes from the project's Settings."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

# Importing the models registers their tables on Base.metadata, for autogenerate and check.
import api.alerts.models  # noqa: F401
import api.audit.models  # noqa: F401
import api.auth.models  # noqa: F401
import api.briefings.models  # noqa: F401
import api.departments.models  # noqa: F401
import api.hot_issues.models  # noqa: F401
import api.issues.models  # noqa: F401
import api.leases.models  # noqa: F401
import api.sources.models  # noqa: F401
from api.database import Base, make_engine
from api.migrating import migration_connection
from core.settings import get_settings

config = context.config
target_metadata = Base.metadata

# `api.migrating.migrate` hands over its connection and keeps the application's logging;
# only the alembic command line configures logging from alembic.ini.
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    """`alembic -x url=...` if given, else the tracker database from Settings."""
    return context.get_x_argument(as_dictionary=True).get("url") or get_settings().database.url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    from api.database import database_url

    url = database_url(_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with migration_connection(engine) as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
