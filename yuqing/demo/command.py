"""`yuqing demo`: the sample city site, its sources crawled into the embedded store, the demo
accounts and tracked issues, and the product serving it all."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from core.errors import YuqingError
from core.settings import ADMIN_PASSWORD_FILE, Settings
from yuqing import wiring

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from api.departments.models import Department

DEMO_SITE = ("127.0.0.1", 8100)
DEMO_USERS = (
    ("analyst", "analyst", "研判员演示账号"),
    ("leader", "leader", "领导演示账号"),
    ("press", "press", "发布员演示账号"),
    ("handler", "handler", "部门承办人演示账号"),
)
# The demo handler works for 市住建局, whose posts the sample city site has plenty of.
DEMO_HANDLER_DEPARTMENT = "zjj"


def demo(
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API.")] = True,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the sample city site, crawl its sources into the embedded store, serve the API.

    With --serve (the default) the crawl runs beside the API, so the API answers at once and
    posts arrive as they are analysed; with --no-serve the crawl runs to its end and prints
    one summary line per source.
    """
    from yuqing.commands.serving import serve_app
    from yuqing.demo import tracker
    from yuqing.demo.site import serve as serve_site

    settings = wiring.command_settings()
    if settings.env == "production":
        raise YuqingError("the demo creates accounts with known passwords; not in production")
    try:
        site, _thread = serve_site(*DEMO_SITE)
    except OSError as exc:
        raise YuqingError(
            f"cannot serve the sample city site on port {DEMO_SITE[1]}: {exc}"
        ) from exc
    typer.echo(f"sample city site (江澜市) on http://{DEMO_SITE[0]}:{DEMO_SITE[1]}")
    accounts = seed_demo_users(settings)
    typer.echo("demo accounts (user / password):")
    for line in accounts:
        typer.echo(f"  {line}")
    typer.echo(f"  {_admin_note(settings)}")
    demo_sources = _demo_sources(settings)
    command = [sys.executable, "-m", "yuqing", "crawl", *demo_sources]
    try:
        if not serve_api:
            done = subprocess.run(command, stdin=subprocess.DEVNULL)
            if done.returncode != 0:
                raise typer.Exit(done.returncode)
            typer.echo(wiring.summary(wiring.clustering_job(settings).run()))
            tracker.seed(settings)
            tracker.link_hot_issues(settings)
            return
        typer.echo(f"crawling {', '.join(demo_sources)} in the background...")
        crawl = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        stop = threading.Event()
        wiring.run_in_background(settings, stop)
        tracker.start(settings, stop)
        try:
            serve_app(settings, host, port, notes=_account_notes(settings))
        finally:
            stop.set()
            if crawl.poll() is None:
                crawl.terminate()
                crawl.wait(timeout=30)
    finally:
        site.shutdown()


def _account_notes(settings: Settings) -> list[str]:
    return [
        "  accounts:  " + ", ".join(f"{u} / {u}-demo" for u, _, _ in DEMO_USERS),
        f"             {_admin_note(settings)}",
        "  get a token: curl -d 'username=analyst&password=analyst-demo' {base}/api/auth/token",
    ]


def _admin_note(settings: Settings) -> str:
    if settings.admin_password:
        return "and admin with YUQING_ADMIN_PASSWORD"
    kept = settings.secret_file(ADMIN_PASSWORD_FILE)
    return f"and admin with the password made on first start, in {kept}"


def _demo_sources(settings: Settings) -> list[str]:
    from crawler.sources import load_sources

    names = [
        n
        for n, s in load_sources(settings.crawler.sources_file).items()
        if n.startswith("demo-") and s.enabled
    ]
    if not names:
        raise YuqingError(f"no demo-* sources in {settings.crawler.sources_file}")
    return names


def seed_demo_users(settings: Settings) -> list[str]:
    """Create what is missing of the demo: the departments (from the departments file, if
    there are none yet) and one user per role. Returns a line per account, with its password.
    """
    from api.auth.models import Role
    from api.auth.service import create_user, find_by_username
    from api.database import session_scope
    from api.departments.models import Department
    from api.migrating import migrate

    migrate(settings.database.url)
    accounts = []
    with session_scope(settings.database.url) as session:
        _seed_demo_departments(session, settings)
        handler_department = _demo_handler_department(session)
        for username, role, label in DEMO_USERS:
            password = f"{username}-demo"
            user = find_by_username(session=session, username=username)
            if user is None:
                user = create_user(
                    session=session,
                    username=username,
                    password=password,
                    role=role,
                    department_id=handler_department.id if role == Role.HANDLER else None,
                )
            department = session.get(Department, user.department_id or -1)
            where = f", {department.name}" if department is not None else ""
            accounts.append(f"{username} / {password}  ({label}{where})")
    return accounts


def _seed_demo_departments(session: Session, settings: Settings) -> None:
    """The departments of the departments file, if there are none yet."""
    from analysis.routing import load_routing_file
    from api.departments.service import create_department, list_departments

    if list_departments(session=session):
        return
    spec = load_routing_file(settings.analysis.departments_file)
    for department in spec.departments:
        create_department(
            session=session,
            code=department.code,
            name=department.name,
            district=department.district,
        )
    typer.echo(f"created {len(spec.departments)} departments from the departments file")


def _demo_handler_department(session: Session) -> Department:
    from api.departments.service import find_by_code, list_departments

    department = find_by_code(session=session, code=DEMO_HANDLER_DEPARTMENT)
    if department is None:
        existing = list_departments(session=session)
        if not existing:
            raise YuqingError("the demo handler needs a department, and there is none")
        department = existing[0]
    return department
