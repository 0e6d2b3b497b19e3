"""Small helpers shared by the text pools: block splitting, picking and template filling."""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")


def lines(block: str) -> tuple[str, ...]:
    """One entry per non-blank line; pools are written this way to keep the Chinese readable."""
    return tuple(line.strip() for line in block.splitlines() if line.strip())


def words(block: str) -> tuple[str, ...]:
    """Whitespace-separated entries, for pools of short names."""
    return tuple(block.split())


def pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[rng.randrange(len(items))]


def some(rng: random.Random, items: Sequence[T], low: int, high: int) -> list[T]:
    """Between `low` and `high` distinct items, in pool order so sentences keep their logic."""
    count = min(len(items), rng.randint(low, high))
    chosen = sorted(rng.sample(range(len(items)), count))
    return [items[i] for i in chosen]


def chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def fill(template: str, slots: Mapping[str, str]) -> str:
    return template.format_map(slots)


def join_sentences(parts: Sequence[str]) -> str:
    """Joins sentences, adding a full stop where the writer's fragment has no end mark."""
    out = []
    for part in parts:
        if not part:
            continue
        if part[-1] not in "。！？!?…；：，、）)~～]】":
            part += "。"
        out.append(part)
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """Cuts at the last sentence end before `limit` so long messages still read naturally."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in "。！？")
    return text[: cut + 1] if cut > limit // 3 else text[:limit]


_SLOT = re.compile(r"\{\w+\}")
_NOT_TEXT = re.compile(r"[\W\d_a-zA-Z]+")


@functools.lru_cache(maxsize=4096)  # pool sentences are matched again and again
def bigrams(text: str) -> frozenset[str]:
    """Character pairs of the Chinese text, ignoring slots, digits and punctuation."""
    runs = _NOT_TEXT.split(_SLOT.sub(" ", text))
    return frozenset(run[i : i + 2] for run in runs for i in range(len(run) - 1))


def related(
    rng: random.Random,
    items: Sequence[str],
    anchor: str,
    low: int,
    high: int,
    *,
    strict: bool = False,
) -> list[str]:
    """Like `some`, but led by an item sharing the most wording with `anchor`.

    Pools are loose lists; matching on shared character pairs keeps a title, the complaint
    under it and the reply to it about the same thing without hand-pairing every sentence.
    With `strict`, the other items must share some wording too, so a pool that mixes several
    grievances does not make one letter complain about all of them.
    """
    count = min(len(items), rng.randint(low, high))
    if count == 0:
        return []
    wanted = bigrams(anchor)
    scores = [len(wanted & bigrams(item)) for item in items]
    best = max(scores)
    lead = pick(rng, [i for i, score in enumerate(scores) if score == best])
    rest = [i for i in range(len(items)) if i != lead and (scores[i] > 0 or not strict)]
    others = sorted(rng.sample(rest, min(count - 1, len(rest))))
    return [items[lead]] + [items[i] for i in others]


def best_match(rng: random.Random, items: Sequence[str], anchor: str) -> tuple[str, int]:
    """The item sharing the most character pairs with `anchor`, and how many it shares."""
    wanted = bigrams(anchor)
    scores = [len(wanted & bigrams(item)) for item in items]
    best = max(scores)
    return pick(
        rng, [item for item, score in zip(items, scores, strict=True) if score == best]
    ), best


_CLAUSE_END = re.compile(r"[，。！？；]")
_CALLER_PREFIXES = ("其居住的", "其所在的", "其所在", "其在", "其")


def first_clause(text: str) -> str:
    """The opening clause, without the call-taker's "其…" lead-in, as a headline candidate."""
    clause = _CLAUSE_END.split(text, maxsplit=1)[0]
    for prefix in _CALLER_PREFIXES:
        if clause.startswith(prefix):
            return clause.removeprefix(prefix)
    return clause
