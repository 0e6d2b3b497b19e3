"""Commands on the analysis: a clustering pass, the hot issues, the sentiment models."""

from __future__ import annotations

import json
from enum import StrEnum
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


class Engine(StrEnum):
    ngram = "ngram"
    snownlp = "snownlp"


def _data_dir() -> Path:
    from core.settings import PROJECT_ROOT

    return PROJECT_ROOT.parent / "shared" / "data" / "sentiment"


def train_sentiment(
    file: Annotated[
        Path | None, typer.Argument(help="CSV (UTF-8) or xlsx file of labelled texts.")
    ] = None,
    text_col: Annotated[str | None, typer.Option(help="Column holding the text.")] = None,
    label_col: Annotated[
        str | None, typer.Option(help="Column holding 1/0, pos/neg or 正面/负面.")
    ] = None,
    engine: Annotated[
        Engine, typer.Option(help="The n-gram model, or SnowNLP's own classifier.")
    ] = Engine.ngram,
    shipped: Annotated[
        bool,
        typer.Option(
            "--shipped",
            help="Remake the shipped n-gram model from the public data in --data "
            "(analysis/sentiment_recipe.py says how).",
        ),
    ] = False,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Folder of the public data for --shipped [default: ../shared/data/sentiment]."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the model [default: the configured path].")
    ] = None,
) -> None:
    """Train the sentiment model on labelled texts (sentiment scores then use it), or remake
    the shipped one (--shipped)."""
    from core.errors import InputError

    settings = wiring.command_settings()
    if shipped:
        if file is not None or engine != Engine.ngram:
            raise InputError("--shipped remakes the shipped n-gram model: give no FILE")
        _train_shipped(data or _data_dir(), out or settings.resolve(settings.analysis.ngram_model))
        return
    if file is None or text_col is None or label_col is None:
        raise InputError("give FILE with --text-col and --label-col (or --shipped)")
    if engine == Engine.ngram:
        from analysis.ngram_train import train as train_ngram

        dest = out or settings.resolve(settings.analysis.ngram_model)
        report = train_ngram(file, text_col, label_col, dest)
        size = f"{report['buckets']} weighted buckets"
    else:
        from analysis.sentiment_train import train

        dest = out or settings.resolve(settings.analysis.sentiment_model)
        report = train(file, text_col, label_col, dest)
        size = f"{report['words']} distinct words"
    for line in _skipped_lines(report):
        typer.echo(line)
    typer.echo(
        f"trained on {report['n_pos'] + report['n_neg']} texts ({report['n_pos']} positive, "
        f"{report['n_neg']} negative, {size}) in {report['seconds']:.1f} s"
    )
    typer.echo(f"model written to {report['model']}")
    if settings.analysis.sentiment_engine != engine.value:
        typer.echo(
            f"note: analysis.sentiment_engine is {settings.analysis.sentiment_engine}; "
            f"a post's sentiment is this {engine.value} model's score once it is {engine.value}"
        )


def _train_shipped(data: Path, out: Path) -> None:
    from analysis.sentiment_ngram import SHIPPED_MODEL, load
    from analysis.sentiment_recipe import train_shipped
    from core.errors import InputError

    if not data.is_dir():
        raise InputError(f"{data}: no such folder (the shipped model is made from its data)")
    report = train_shipped(data, out)
    at_half, chosen = report["validation_at_half"], report["validation"]
    typer.echo(
        f"trained on {report['train']} Weibo posts and {report['reviews']} reviews "
        f"({report['test']} Weibo posts kept out for the test) in {report['seconds']:.0f} s"
    )
    typer.echo(
        f"validation, out of fold: at 0.5 accuracy={at_half['accuracy']:.3f} "
        f"macro_f1={at_half['macro_f1']:.3f}; at the chosen threshold {report['threshold']:.2f} "
        f"accuracy={chosen['accuracy']:.3f} macro_f1={chosen['macro_f1']:.3f}"
    )
    typer.echo(f"model written to {report['model']}")
    if SHIPPED_MODEL.exists() and out.resolve() != SHIPPED_MODEL.resolve():
        made, ships = load(out), load(SHIPPED_MODEL)
        same = (made.weights == ships.weights).all() and (made.idf == ships.idf).all()
        same = same and (made.bias, made.shift) == (ships.bias, ships.shift)
        typer.echo(
            f"{'the same as' if same else 'different from'} the shipped model ({SHIPPED_MODEL})"
        )


def eval_sentiment(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or xlsx file of labelled texts.")],
    text_col: Annotated[str, typer.Option(help="Column holding the text.")],
    label_col: Annotated[str, typer.Option(help="Column holding 1/0, pos/neg or 正面/负面.")],
    engine: Annotated[
        Engine | None,
        typer.Option(help="The model to measure [default: analysis.sentiment_engine]."),
    ] = None,
    model: Annotated[
        Path | None, typer.Option(help="Model file to measure [default: the model in use].")
    ] = None,
) -> None:
    """Accuracy and macro-F1 of the sentiment model on labelled texts (score > 0.5: positive)."""
    settings = wiring.command_settings()
    analyzer = wiring.analyzer(settings)
    if (engine or settings.analysis.sentiment_engine) == Engine.ngram:
        from analysis.ngram_train import evaluate as evaluate_ngram

        report = evaluate_ngram(file, text_col, label_col, model, in_use=analyzer.ngram)
    else:
        from analysis.sentiment_train import evaluate

        report = evaluate(file, text_col, label_col, model, in_use=analyzer.snownlp)
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
