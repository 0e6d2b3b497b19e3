"""The `yuqing` command line: every command, registered from the modules that hold them."""

from __future__ import annotations

import sys

import typer

from core.errors import YuqingError
from yuqing.commands import analysis, crawling, posts, serving, sources, tracker
from yuqing.demo.command import demo

app = typer.Typer(
    help="yuqing: public-opinion monitoring and response tracking.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The tracker database.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts and roles.", no_args_is_help=True)
sources_app = typer.Typer(help="The sources file: check it, and the keys of each kind.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(sources_app, name="sources")

app.command()(demo)
app.command()(serving.serve)
app.command()(serving.scheduler)
app.command()(posts.load)
app.command()(crawling.crawl)
app.command("import")(crawling.import_file)
app.command()(posts.search)
app.command()(posts.stats)
app.command()(analysis.analyze)
app.command("hot-issues")(analysis.hot_issues)
app.command()(posts.retention)
app.command("config")(tracker.show_config)
app.command("train-sentiment")(analysis.train_sentiment)
app.command("eval-sentiment")(analysis.eval_sentiment)
app.command()(tracker.report)
db_app.command("upgrade")(tracker.db_upgrade)
user_app.command("add")(tracker.user_add)
user_app.command("list")(tracker.user_list)
sources_app.command("check")(sources.check)
sources_app.command("schema")(sources.schema)


def main() -> None:
    """Entry point: a product error is one line on stderr and exit status 2, not a traceback."""
    try:
        app()
    except YuqingError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
