"""Department routing: which department a post is about, and in which district.

The rules live in `config/departments.yaml` (see its header). A post is routed like this:

1. **District.** Place names (estates, roads, landmarks, district names and aliases) found in the
   title and text vote for their district; the most mentioned wins, a tie goes to the first one
   mentioned. Only when the post names no place does the source's `region` decide (a board's
   所属区域 or a microblog's "发布于 青山区"), because the poster's location says less about the
   matter than the places the poster writes about.
2. **Scores.** Every keyword in the title or text adds its weight to each department that lists
   it, counted at most `MAX_COUNT` times, plus once more when it is in the title. A department's
   name or alias counts like a keyword of weight `NAME_WEIGHT`. Where one word contains another,
   the longest match wins ("养老保险" is not also "养老").
   A category label from the source (the board's 问题类别, the hotline's 诉求分类) overrides the
   text where it is known: only the departments that list it stay in the running, each with
   `CATEGORY_WEIGHT` more, so one of them is chosen even when the text has no keyword of theirs.
   A label no department lists (咨询, 其他) is ignored. Several labels may be given in one
   string ("城乡建设/供水"); each part counts.
3. **District-level departments** (those with a `district`) are considered only for posts in
   their own district: their keywords count nowhere else, but their name written in a post always
   counts (and its place name reveals the district). When no department scores at all and the
   district is known, the post goes to that district's government with confidence
   `LOCAL_CONFIDENCE` (属地管理: what no city department obviously owns is the district's to sort
   out). With neither, the guess is None with confidence 0.
4. **Confidence** grows with the margin of the best score over the runner-up and with the
   strength of the best score: ``(1 - second / best) * (1 - exp(-best / CONFIDENCE_SCALE))``. A
   lone weak hint gives about 0.2, one unmistakable keyword about 0.5, three of them 0.9, a
   category that one department alone lists 0.7; two departments with equal evidence give 0.
   On real board messages, guesses at 0.5 or more were right about nine times in ten.

Matching is one scan of the lower-cased title and text for two vocabularies, topic words and
names, and places (`WordScanner`), so its cost grows with the length of the text and hardly with
the number of words: about 40 µs for 150 characters on the development machine, under a tenth of
jieba's segmentation of the same text (bench/routing.py). `tokens` are accepted for the
pipeline's convenience but not used: jieba cuts many keywords and place names differently from
the dictionary here, and the scan costs less than a tenth of the segmentation anyway.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from core.configfile import load_model

NAME_WEIGHT = 4.0
CATEGORY_WEIGHT = 5.0
MAX_COUNT = 3
CONFIDENCE_SCALE = 4.0
LOCAL_CONFIDENCE = 0.3
_CATEGORY_SPLIT = re.compile(r"[/>|,，、;；\s\-—]+")


def _as_text(value: Any) -> Any:
    # YAML reads 12345 or 110 as numbers; they are words here.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _word(value: str) -> str:
    value = value.strip()
    if not 2 <= len(value) <= 40:
        # a single character matches inside too many other words to mean anything
        raise ValueError(f"{value!r}: words must have 2 to 40 characters")
    return value


Word = Annotated[str, BeforeValidator(_as_text), AfterValidator(_word)]
Weight = Annotated[float, Field(ge=0.1, le=10)]


class DistrictSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aliases: list[Word] = []
    places: list[Word] = []


class DepartmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    name: Word
    aliases: list[Word] = []
    district: str | None = None
    categories: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]] = []
    keywords: dict[Word, Weight] = {}

    @field_validator("aliases", "categories", "keywords", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("keywords", mode="before")
    @classmethod
    def _list_means_weight_one(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        words = [_as_text(w) for w in value]
        repeated = sorted({str(w) for w in words if words.count(w) > 1})
        if repeated:
            raise ValueError(f"listed more than once: {', '.join(repeated)}")
        return dict.fromkeys(words, 1.0)


class RoutingFile(BaseModel):
    """The parsed `departments.yaml`."""

    model_config = ConfigDict(extra="forbid")

    districts: dict[Word, DistrictSpec] = Field(min_length=1)
    # Only a holder for a YAML anchor that district governments reuse; not read by itself.
    district_words: dict[Word, Weight] | None = None
    departments: list[DepartmentSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RoutingFile:
        problems: list[str] = []
        codes = [d.code for d in self.departments]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            problems.append(f"department codes must be unique; repeated: {', '.join(repeated)}")
        owner: dict[str, str] = {}
        for dept in self.departments:
            if dept.district is not None and dept.district not in self.districts:
                problems.append(f"{dept.code}: district {dept.district!r} is not under districts")
            for word in dict.fromkeys([dept.name, *dept.aliases]):
                key = word.lower()
                if key in owner and owner[key] != dept.code:
                    problems.append(f"name {word!r} belongs to both {owner[key]} and {dept.code}")
                owner[key] = dept.code
        for dept in self.departments:
            for word in dept.keywords:
                if word.lower() in owner:
                    problems.append(
                        f"{dept.code}: keyword {word!r} is also a name of {owner[word.lower()]}"
                    )
        where: dict[str, str] = {}
        for district, spec in self.districts.items():
            for place in dict.fromkeys([district, *spec.aliases, *spec.places]):
                if place in where and where[place] != district:
                    problems.append(f"place {place!r} is in both {where[place]} and {district}")
                where[place] = district
        if problems:
            raise ValueError("; ".join(problems))
        return self


def load_routing_file(path: Path) -> RoutingFile:
    """The parsed departments file; a bad file is one `ConfigError` naming the problem."""
    return load_model(path, RoutingFile, "departments file", where=_where)


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    """A validation error's place, naming a department by its code rather than its index."""
    parts = [str(p) for p in loc if p != "[key]"]
    if len(loc) > 1 and loc[0] == "departments" and isinstance(loc[1], int):
        entry = data["departments"][loc[1]]
        if isinstance(entry, dict) and isinstance(entry.get("code"), str):
            parts[1] = entry["code"]
    return ".".join(parts) or "file"


def user_words(departments_file: Path) -> list[str]:
    """District, place and department names in the departments file, for jieba's dictionary."""
    spec = load_routing_file(departments_file)
    words: list[str] = []
    for district, d in spec.districts.items():
        words += [district, *d.aliases, *d.places]
    for dept in spec.departments:
        words += [dept.name, *dept.aliases]
    return list(dict.fromkeys(words))


def place_names(departments_file: Path) -> list[str]:
    """The places (estates, roads, landmarks) and department names of the departments file:
    names specific enough to tell one topic from another. District names are not: nearly
    every post of a district names it."""
    spec = load_routing_file(departments_file)
    words = [place for d in spec.districts.values() for place in d.places]
    for dept in spec.departments:
        words += [dept.name, *dept.aliases]
    return list(dict.fromkeys(words))


class WordScanner:
    """Finds fixed vocabularies in texts: in each, the longest word at each place, left to right.

    Python cannot afford to look at every position of a text itself (about 0.1 µs a character),
    and a regex alternation of a few thousand words tries them one after another at every
    position. So numpy marks, in one pass, the positions where two characters begin a word (a
    table of all first-two-character pairs), and only those few positions are looked up. Each
    vocabulary is matched on its own: a place name may contain a keyword, and both are found.
    """

    def __init__(self, *vocabularies: Iterable[str]) -> None:
        self._vocabularies = [frozenset(words) for words in vocabularies]
        every = set().union(*self._vocabularies)
        if any(len(w) < 2 for w in every):
            raise ValueError("words must have at least 2 characters")
        # Characters are numbered by their code point modulo 2**16: a character beyond the
        # basic plane shares a number with one inside it, which only adds positions to look up.
        codes = sorted({ord(ch) & 0xFFFF for w in every for ch in w[:2]})
        self._ids = np.zeros(0x10000, dtype=np.uint32)
        self._ids[codes] = np.arange(1, len(codes) + 1, dtype=np.uint32)
        self._k = len(codes) + 1
        self._pairs: list[np.ndarray] = []
        self._sizes: list[dict[str, list[int]]] = []
        for words in self._vocabularies:
            pairs = np.zeros(self._k * self._k, dtype=bool)
            sizes: dict[str, set[int]] = {}
            for w in words:
                a, b = (int(self._ids[ord(ch) & 0xFFFF]) for ch in w[:2])
                pairs[a * self._k + b] = True
                sizes.setdefault(w[:2], set()).add(len(w))
            self._pairs.append(pairs)
            self._sizes.append({head: sorted(n, reverse=True) for head, n in sizes.items()})

    def find(self, text: str) -> list[list[tuple[int, str]]]:
        """For each vocabulary, (position, word) of the words found in `text`, without overlaps."""
        if len(text) < 2:
            return [[] for _ in self._vocabularies]
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        ids = self._ids[points & 0xFFFF]
        pair_codes = ids[:-1] * self._k + ids[1:]
        results = []
        for words, pairs, sizes in zip(self._vocabularies, self._pairs, self._sizes, strict=True):
            found: list[tuple[int, str]] = []
            end = 0
            head_sizes = sizes.get
            for i in pairs[pair_codes].nonzero()[0].tolist():
                if i < end:
                    continue
                for size in head_sizes(text[i : i + 2], ()):
                    word = text[i : i + size]
                    if word in words:
                        found.append((i, word))
                        end = i + size
                        break
            results.append(found)
        return results


@dataclass(frozen=True, slots=True)
class Guess:
    """The department a post is most likely for, with why."""

    department: str | None  # its code, e.g. "zjj"
    department_name: str | None  # e.g. "市住建局"
    district: str | None
    confidence: float  # 0..1
    reasons: list[str] = field(default_factory=list)  # e.g. ["关键词:停水×3", "类别:城乡建设"]


@dataclass(frozen=True, slots=True)
class _Department:
    code: str
    name: str
    district: str | None


class Router:
    """Guesses a post's department and district from the rules in the departments file."""

    def __init__(self, spec: RoutingFile) -> None:
        self.departments = [_Department(d.code, d.name, d.district) for d in spec.departments]
        self.names = {d.code: d.name for d in self.departments}
        self._names = {w.lower() for d in spec.departments for w in (d.name, *d.aliases)}
        # word -> ((department index, weight, the only district it counts in), ...); a name
        # counts everywhere, a district department's keyword only in its district
        topic: dict[str, list[tuple[int, float, str | None]]] = {}
        for i, dept in enumerate(spec.departments):
            for word in dict.fromkeys(w.lower() for w in (dept.name, *dept.aliases)):
                topic.setdefault(word, []).append((i, NAME_WEIGHT, None))
            for word, weight in dept.keywords.items():
                topic.setdefault(word.lower(), []).append((i, weight, dept.district))
        self._topic = {w: tuple(hits) for w, hits in topic.items()}
        self._place: dict[str, str] = {}
        for district, d in spec.districts.items():
            for place in (district, *d.aliases, *d.places):
                self._place[place.lower()] = district
        self._scanner = WordScanner(self._topic, self._place)
        self._category: dict[str, list[int]] = {}
        for i, dept in enumerate(spec.departments):
            for label in dept.categories:
                self._category.setdefault(label, []).append(i)
        self._local: dict[str, int] = {}
        for i, department in enumerate(self.departments):
            if department.district is not None:
                self._local.setdefault(department.district, i)

    @classmethod
    def from_file(cls, path: Path) -> Router:
        return cls(load_routing_file(path))

    def district_of(self, text: str) -> str | None:
        """The district `text` names most often (the first named on a tie), or None."""
        return self._district(self._scanner.find(text.lower())[1])

    def _district(self, places: list[tuple[int, str]]) -> str | None:
        votes: dict[str, int] = {}
        for _, place in places:
            district = self._place[place]
            votes[district] = votes.get(district, 0) + 1
        # dicts keep the order of first mention and max() keeps the first maximum
        return max(votes, key=votes.__getitem__) if votes else None

    def guess(
        self,
        title: str,
        text: str,
        tokens: list[str] | None = None,
        category: str | None = None,
        region: str | None = None,
    ) -> Guess:
        del tokens  # the text is scanned itself; see the module docstring
        title = (title or "").lower()
        topic_words, places = self._scanner.find(f"{title}\n{(text or '').lower()}")
        district = self._district(places)
        if district is None and region:
            district = self.district_of(region)

        counts: dict[str, int] = {}
        for _, word in topic_words:
            counts[word] = counts.get(word, 0) + 1
        in_title = {word for at, word in topic_words if at < len(title)}
        factors = {w: min(n, MAX_COUNT) + (w in in_title) for w, n in counts.items()}

        scores: dict[int, float] = {}
        for word, factor in factors.items():
            for i, weight, only_in in self._topic[word]:
                if only_in is None or only_in == district:
                    scores[i] = scores.get(i, 0.0) + weight * factor
        labels = [p for p in _CATEGORY_SPLIT.split(category) if p] if category else []
        given = {i: p for p in reversed(labels) for i in self._category.get(p, ())}
        if given:
            scores = {i: scores.get(i, 0.0) + CATEGORY_WEIGHT for i in given}

        place = [f"区域:{district}"] if district else []
        if not scores:
            local = self._local.get(district) if district else None
            if local is None:
                return Guess(None, None, district, 0.0, place)
            dept = self.departments[local]
            return Guess(dept.code, dept.name, district, LOCAL_CONFIDENCE, [*place, "属地管理"])

        # a tie goes to the department listed first in the file
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        best_i, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        confidence = (1.0 - second / best) * (1.0 - math.exp(-best / CONFIDENCE_SCALE))
        evidence = [(CATEGORY_WEIGHT, f"类别:{given[best_i]}")] if best_i in given else []
        for word, times in counts.items():
            for i, weight, only_in in self._topic[word]:
                if i == best_i and (only_in is None or only_in == district):
                    label = "名称" if word in self._names else "关键词"
                    count = f"×{times}" if times > 1 else ""
                    evidence.append((weight * factors[word], f"{label}:{word}{count}"))
        reasons = [r for _, r in sorted(evidence, key=lambda e: -e[0])[:4]]
        dept = self.departments[best_i]
        return Guess(dept.code, dept.name, district, round(confidence, 3), reasons + place)

    def guess_many(self, posts: Iterable[Mapping[str, Any]]) -> list[Guess]:
        """`guess` for each post dict (keys title, text, tokens, category, region)."""
        return [
            self.guess(
                p.get("title") or "",
                p.get("text") or "",
                p.get("tokens"),
                p.get("category"),
                p.get("region"),
            )
            for p in posts
        ]
