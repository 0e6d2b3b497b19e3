"""The tracker database: declarative base, engines, sessions and Alembic migrations."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

from pydantic import AfterValidator, AwareDatetime
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import URL, CursorResult, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import DateTime, TypeDecorator

from core.errors import (
    ConfigError,
    ConflictError,
    InputError,
    StoreError,
    StoreUnavailable,
    YuqingError,
)
from core.settings import PROJECT_ROOT
from core.text import valid_json, valid_row

log = logging.getLogger(__name__)

# Any fixed number works; it only has to be the same for every process migrating one database.
# anyio's default thread limiter runs 40 sync endpoints at once.
SQLITE_POOL_SIZE = 40
# Execution option naming how a SQLite transaction begins (DEFERRED or IMMEDIATE).
SQLITE_BEGIN = "sqlite_begin"

# Explicit constraint names, so that later migrations (batch mode on SQLite included) can find
# and alter them by name on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every tracker table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite keeps no time zone, so values are stored there as naive UTC and given their zone back
    when read; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be stored: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# The times a request may give: the tracker's own era. Deadlines are counted on a calendar of
# real holiday plans, which exist for a few years only; a year like 427 is a typing error.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2100, 1, 1, tzinfo=UTC)


def _in_era(value: datetime) -> datetime:
    if not EARLIEST_TIME <= value < LATEST_TIME:
        raise ValueError(
            f"must be between the years {EARLIEST_TIME.year} and {LATEST_TIME.year - 1}"
        )
    return value


RequestTime = Annotated[AwareDatetime, AfterValidator(_in_era)]


# -- engines and sessions ---------------------------------------------------------------------


def database_url(url: str | URL) -> URL:
    """The URL as the engine gets it: SQLite paths made absolute, PostgreSQL on psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database.url is not a valid database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            if not path.is_absolute():
                # Relative paths belong to the project, not to whatever directory we started in.
                path = PROJECT_ROOT / path
            parsed = parsed.set(database=str(path))
        return parsed
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "postgresql":
        return parsed
    raise ConfigError(
        f"the tracker database must be SQLite or PostgreSQL, not {parsed.drivername!r}"
    )


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for the tracker database. Nothing connects until the engine is first used."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and "file:" not in parsed.database:
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(
                    f"cannot create the directory for the tracker database {parsed.database}: {exc}"
                ) from exc
        # A writer waits up to this many seconds for another writer instead of failing at once.
        # The pool holds as many connections as the server runs threads at once: a connection
        # beyond the pool would be opened (with its PRAGMAs) and closed for every request.
        engine = create_engine(
            parsed,
            echo=echo,
            connect_args={"timeout": 30},
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_SIZE,
            json_serializer=_json_text,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(
            parsed,
            echo=echo,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 10},
            json_serializer=_json_text,
        )
    event.listen(engine, "before_cursor_execute", _valid_parameters, retval=True)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
    # The driver's own transaction handling would begin lazily, before the first write: a
    # transaction that read first then finds the database changed under it and cannot write
    # (SQLITE_BUSY_SNAPSHOT). Transactions are begun explicitly instead (`_sqlite_begin`).
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN as the session asked: IMMEDIATE for writers (they queue for the write lock up
    front, in SQLite's busy wait, instead of failing halfway), DEFERRED for readers."""
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    connection.exec_driver_sql(f"BEGIN {options.get(SQLITE_BEGIN, 'DEFERRED')}")


def _valid_parameters(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> tuple[str, Any]:
    """Every text written to the tracker is valid Unicode without control characters: a lone
    surrogate would be stored, and every later read of the row would fail to encode."""
    # Judged by the parameters' shape, not `many`: a batch of inserted rows comes as one
    # mapping with `many` set.
    rows = isinstance(parameters, list | tuple) and parameters
    if rows and isinstance(parameters[0], Mapping | list | tuple):
        return statement, type(parameters)(valid_row(row) for row in parameters)
    return statement, valid_row(parameters)


def _json_text(value: Any) -> str:
    return json.dumps(valid_json(value))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for units of work that write: on SQLite each begins IMMEDIATE (takes the write
    lock at once, or waits for it before doing anything)."""
    # Objects stay readable after the commit at the edge of a request, without a new query.
    writer = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
    return sessionmaker(bind=writer, expire_on_commit=False)


def make_read_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read: they never wait for a writer (WAL gives them a snapshot). One
    that tries to save a change raises StoreError: a write goes through a write session."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_flush)
    return factory


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise StoreError("a read-only session was asked to save a change")


def finish(session: Session) -> None:
    """Commit the session's work and close it; database errors come out as the product's own
    (`translate_db_error`)."""
    try:
        session.commit()
    except BaseException as exc:
        abandon(session, exc)
        raise
    session.close()


def abandon(session: Session, exc: BaseException) -> None:
    """Roll the session back and close it because `exc` happened; raises the product's error
    for it if it is a database failure."""
    try:
        session.rollback()
    finally:
        session.close()
    translated = translate_db_error(exc)
    if translated is not None:
        raise translated from exc


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE; how many rows it changed (what conditional claims test)."""
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session, committed once if the block succeeds, else rolled back; database errors
    come out as the product's own (`translate_db_error`)."""
    session = factory()
    try:
        yield session
    except BaseException as exc:
        abandon(session, exc)
        raise
    finish(session)


@contextmanager
def session_scope(target: str | URL | Engine) -> Iterator[Session]:
    """A unit of work for a command or script, on its own engine unless one is given."""
    engine, owned = engine_for(target)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        if owned:
            engine.dispose()


def connect(engine: Engine) -> Connection:
    """A connection, or `StoreUnavailable` saying which database could not be reached."""
    try:
        return engine.connect()
    except (OperationalError, DBAPIError) as exc:
        raise StoreUnavailable(
            f"cannot reach the tracker database at {safe_url(engine.url)}: {error_reason(exc)}"
        ) from exc


def ping(engine: Engine) -> bool:
    """Whether the database answers; never raises."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # a health check reports trouble, it never fails itself
        log.warning("tracker database ping failed: %s", error_reason(exc))
        return False


def translate_db_error(exc: BaseException) -> YuqingError | None:
    """The product error for a database failure met while serving a request, if it is one."""
    if isinstance(exc, OperationalError):
        log.error("tracker database unavailable: %s", error_reason(exc))
        return StoreUnavailable("the tracker database is not available right now; try again")
    if isinstance(exc, IntegrityError):
        log.info("integrity error turned into a conflict: %s", error_reason(exc))
        return ConflictError(
            "the change conflicts with data saved in the meantime; reload and try again"
        )
    if isinstance(exc, DataError | OverflowError):
        # A value the database cannot hold, e.g. an id beyond 64 bits (PostgreSQL says
        # DataError, SQLite's driver OverflowError): the request's fault, not the server's.
        return InputError(f"a value in the request is out of range: {error_reason(exc)}")
    if isinstance(exc, DBAPIError):
        log.error("tracker database error: %s", error_reason(exc))
        return StoreError("the tracker database failed; the error has been logged")
    return None


def error_reason(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return " ".join(str(cause).split()) or type(cause).__name__


def engine_for(target: str | URL | Engine) -> tuple[Engine, bool]:
    """The engine of `target`, and whether the caller made it (and disposes of it)."""
    if isinstance(target, Engine):
        return target, False
    return make_engine(target), True
