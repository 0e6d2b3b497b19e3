"""Retrain SnowNLP's sentiment classifier on labelled texts, and measure a model on labelled texts.

`train` does what SnowNLP's `Sentiment.train(neg_docs, pos_docs)` + `save` do: each text is cut
into words by SnowNLP's segmentation (through the exact fast path, `analysis.snowfast`), SnowNLP's
stop words are dropped, and the Naive Bayes counts are kept per class with SnowNLP's add-one
scheme (`AddOneProb`: a word's count starts at 1, a class total counts each word once more), the
negative texts first.  The model is written, gzip + marshal, in SnowNLP's `Bayes.save` layout
``{'total': float, 'd': {'neg': {'d': {word: count}, 'total': float, 'none': 1}, 'pos': ...}}``
to exactly the given path (SnowNLP's own `save`/`load` append '.3' to the name under Python 3: to
read the file with `Sentiment().load(name)`, give it a name that with '.3' appended is this file).

Input: a UTF-8 CSV (or an .xlsx sheet) with a text column and a label column holding 1/0,
pos/neg or 正面/负面.  Rows with an empty text or another label are skipped and counted by reason.

`evaluate` scores each text and counts a score > 0.5 as positive (exactly 0.5 is negative).
"""

from __future__ import annotations

import csv
import gzip
import marshal
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

from analysis.sentiment import SHIPPED, Sentiment
from core.errors import InputError

LABELS = {
    "1": "pos",
    "pos": "pos",
    "positive": "pos",
    "正面": "pos",
    "0": "neg",
    "neg": "neg",
    "negative": "neg",
    "负面": "neg",
}
THRESHOLD = 0.5  # a score above it is positive
_BATCH = 5000  # texts segmented or scored at once
_EXAMPLES = 5  # skipped rows listed per reason


class Labelled(TypedDict):
    """The usable rows of a labelled file, and the skipped ones by reason."""

    texts: list[str]
    labels: list[str]  # 'pos' or 'neg'
    skipped: dict[str, int]  # reason -> rows
    examples: list[str]


class Metrics(TypedDict):
    accuracy: float
    macro_f1: float
    f1_pos: float
    f1_neg: float
    n: int
    n_pos: int
    n_neg: int


class BayesClass(TypedDict):
    """One class of SnowNLP's `Bayes.save` layout: its `AddOneProb`."""

    d: dict[str, int]
    total: float
    none: int


class BayesModel(TypedDict):
    """SnowNLP's `Bayes.save` layout."""

    total: float
    d: dict[str, BayesClass]  # 'neg', 'pos'


def _cells(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the (row number, cells) of a CSV or xlsx file; the header is row 1."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_cells(path)
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))  # long texts in one cell
    try:
        f = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by rows()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    reader = csv.reader(f)

    def fail(exc: Exception) -> InputError:
        f.close()
        if isinstance(exc, UnicodeDecodeError):
            return InputError(f"{path}: not UTF-8 text (after line {reader.line_num})")
        return InputError(f"{path}, line {reader.line_num + 1}: {exc}")

    try:
        header = next(reader, [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise fail(exc) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        with f:
            try:
                for row in reader:
                    yield reader.line_num, row
            except (UnicodeDecodeError, csv.Error) as exc:
                raise fail(exc) from exc

    return header, rows()


def _xlsx_cells(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"{path}: cannot read as an xlsx workbook ({exc})") from exc
    sheet = book.active
    if sheet is None:
        book.close()
        raise InputError(f"{path}: the workbook has no active sheet")
    sheet_rows = sheet.iter_rows(values_only=True)
    header = ["" if v is None else str(v) for v in next(sheet_rows, ())]

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for n, row in enumerate(sheet_rows, start=2):
                yield n, [_cell_text(v) for v in row]
        finally:
            book.close()

    return header, rows()


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_labelled(path: str | Path, text_col: str, label_col: str) -> Labelled:
    """{'texts', 'labels' ('pos'/'neg'), 'skipped': {reason: count}, 'examples': [...]}."""
    path = Path(path)
    header, rows = _cells(path)
    header = [h.strip() for h in header]
    missing = [c for c in (text_col, label_col) if c not in header]
    if missing:
        raise InputError(
            f"{path}: no column {', '.join(map(repr, missing))}; the columns are "
            + (", ".join(map(repr, header)) or "none")
        )
    ti, li = header.index(text_col), header.index(label_col)
    texts: list[str] = []
    labels: list[str] = []
    skipped: Counter[str] = Counter()
    examples: list[str] = []
    for n, row in rows:
        if not any(cell.strip() for cell in row):
            continue  # a blank line is no row
        text = row[ti] if ti < len(row) else ""
        raw = row[li] if li < len(row) else ""
        label = LABELS.get(raw.strip().lower())
        if not text.strip():
            reason = "empty text"
        elif label is None:
            reason = "unknown label"
        else:
            texts.append(text)
            labels.append(label)
            continue
        skipped[reason] += 1
        if skipped[reason] <= _EXAMPLES:
            examples.append(f"row {n}: {reason}" + (f" {raw!r}" if label is None else ""))
    return {"texts": texts, "labels": labels, "skipped": dict(skipped), "examples": examples}


def _words(texts: list[str]) -> Iterator[list[str]]:
    from analysis import snowfast

    for i in range(0, len(texts), _BATCH):
        yield from snowfast.words_many(texts[i : i + _BATCH])


def train(path: str | Path, text_col: str, label_col: str, out: str | Path) -> dict[str, Any]:
    """Retrain on the labelled file and write the model to `out`.

    Returns n_pos, n_neg, skipped ({reason: count}), examples, words (distinct), seconds, model.
    """
    from analysis.snowfast_tables import read_stop_words

    started = time.perf_counter()
    data = read_labelled(path, text_col, label_col)
    texts, labels = data["texts"], data["labels"]
    n_pos = labels.count("pos")
    n_neg = len(labels) - n_pos
    if not n_pos or not n_neg:
        raise InputError(
            f"{path}: training needs positive and negative texts; "
            f"found {n_pos} positive, {n_neg} negative"
        )
    stop = frozenset(read_stop_words())
    # SnowNLP's Sentiment.train: the negative texts first, then the positive ones
    order = [i for i, lab in enumerate(labels) if lab == "neg"]
    order += [i for i, lab in enumerate(labels) if lab == "pos"]
    counts: dict[str, dict[str, int]] = {"neg": {}, "pos": {}}
    totals = {"neg": 0, "pos": 0}
    for i, words in zip(order, _words([texts[i] for i in order]), strict=True):
        d = counts[labels[i]]
        kept = [w for w in words if w not in stop]
        for w in kept:
            d[w] = d.get(w, 1) + 1  # AddOneProb.add: a new word starts at 1
        totals[labels[i]] += len(kept)
    for c in ("neg", "pos"):
        if not counts[c]:
            raise InputError(f"{path}: the {c} texts have no words (all stop words)")
    # AddOneProb.total: each word once, plus 1 per distinct word; Bayes.total: their sum
    model: BayesModel = {
        "total": 0.0,
        "d": {
            c: {"d": counts[c], "total": float(totals[c] + len(counts[c])), "none": 1}
            for c in counts
        },
    }
    model["total"] = sum(model["d"][c]["total"] for c in model["d"])
    dest = Path(out)
    save(model, dest)
    return {
        "n_pos": n_pos,
        "n_neg": n_neg,
        "skipped": data["skipped"],
        "examples": data["examples"],
        "words": len(set(counts["neg"]) | set(counts["pos"])),
        "seconds": time.perf_counter() - started,
        "model": str(dest),
    }


def save(model: BayesModel, dest: Path) -> None:
    """Write the model (gzip + marshal, as SnowNLP's `Bayes.save`) atomically to exactly `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with gzip.open(tmp, "wb") as f:
            blob = marshal.dumps(model)  # type: ignore[arg-type]  # TypedDict is a dict at run time
            f.write(blob)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def evaluate(
    path: str | Path,
    text_col: str,
    label_col: str,
    model: str | Path | None,
    *,
    in_use: Sentiment,
) -> dict[str, Any]:
    """Accuracy and macro-F1 of a model on the labelled file (None: the model `in_use`;
    "snownlp shipped": SnowNLP's shipped model, whatever is configured).

    Returns accuracy, macro_f1 (mean of the positive and negative classes' F1), f1_pos, f1_neg,
    n, n_pos, n_neg, skipped ({reason: count}), examples, model.
    """
    from analysis import snowfast

    data = read_labelled(path, text_col, label_col)
    texts, labels = data["texts"], data["labels"]
    if model == SHIPPED:
        m = snowfast.model()
    elif model is not None:
        model = Path(model)
        if not model.is_file():
            raise InputError(f"{model}: no such model file")
        try:
            configured = in_use.model_path
            cached = configured is not None and model.resolve() == configured.resolve()
            m = snowfast.load(model, cache=cached, cache_dir=in_use.cache_dir)
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    else:
        m = in_use.model()
    predicted = []
    for i in range(0, len(texts), _BATCH):
        predicted += [s > THRESHOLD for s in snowfast.score_many(texts[i : i + _BATCH], m)]
    return dict(
        metrics([lab == "pos" for lab in labels], predicted),
        skipped=data["skipped"],
        examples=data["examples"],
        model=m.source,
    )


def metrics(actual: list[bool], predicted: list[bool]) -> Metrics:
    """accuracy, macro_f1, f1_pos, f1_neg, n, n_pos, n_neg of boolean labels (True: positive)."""
    n = len(actual)
    tp = sum(a and p for a, p in zip(actual, predicted, strict=True))
    tn = sum(not a and not p for a, p in zip(actual, predicted, strict=True))
    fp = sum(p for p in predicted) - tp
    fn = n - tp - tn - fp

    def f1(hit: int, false_pos: int, false_neg: int) -> float:
        return 2 * hit / (2 * hit + false_pos + false_neg) if hit else 0.0

    f1_pos, f1_neg = f1(tp, fp, fn), f1(tn, fn, fp)
    return {
        "accuracy": (tp + tn) / n if n else 0.0,
        "macro_f1": (f1_pos + f1_neg) / 2,
        "f1_pos": f1_pos,
        "f1_neg": f1_neg,
        "n": n,
        "n_pos": tp + fn,
        "n_neg": tn + fp,
    }
