"""Commands on the analysis: a clustering pass, the hot issues, the sentiment model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from yuqing import wiring


def analyze(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the pass's figures as JSON.")
    ] = False,
) -> None:
    """Run one pass of the clustering job: cluster new posts, score topics, raise alerts."""
    result = wiring.clustering_job(wiring.command_settings()).run()
    typer.echo(
        json.dumps(result.as_dict(), ensure_ascii=False) if as_json else wiring.summary(result)
    )


def hot_issues(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    include_all: Annotated[
        bool, typer.Option("--all", help="Also expired and dismissed ones.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    members: Annotated[int, typer.Option(min=0, max=1000, help="Members listed per issue.")] = 50,
) -> None:
    """The current hot issues, hottest first, with their members and why they were flagged."""
    from api.database import session_scope
    from api.hot_issues import service
    from api.migrating import migrate
    from core.timezone import SHANGHAI

    settings = wiring.command_settings()
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        rows, total = service.list_hot(session=session, include_all=include_all, limit=limit)
        details = [service.detail(session=session, row=row, limit=members) for row in rows]
    if as_json:
        typer.echo(
            json.dumps([d.model_dump(mode="json") for d in details], ensure_ascii=False, indent=1)
        )
        return
    tz = SHANGHAI
    typer.echo(f"{total} hot issues")
    for d in details:
        peak = ""
        if d.peak_score is not None and d.peak_at is not None:
            peak = f"  峰值 {d.peak_score:.0f}（{d.peak_at.astimezone(tz):%Y-%m-%d %H:%M}）"
        urgent = " 紧急" if d.urgent else ""
        typer.echo(f"\n#{d.id} [当前 {d.score:.0f}{urgent}] {d.title}{peak}")
        typer.echo(f"  关键词: {' '.join(d.keywords)}  帖子: {d.size}  状态: {d.status}")
        flagged = f"{d.flagged_at.astimezone(tz):%Y-%m-%d %H:%M}" if d.flagged_at else "-"
        typer.echo(f"  首次出现 {d.first_seen.astimezone(tz):%Y-%m-%d %H:%M}  标记于 {flagged}")
        for line in d.explanation:
            typer.echo(f"  - {line}")
        if d.flag_explanation and d.flag_explanation != d.explanation:
            typer.echo(f"  标记时（{d.flag_score:.0f}分）：")
            for line in d.flag_explanation:
                typer.echo(f"  - {line}")


def _skipped_lines(report: dict[str, Any]) -> list[str]:
    skipped = report["skipped"]
    if not skipped:
        return []
    reasons = ", ".join(f"{reason} {count}" for reason, count in skipped.items())
    lines = [f"skipped {sum(skipped.values())} rows ({reasons})"]
    return lines + [f"  {example}" for example in report["examples"]]


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

    settings = wiring.command_settings()
    report = train(
        file, text_col, label_col, out or settings.resolve(settings.analysis.sentiment_model)
    )
    for line in _skipped_lines(report):
        typer.echo(line)
    typer.echo(
        f"trained on {report['n_pos'] + report['n_neg']} texts ({report['n_pos']} positive, "
        f"{report['n_neg']} negative, {report['words']} distinct words) "
        f"in {report['seconds']:.1f} s"
    )
    typer.echo(f"model written to {report['model']}")


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

    settings = wiring.command_settings()
    report = evaluate(file, text_col, label_col, model, in_use=wiring.analyzer(settings).sentiment)
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
