"""The search query language, parsed once and compiled by each backend.

    拆迁 补偿              both terms (adjacent terms are joined by AND)
    "拆迁补偿"             the phrase, characters in a row (Chinese quotes “” work too)
    拆迁 OR 征收           either term
    拆迁 NOT 补偿          拆迁 without 补偿; ``-补偿`` means the same as ``NOT 补偿``
    (拆迁 OR 征收) AND 补偿  parentheses group

NOT binds tighter than AND, and AND tighter than OR. Operators are written in capitals; in
lower case they are ordinary words.

A query is bounded before any store sees it: at most MAX_QUERY_LENGTH characters, MAX_TERMS
terms, and parentheses and NOT nested at most MAX_DEPTH deep. Each backend turns the tree into
nested clauses (SQLite's SQL and FTS5 parsers and Elasticsearch's bool queries each have a
nesting limit) and the parser itself recurses once per level, so without the bound a deep
query is a crash instead of an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import QuerySyntaxError, QueryTooComplex
from store.textindex import index_tokens

MAX_QUERY_LENGTH = 1000
MAX_TERMS = 64
MAX_DEPTH = 8  # parentheses and NOT, nested; tests/store/contract.py runs the deepest on each store


@dataclass(frozen=True)
class Term:
    """A word or phrase, as the index tokens it must match in a row."""

    text: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Term | And | Or | Not

_LEXEME = re.compile(
    r"""\s*(?:
        (?P<phrase>"[^"]*"?|“[^”]*”?|「[^」]*」?)
      | (?P<open>[(（])
      | (?P<close>[)）])
      | (?P<word>[^\s()（）"“「]+)
    )""",
    re.VERBOSE,
)
_OPERATORS = {"AND", "OR", "NOT"}


def _lex(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _LEXEME.match(text, pos)
        if match is None or match.end() == pos:  # pragma: no cover - the pattern covers all
            raise QuerySyntaxError(f"cannot read the query at position {pos}")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "phrase":
            if len(value) < 2 or value[-1] not in '"”」':
                raise QuerySyntaxError(f"unclosed quote in {value!r}")
            tokens.append(("phrase", value[1:-1]))
        elif kind == "word" and value in _OPERATORS:
            tokens.append((value, value))
        elif kind == "word" and value.startswith("-") and len(value) > 1:
            tokens.append(("NOT", "-"))
            tokens.append(("word", value[1:]))
        else:
            tokens.append((kind, value))
    return tokens


class _Parser:
    def __init__(self, lexemes: list[tuple[str, str]]) -> None:
        self.lexemes = lexemes
        self.pos = 0
        self.terms = 0
        self.depth = 0  # parentheses and NOT around the current position

    def peek(self) -> str | None:
        return self.lexemes[self.pos][0] if self.pos < len(self.lexemes) else None

    def take(self) -> tuple[str, str]:
        lexeme = self.lexemes[self.pos]
        self.pos += 1
        return lexeme

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            kind, value = self.take()
            raise QuerySyntaxError(f"unexpected {value!r}; is a parenthesis unbalanced?")
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.peek() == "OR":
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.unary()]
        while self.peek() not in (None, "OR", "close"):
            if self.peek() == "AND":
                self.take()
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        kind = self.peek()
        if kind in ("NOT", "open"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryTooComplex(
                    f"parentheses and NOT may be nested at most {MAX_DEPTH} deep",
                    bound="depth",
                    most=MAX_DEPTH,
                )
            node = self.grouped() if kind == "open" else Not(self.unary())
            self.depth -= 1
            return node
        if kind in ("word", "phrase"):
            _, value = self.take()
            tokens = tuple(index_tokens(value))
            if not tokens:
                raise QuerySyntaxError(f"{value!r} has no letters, digits or characters to search")
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QueryTooComplex(
                    f"a query may have at most {MAX_TERMS} terms", bound="terms", most=MAX_TERMS
                )
            return Term(value, tokens)
        if kind is None:
            raise QuerySyntaxError("the query ends where a term was expected")
        _, value = self.take()
        raise QuerySyntaxError(f"expected a term, found {value!r}")

    def grouped(self) -> Node:
        """What stands between a parenthesis just taken and its closing one."""
        node = self.or_expr()
        if self.peek() != "close":
            raise QuerySyntaxError("a parenthesis is not closed")
        self.take()
        return node


def parse(text: str) -> Node | None:
    """Parse a query; an empty or blank query means no full-text condition (None)."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooComplex(
            f"a query may be at most {MAX_QUERY_LENGTH} characters long",
            bound="length",
            most=MAX_QUERY_LENGTH,
        )
    lexemes = _lex(text)
    if not lexemes:
        return None
    return _Parser(lexemes).parse()


def positive_terms(node: Node, negated: bool = False) -> list[Term]:
    """The terms a matching post contains (not under NOT), for relevance and highlighting."""
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.child, not negated)
    found: list[Term] = []
    for child in node.children:
        found.extend(positive_terms(child, negated))
    return found
