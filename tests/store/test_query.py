"""The query language and the index token stream, without any engine."""

from __future__ import annotations

import pytest

from core.errors import QuerySyntaxError, QueryTooComplex
from store.query import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    MAX_TERMS,
    And,
    Not,
    Or,
    Term,
    parse,
    positive_terms,
)
from store.textindex import GAP, index_tokens


def term(text: str) -> Term:
    return Term(text, tuple(index_tokens(text)))


def test_chinese_is_one_token_per_character_and_latin_one_per_run() -> None:
    assert index_tokens("ＰＭ２.５超标 Water") == ["pm2", GAP, "5", "超", "标", "water"]


def test_punctuation_leaves_a_gap_but_whitespace_does_not() -> None:
    assert index_tokens("拆迁，补偿") == ["拆", "迁", GAP, "补", "偿"]
    assert index_tokens("拆迁 补偿") == ["拆", "迁", "补", "偿"]
    assert index_tokens("！拆迁。") == ["拆", "迁"]


def test_precedence_is_not_then_and_then_or() -> None:
    assert parse("a b OR NOT c") == Or((And((term("a"), term("b"))), Not(term("c"))))


def test_minus_prefix_and_chinese_quotes_and_parentheses() -> None:
    assert parse("拆迁 -补偿") == And((term("拆迁"), Not(term("补偿"))))
    assert parse("“拆迁 补偿”") == term("拆迁 补偿")
    assert parse("（医保 OR 公交） 报销") == And((Or((term("医保"), term("公交"))), term("报销")))


def test_lower_case_operators_are_words() -> None:
    assert parse("water or gas") == And((term("water"), term("or"), term("gas")))


def test_blank_query_means_no_text_condition() -> None:
    assert parse("   ") is None


def test_positive_terms_skip_negated_ones() -> None:
    node = parse("a NOT (b OR NOT c)")
    assert [t.text for t in positive_terms(node)] == ["a", "c"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"拆迁', "unclosed quote"),
        ("(拆迁", "not closed"),
        ("拆迁)", "unexpected"),
        ("？？", "no letters"),
        ("拆迁 AND", "ends where a term"),
        ("x" * 1001, "at most 1000"),
    ],
)
def test_malformed_queries_say_what_is_wrong(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse(query)


def test_nesting_is_bounded_before_the_parser_recurses_into_it() -> None:
    # 330 parentheses were a RecursionError (500), 50 NOTs an SQLite "parser stack overflow".
    for deep in ("(" * 330 + "拆迁" + ")" * 330, "NOT " * 50 + "拆迁", "-x " + "NOT (" * 20 + "y"):
        with pytest.raises(QueryTooComplex, match=f"nested at most {MAX_DEPTH} deep") as err:
            parse(deep)
        assert (err.value.bound, err.value.most) == ("depth", MAX_DEPTH)
    # Parentheses and NOT count alike, and only where they enclose one another.
    assert parse("(" * MAX_DEPTH + "拆迁" + ")" * MAX_DEPTH) == term("拆迁")
    deepest = "NOT (" * (MAX_DEPTH // 2) + "拆迁" + ")" * (MAX_DEPTH // 2)
    assert parse(deepest) is not None
    with pytest.raises(QueryTooComplex):
        parse("NOT " + deepest)
    siblings = " ".join(f"-x{i}" for i in range(MAX_DEPTH + 1))
    assert parse(f"a {siblings}") == And(
        (term("a"), *(Not(term(f"x{i}")) for i in range(MAX_DEPTH + 1)))
    )


def test_terms_and_length_are_bounded() -> None:
    words = [f"w{i}" for i in range(MAX_TERMS)]
    assert len(positive_terms(parse(" OR ".join(words)))) == MAX_TERMS
    with pytest.raises(QueryTooComplex, match=f"at most {MAX_TERMS} terms") as err:
        parse(" OR ".join([*words, "more"]))
    assert (err.value.bound, err.value.most) == ("terms", MAX_TERMS)
    with pytest.raises(QueryTooComplex) as err:
        parse("x" * (MAX_QUERY_LENGTH + 1))
    assert err.value.bound == "length"
