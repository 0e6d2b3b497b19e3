"""The `yuqing` command line: demo, serving, loading and searching posts, users, the scheduler."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

from core.errors import YuqingError
from core.settings import Settings, get_settings

app = typer.Typer(
    help="yuqing: public-opinion monitoring and response tracking.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The tracker database.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts and roles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")

DEMO_USERS = (
    ("analyst", "analyst", "研判员演示账号"),
    ("leader", "leader", "领导演示账号"),
    ("press", "press", "发布员演示账号"),
    ("handler", "handler", "部门承办人演示账号"),
)
# The demo handler works for 市住建局, whose posts the sample city site has plenty of.
DEMO_HANDLER_DEPARTMENT = "zjj"


def _settings() -> Settings:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Libraries narrate every migration step and print a traceback per connection retry; the
    # command reports the outcome itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
    return settings


def _store(settings: Settings):  # type: ignore[no-untyped-def]
    from store import open_store

    return open_store(settings)


def _load(settings: Settings, rows, label: str, analyse: bool) -> None:  # type: ignore[no-untyped-def]
    from yuqing.loading import load_posts

    rows = list(rows)
    with typer.progressbar(length=len(rows), label=f"loading {label}") as bar:
        report = load_posts(
            _store(settings),
            rows,
            analyse=analyse,
            quarantine_dir=settings.resolve(settings.data_dir) / "quarantine",
            label=label,
            progress=bar.update,
        )
    typer.echo(
        f"{label}: {report.created} created, {report.updated} updated,"
        f" {report.unchanged} unchanged, {report.failed} rejected"
    )
    for item in report.rejected[:10]:
        typer.echo(f"  line {item.line}: {item.reason}", err=True)
    if report.quarantine:
        typer.echo(f"  rejected rows kept in {report.quarantine}", err=True)


DEMO_SITE = ("127.0.0.1", 8100)


@app.command()
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
    from yuqing import demo_tracker
    from yuqing.analysis_job import make_job, run_in_background, summary
    from yuqing.demo.site import serve as serve_site

    settings = _settings()
    if settings.env == "production":
        raise YuqingError("the demo creates accounts with known passwords; not in production")
    try:
        site, _thread = serve_site(*DEMO_SITE)
    except OSError as exc:
        raise YuqingError(
            f"cannot serve the sample city site on port {DEMO_SITE[1]}: {exc}"
        ) from exc
    typer.echo(f"sample city site (江澜市) on http://{DEMO_SITE[0]}:{DEMO_SITE[1]}")
    accounts = _migrate_and_seed_demo_users(settings)
    typer.echo("demo accounts (user / password):")
    for line in accounts:
        typer.echo(f"  {line}")
    typer.echo("  and admin with YUQING_ADMIN_PASSWORD (default admin-dev-password)")
    demo_sources = [s for s in _demo_sources(settings)]
    command = [sys.executable, "-m", "yuqing", "crawl", *demo_sources]
    try:
        if not serve_api:
            done = subprocess.run(command, stdin=subprocess.DEVNULL)
            if done.returncode != 0:
                raise typer.Exit(done.returncode)
            typer.echo(summary(make_job(settings).run()))
            demo_tracker.seed(settings)
            demo_tracker.link_hot_issues(settings)
            return
        typer.echo(f"crawling {', '.join(demo_sources)} in the background...")
        crawl = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        stop = threading.Event()
        run_in_background(settings, stop)
        demo_tracker.start(settings, stop)
        try:
            _serve(settings, host, port, demo=True)
        finally:
            stop.set()
            if crawl.poll() is None:
                crawl.terminate()
                crawl.wait(timeout=30)
    finally:
        site.shutdown()


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


def _migrate_and_seed_demo_users(settings: Settings) -> list[str]:
    """Create what is missing of the demo: the departments (from the departments file, if
    there are none yet) and one user per role. Returns a line per account, with its password.
    """
    from api.auth.models import Role
    from api.auth.service import create_user, get_by_username
    from api.database import migrate, session_scope
    from api.departments.models import Department

    migrate(settings.database.url)
    accounts = []
    with session_scope(settings.database.url) as session:
        _seed_demo_departments(session, settings)
        handler_department = _demo_handler_department(session)
        for username, role, label in DEMO_USERS:
            password = f"{username}-demo"
            user = get_by_username(session=session, username=username)
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


def _seed_demo_departments(session, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """The departments of the departments file, if the table is empty."""
    from sqlalchemy import select

    from analysis.routing import load_routing_file
    from api.departments.models import Department
    from api.departments.service import create_department

    if session.scalar(select(Department.id).limit(1)) is not None:
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


def _demo_handler_department(session):  # type: ignore[no-untyped-def]
    from api.departments.service import get_by_code, list_departments

    department = get_by_code(session=session, code=DEMO_HANDLER_DEPARTMENT)
    if department is None:
        existing = list_departments(session=session)
        if not existing:
            raise YuqingError("the demo handler needs a department, and there is none")
        department = existing[0]
    return department


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Server processes [default: api.workers, 0 = one per CPU core]."
        ),
    ] = None,
) -> None:
    """Serve the API and its documentation."""
    settings = _settings()
    if workers is None:
        workers = settings.api.workers or os.cpu_count() or 1
    _serve(settings, host, port, demo=False, workers=workers)


def _serve(
    settings: Settings, host: str | None, port: int | None, *, demo: bool, workers: int = 1
) -> None:
    import uvicorn

    from api.app import create_app

    host = host or settings.api.host
    port = port or settings.api.port
    application = create_app(settings)
    base = f"http://{host}:{port}"
    typer.echo("")
    typer.echo(f"yuqing on {base}  (Ctrl-C stops it)")
    typer.echo(f"  pages:     {base}/  (sign in; each role lands on its own screen)")
    typer.echo(f"  API docs:  {base}/docs")
    typer.echo(f"  health:    {base}/health")
    typer.echo(f"  search:    {base}/api/posts/search?q=停水  (needs a bearer token)")
    if demo:
        typer.echo("  accounts:  " + ", ".join(f"{u} / {u}-demo" for u, _, _ in DEMO_USERS))
        typer.echo("             and admin with YUQING_ADMIN_PASSWORD (default admin-dev-password)")
        typer.echo(
            f"  get a token: curl -d 'username=analyst&password=analyst-demo' {base}/api/auth/token"
        )
    if workers > 1:
        from api.app import prepare

        # Once, before the processes start, rather than in all of them at once.
        prepare(application)
        # Each worker process builds its own app from the same settings (the environment).
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
        )
        return
    uvicorn.run(application, host=host, port=port, log_level=settings.log_level.lower())


@app.command()
def scheduler() -> None:
    """Run the periodic jobs: crawling, clustering and alerts, retention."""
    from yuqing.scheduler import build_scheduler

    sched = build_scheduler(_settings())
    for job in sched.get_jobs():
        typer.echo(f"job {job.id}: {job.name} ({job.trigger})")
    sched.start()


@app.command()
def load(
    path: Annotated[Path, typer.Argument(help="A JSON-lines file, one post per line.")],
    analyse: Annotated[
        bool, typer.Option("--analyse/--no-analyse", help="Score and segment.")
    ] = True,
) -> None:
    """Load posts from a JSON-lines file; rejected lines are reported and quarantined."""
    from yuqing.loading import read_jsonl

    if not path.is_file():
        raise YuqingError(f"{path} is not a file")
    _load(_settings(), read_jsonl(path), path.stem, analyse)


@app.command()
def crawl(
    sources: Annotated[
        list[str] | None, typer.Argument(help="Source names from sources.yaml.")
    ] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Every enabled source.")] = False,
) -> None:
    """Crawl sources once each and print a summary line per source."""
    from crawler.runner import crawl as run_crawl
    from crawler.sources import load_sources

    settings = _settings()
    names = list(sources or [])
    if all_sources:
        names += [s.name for s in load_sources(settings.crawler.sources_file).values() if s.enabled]
    if not names:
        raise YuqingError("name at least one source, or give --all")
    counter = _ItemCounter()
    summaries = run_crawl(settings, list(dict.fromkeys(names)), on_item=counter)
    counter.done()
    for summary in summaries:
        typer.echo(summary.line())
        for error in summary.errors[:5]:
            typer.echo(f"  {error}", err=True)
    if any(s.status == "failed" for s in summaries):
        raise typer.Exit(1)


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="A CSV, XLSX or JSON export.")],
    source: Annotated[str, typer.Option(help="The source whose column mapping applies.")],
) -> None:
    """Import a file through a source's mapping (hotline exports, or posts from another tool)."""
    from crawler.runner import import_rows, pick_sources
    from crawler.tabular import read_file

    settings = _settings()
    (config,) = pick_sources(settings, [source])
    if config.kind != "hotline":
        raise YuqingError(
            f"source {source} is a {config.kind} source; import needs a column mapping"
        )
    if not path.is_file():
        raise YuqingError(f"{path} is not a file")
    counter = _ItemCounter()
    summary = import_rows(settings, source, read_file(path, config), on_item=counter)
    counter.done()
    typer.echo(summary.line())
    for error in summary.errors[:5]:
        typer.echo(f"  {error}", err=True)
    quarantine = settings.resolve(settings.crawler.quarantine_dir) / f"{source}.jsonl"
    if summary.quarantined:
        typer.echo(f"  {summary.quarantined} rejected rows, reasons in {quarantine}", err=True)


class _ItemCounter:
    """A running count of items on the terminal; silent when output is not a terminal."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.live = sys.stderr.isatty()

    def __call__(self, source: str) -> None:
        self.counts[source] = self.counts.get(source, 0) + 1
        if self.live and sum(self.counts.values()) % 25 == 0:
            shown = "  ".join(f"{k}: {v}" for k, v in self.counts.items())
            sys.stderr.write(f"\r{shown} items")
            sys.stderr.flush()

    def done(self) -> None:
        if self.live and self.counts:
            sys.stderr.write("\n")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", AND / OR / NOT.')] = "",
    source: Annotated[list[str] | None, typer.Option(help="Only these sources.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="news, board, microblog, hotline.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Published at or after.")] = None,
    until: Annotated[datetime | None, typer.Option(help="Published before.")] = None,
    sort: Annotated[str, typer.Option(help="time or relevance.")] = "time",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Search the stored posts."""
    from pydantic import ValidationError

    from core.timezone import SHANGHAI
    from store.models import PostFilter, SortOrder

    try:
        filters = PostFilter(
            sources=source or None,
            kinds=kind or None,
            published_from=since.replace(tzinfo=since.tzinfo or SHANGHAI) if since else None,
            published_to=until.replace(tzinfo=until.tzinfo or SHANGHAI) if until else None,
        )
        order = SortOrder(sort)
    except (ValidationError, ValueError) as exc:
        raise YuqingError(f"bad search option: {exc}") from exc
    page = _store(_settings()).search(query, filters=filters, sort=order, limit=limit)
    for hit in page.hits:
        post = hit.post
        if as_json:
            typer.echo(post.model_dump_json())
            continue
        when = post.published_at.strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{when}  {post.source:<12} {post.id}  {post.title}")
        text = hit.snippet.replace("<mark>", "[").replace("</mark>", "]")
        typer.echo(f"    {text}")
    if not as_json:
        typer.echo(f"{page.total} posts match")


@app.command()
def stats() -> None:
    """Counts of stored posts by source and sentiment band."""
    agg = _store(_settings()).aggregate(top_keywords=10)
    typer.echo(f"posts: {agg.total}")
    for title, buckets in (
        ("by source", agg.by_source),
        ("by sentiment", agg.by_sentiment),
        ("top keywords", agg.top_keywords),
    ):
        typer.echo(f"{title}: " + ", ".join(f"{b.key} {b.count}" for b in buckets))


@app.command()
def analyze(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the pass's figures as JSON.")
    ] = False,
) -> None:
    """Run one pass of the clustering job: cluster new posts, score topics, raise alerts."""
    from yuqing.analysis_job import make_job, summary

    result = make_job(_settings()).run()
    typer.echo(json.dumps(result.as_dict(), ensure_ascii=False) if as_json else summary(result))


@app.command("hot-issues")
def hot_issues(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    include_all: Annotated[
        bool, typer.Option("--all", help="Also expired and dismissed ones.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    members: Annotated[int, typer.Option(min=0, max=1000, help="Members listed per issue.")] = 50,
) -> None:
    """The current hot issues, hottest first, with their members and why they were flagged."""
    from api.alerts import service
    from api.database import migrate, session_scope

    settings = _settings()
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        rows, total = service.list_hot(session=session, include_all=include_all, limit=limit)
        details = [service.detail(session, row, members) for row in rows]
    if as_json:
        typer.echo(
            json.dumps([d.model_dump(mode="json") for d in details], ensure_ascii=False, indent=1)
        )
        return
    from core.timezone import SHANGHAI

    tz = SHANGHAI
    typer.echo(f"{total} hot issues")
    for d in details:
        typer.echo(f"\n#{d.id} [{d.score:.0f}{' 紧急' if d.urgent else ''}] {d.title}")
        typer.echo(f"  关键词: {' '.join(d.keywords)}  帖子: {d.size}  状态: {d.status}")
        flagged = f"{d.flagged_at.astimezone(tz):%Y-%m-%d %H:%M}" if d.flagged_at else "-"
        typer.echo(f"  首次出现 {d.first_seen.astimezone(tz):%Y-%m-%d %H:%M}  标记于 {flagged}")
        for line in d.explanation:
            typer.echo(f"  - {line}")
        if d.flag_explanation and d.flag_explanation != d.explanation:
            typer.echo(f"  标记时（{d.flag_score:.0f}分）：")
            for line in d.flag_explanation:
                typer.echo(f"  - {line}")


@app.command()
def retention(
    days: Annotated[int, typer.Option(min=1, help="Keep posts published within this many days.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop posts published more than DAYS days ago."""
    if not yes:
        typer.confirm(f"Delete every post published more than {days} days ago?", abort=True)
    dropped = _store(_settings()).drop_older_than(days)
    typer.echo(f"dropped {dropped} posts")


@app.command("config")
def show_config() -> None:
    """Print the settings in effect (secrets hidden)."""
    settings = _settings()
    typer.echo(json.dumps(settings.model_dump(mode="json"), ensure_ascii=False, indent=2))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the tracker database to the newest schema."""
    from api.database import migrate

    settings = _settings()
    migrate(settings.database.url)
    typer.echo("tracker database is up to date")


@user_app.command("add")
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
    from api.database import migrate, session_scope
    from api.departments.service import get_by_code

    settings = _settings()
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        department_id = None
        if department:
            found = get_by_code(session=session, code=department)
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


@user_app.command("list")
def user_list() -> None:
    """List user accounts."""
    from api.auth.service import list_users
    from api.database import migrate, session_scope

    settings = _settings()
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        for user in list_users(session=session):
            state = "" if user.is_active else "  (disabled)"
            typer.echo(f"{user.username:<20} {user.role}{state}")


def _skipped_lines(report: dict) -> list[str]:
    skipped = report["skipped"]
    if not skipped:
        return []
    reasons = ", ".join(f"{reason} {count}" for reason, count in skipped.items())
    lines = [f"skipped {sum(skipped.values())} rows ({reasons})"]
    return lines + [f"  {example}" for example in report["examples"]]


@app.command("train-sentiment")
def train_sentiment(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or xlsx file of labelled texts.")],
    text_col: Annotated[str, typer.Option(help="Column holding the text.")],
    label_col: Annotated[str, typer.Option(help="Column holding 1/0, pos/neg or 正面/负面.")],
    out: Annotated[
        Path | None, typer.Option(help="Where to write the model [default: the configured path].")
    ] = None,
) -> None:
    """Retrain SnowNLP's sentiment classifier on labelled texts; sentiment scores then use it."""
    from analysis.sentiment_train import train

    _settings()
    report = train(file, text_col, label_col, out)
    for line in _skipped_lines(report):
        typer.echo(line)
    typer.echo(
        f"trained on {report['n_pos'] + report['n_neg']} texts ({report['n_pos']} positive, "
        f"{report['n_neg']} negative, {report['words']} distinct words) "
        f"in {report['seconds']:.1f} s"
    )
    typer.echo(f"model written to {report['model']}")


@app.command("eval-sentiment")
def eval_sentiment(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or xlsx file of labelled texts.")],
    text_col: Annotated[str, typer.Option(help="Column holding the text.")],
    label_col: Annotated[str, typer.Option(help="Column holding 1/0, pos/neg or 正面/负面.")],
    model: Annotated[
        Path | None, typer.Option(help="Model file to measure [default: the model in use].")
    ] = None,
) -> None:
    """Accuracy and macro-F1 of the sentiment model on labelled texts (score > 0.5: positive)."""
    from analysis.sentiment_train import evaluate

    _settings()
    report = evaluate(file, text_col, label_col, model)
    for line in _skipped_lines(report):
        typer.echo(line)
    typer.echo(
        f"model {report['model']}: F1 positive {report['f1_pos']:.3f}, "
        f"F1 negative {report['f1_neg']:.3f} ({report['n_pos']} positive, "
        f"{report['n_neg']} negative)"
    )
    typer.echo(
        f"accuracy={report['accuracy']:.3f} macro_f1={report['macro_f1']:.3f} n={report['n']}"
    )


@app.command()
def report(
    kind: Annotated[
        Literal["daily", "quarterly"],
        typer.Argument(help="daily: the brief (舆情日报); quarterly: the bulletin (季度通报)."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Directory to write to [default: reports.out_dir or DATA_DIR/reports]."),
    ] = None,
    day: Annotated[
        datetime | None,
        typer.Option(
            "--date",
            formats=["%Y-%m-%d"],
            help="daily: the day covered [default: yesterday in the office's time zone].",
        ),
    ] = None,
    quarter: Annotated[
        str | None,
        typer.Option(help="quarterly: e.g. 2025Q3 [default: the last completed quarter]."),
    ] = None,
) -> None:
    """Write the daily brief or the quarterly bulletin as DOCX and XLSX; print their paths."""
    from api.database import migrate, session_scope
    from api.reports import daily, documents, quarterly

    settings = _settings()
    if kind == "daily" and quarter is not None:
        raise YuqingError("--quarter is for the quarterly bulletin")
    if kind == "quarterly" and day is not None:
        raise YuqingError("--date is for the daily brief")
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        if kind == "daily":
            brief = daily.build(
                session=session,
                store=_store(settings),
                settings=settings,
                day=day.date() if day else daily.default_day(settings),
            )
            document = daily.report(brief)
        else:
            bulletin = quarterly.build(
                session=session,
                settings=settings,
                quarter=quarter or quarterly.default_quarter(settings),
            )
            document = quarterly.report(bulletin)
    for path in documents.write(document, out or documents.output_dir(settings)):
        typer.echo(path)


def main() -> None:
    """Entry point: a product error is one line on stderr and exit status 2, not a traceback."""
    try:
        app()
    except YuqingError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
