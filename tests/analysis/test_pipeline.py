"""Per-post analysis: words with the office's dictionary, keywords, SimHash, near-duplicate
links that hold across processes, and the whole `enrich` step."""

from __future__ import annotations

from pathlib import Path

import pytest
from snownlp import SnowNLP

from analysis import minhash, simhash
from analysis.enrich import AnalysisFiles, PostAnalyzer, sentiment_text
from analysis.sentiment_ngram import NgramSentiment
from analysis.text import DEPARTMENTS_FILE, keywords_of, segment
from tests.factories import make_post

APPEAL = (
    "我们是翠湖湾小区的业主，强烈呼吁公开学区划片依据和学位测算数据，"
    "延长征求意见期，召开家长座谈会，保障孩子就近入学的权利"
)


def test_segmentation_keeps_place_and_department_names_whole() -> None:
    words = segment("临江区望潮苑停水，市生态环境局说在查异味")
    assert "望潮苑" in words and "临江区" in words and "市生态环境局" in words
    assert "，" not in words and "在" not in words  # punctuation and stop words are dropped


def test_keywords_come_from_the_words_by_tfidf() -> None:
    words = segment("停水停水又停水，望潮苑停水三天了，什么时候恢复供水")
    top = keywords_of(words, top=3)
    assert top[0] == "停水" and set(top) <= set(words)
    assert keywords_of([]) == [] and keywords_of(["水"]) == []  # single characters never rank


def test_simhash_is_deterministic_and_separates_unrelated_texts() -> None:
    base = segment(APPEAL)
    other = segment("35路公交早高峰二十多分钟才来一班，车上挤得关不上门，希望加密班次")
    a, c = simhash.fingerprints([base, other])
    assert a == simhash.fingerprints([list(base)])[0]
    assert simhash.distance(a, c) > 12
    assert simhash.fingerprints([[], base])[0] is None
    assert simhash.from_hex(simhash.to_hex(a)) == a and len(simhash.to_hex(a)) == 16


def test_minhash_estimates_jaccard_of_character_trigrams() -> None:
    edited = APPEAL.replace("强烈呼吁", "呼吁")
    other = "35路公交早高峰二十多分钟才来一班，车上挤得关不上门，希望加密班次"
    (a, na), (b, _), (c, _), (none, zero) = minhash.signatures([APPEAL, edited, other, "！？"])
    assert none is None and zero == 0 and na == len(minhash.shingles(APPEAL))
    sa, sb = set(minhash.shingles(APPEAL)), set(minhash.shingles(edited))
    true_jaccard = len(sa & sb) / len(sa | sb)
    assert abs(minhash.similarity(a, b) - true_jaccard) < 0.15
    assert minhash.similarity(a, c) < 0.2
    assert (minhash.from_bytes(minhash.to_bytes(a)) == a).all()
    assert (minhash.signatures([APPEAL])[0][0] == a).all()  # deterministic


def test_enrich_fills_every_analysis_field(tmp_path: Path) -> None:
    posts = [
        make_post(title="望潮苑停水", text="临江区望潮苑从早上停水到现在，自来水公司电话打不通"),
        make_post(kind="hotline", source="hotline", title="", text=APPEAL),
        make_post(kind="hotline", source="hotline", title="", text=APPEAL + "！"),
        make_post(title="", text=""),
    ]
    analyzer = PostAnalyzer(
        AnalysisFiles(neardup_db=tmp_path / "nd.db", departments_file=DEPARTMENTS_FILE)
    )
    analyzer.enrich(posts)
    water, appeal, copy, empty = posts
    assert 0.0 <= water.sentiment <= 1.0 and empty.sentiment == 0.5
    # the n-gram model's score, and SnowNLP's exact one beside it
    texts = [sentiment_text(p) for p in posts]
    assert [p.sentiment for p in posts] == [round(s, 6) for s in NgramSentiment().score_many(texts)]
    assert [p.sentiment_snownlp for p in posts] == [
        round(SnowNLP(t).sentiments, 6) if t else 0.5 for t in texts
    ]
    assert water.sentiment != water.sentiment_snownlp
    assert "望潮苑" in water.tokens and "停水" in water.keywords
    assert water.simhash and len(water.simhash) == 16 and empty.simhash is None
    assert copy.near_dup_of == appeal.id and appeal.near_dup_of is None
    assert water.department_guess and 0 < water.department_confidence <= 1
    # what a post already carries is kept
    keep = make_post(text="垃圾分类做得很好", sentiment=0.9, keywords=["垃圾分类"])
    analyzer.enrich([keep])
    assert keep.sentiment == 0.9 and keep.keywords == ["垃圾分类"]
    assert keep.sentiment_snownlp == round(SnowNLP(sentiment_text(keep)).sentiments, 6)


def test_enrich_with_snownlp_as_the_engine(tmp_path: Path) -> None:
    posts = [make_post(title="望潮苑停水", text="从早上停水到现在"), make_post(text="点赞")]
    analyzer = PostAnalyzer(
        AnalysisFiles(neardup_db=tmp_path / "nd.db", sentiment_engine="snownlp")
    )
    analyzer.enrich(posts)
    assert [p.sentiment for p in posts] == [p.sentiment_snownlp for p in posts]
    assert posts[0].sentiment == round(SnowNLP("望潮苑停水。从早上停水到现在").sentiments, 6)
    with pytest.raises(ValueError, match="engine"):
        PostAnalyzer(AnalysisFiles(neardup_db=tmp_path / "nd.db", sentiment_engine="bert"))
