"""Commands on the tracker: the database, user accounts, reports, the settings in effect."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

from core.errors import InputError, YuqingError
from yuqing import wiring


def show_config() -> None:
    """Print the settings in effect (secrets hidden)."""
    settings = wiring.command_settings()
    typer.echo(json.dumps(settings.model_dump(mode="json"), ensure_ascii=False, indent=2))


def db_upgrade() -> None:
    """Create or migrate the tracker database to the newest schema."""
    from api.migrating import migrate

    settings = wiring.command_settings()
    migrate(settings.database.url)
    typer.echo("tracker database is up to date")


def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, analyst, leader, press or handler.")],
    department: Annotated[str | None, typer.Option(help="Department code, for handlers.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a user account."""
    from api.auth.service import create_user
    from api.database import session_scope
    from api.departments.service import find_by_code
    from api.migrating import migrate

    settings = wiring.command_settings()
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        department_id = None
        if department:
            found = find_by_code(session=session, code=department)
            if found is None:
                raise YuqingError(f"no department with code {department!r}")
            department_id = found.id
        create_user(
            session=session,
            username=username,
            password=password,
            role=role,
            department_id=department_id,
        )
    typer.echo(f"created {role} {username}")


def user_list() -> None:
    """List user accounts."""
    from api.auth.service import list_users
    from api.database import session_scope
    from api.migrating import migrate

    settings = wiring.command_settings()
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        for user in list_users(session=session):
            state = "" if user.is_active else "  (disabled)"
            typer.echo(f"{user.username:<20} {user.role}{state}")


def report(
    kind: Annotated[
        Literal["daily", "quarterly"],
        typer.Argument(help="daily: the brief (舆情日报); quarterly: the bulletin (季度通报)."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Directory to write to [default: reports.out_dir, DATA_DIR/reports]."),
    ] = None,
    day: Annotated[
        datetime | None,
        typer.Option(
            "--date",
            formats=["%Y-%m-%d"],
            help="daily: the day covered [default: yesterday, Beijing time].",
        ),
    ] = None,
    quarter: Annotated[
        str | None,
        typer.Option(help="quarterly: e.g. 2025Q3 [default: the last completed quarter]."),
    ] = None,
) -> None:
    """Write the daily brief or the quarterly bulletin as DOCX and XLSX; print their paths."""
    from api.database import session_scope
    from api.migrating import migrate
    from api.reports import daily, daily_document, documents, quarterly

    settings = wiring.command_settings()
    if kind == "daily" and quarter is not None:
        raise YuqingError("--quarter is for the quarterly bulletin")
    if kind == "quarterly" and day is not None:
        raise YuqingError("--date is for the daily brief")
    directory = out or documents.output_dir(settings)
    _writable(directory)  # before the report is built, which takes seconds
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        if kind == "daily":
            brief = daily.build(
                session=session,
                store=wiring.store(settings),
                settings=settings,
                day=day.date() if day else daily.default_day(settings),
            )
            document = daily_document.report(brief)
        else:
            bulletin = quarterly.build(
                session=session,
                settings=settings,
                quarter=quarter or quarterly.default_quarter(settings),
            )
            document = quarterly.report(bulletin)
    try:
        paths = documents.write(document, directory)
    except OSError as exc:
        raise _unwritable(directory, exc) from exc
    for path in paths:
        typer.echo(path)


def _writable(directory: Path) -> None:
    """Create the report's folder, or say in one line why it cannot be written to."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(directory, exc) from exc
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the report to {directory}: permission denied")


def _unwritable(directory: Path, exc: OSError) -> InputError:
    return InputError(f"cannot write the report to {directory}: {exc.strerror or exc}")
