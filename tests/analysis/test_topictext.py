"""Topic text: what of a microblog post can say what it is about."""

from __future__ import annotations

import pytest

from analysis.text import shipped_segmenter
from analysis.topictext import (
    emoticons,
    hashtags,
    is_name,
    is_reaction,
    label_text,
    topic_text,
)


@pytest.mark.parametrize(
    "raw",
    [
        "[蜡烛][蜡烛][蜡烛]",
        "转发微博",
        "//@小鱼儿:[蜡烛]//@路人甲: 转发微博",
        "回复@路人甲:[哈哈]",
        "@张三 @李四",
        "http://t.cn/zAbCdEf",
        "网页链接",
        "(分享自 @某客户端)",
    ],
)
def test_chatter_leaves_no_topic_text(raw: str) -> None:
    assert topic_text(raw).strip("，。 ()（）") == ""


def test_the_posters_own_words_stay_and_the_repost_chain_goes() -> None:
    raw = "滨江路又停水了[怒] //@路人甲:[蜡烛]//@某媒体:#雅安地震# 今天雅安发生地震"
    assert topic_text(raw) == "滨江路又停水了"
    assert emoticons(raw) == ["[怒]", "[蜡烛]"]


def test_hashtags_keep_their_words_in_topic_text_and_leave_labels() -> None:
    raw = "今晚味道淡了不少，希望能一直这样#青山化工园异味#[怒]"
    assert "青山化工园异味" in topic_text(raw)
    assert label_text(raw) == "今晚味道淡了不少，希望能一直这样"
    assert hashtags(raw) == ["青山化工园异味"]


@pytest.mark.parametrize("word", ["哈哈哈哈", "呵呵", "真的假的", "一路", "加油", "辟谣", "200"])
def test_reactions_laughter_and_numbers_carry_no_topic(word: str) -> None:
    assert is_reaction(word)


@pytest.mark.parametrize("word", ["停水", "搅拌站", "异味", "地震", "城管"])
def test_topic_words_are_no_reactions(word: str) -> None:
    assert not is_reaction(word)


def test_specific_places_are_names_and_districts_are_not() -> None:
    assert is_name("翠湖花园") and is_name("滨江路") and is_name("青山区人民医院")
    assert not is_name("路") and not is_name("青山区") and not is_name("江澜市")
    segmenter = shipped_segmenter()
    # The departments file's places count, whatever their ending.
    assert segmenter.is_name("锦绣江南") and segmenter.is_name("澜庭")
    assert not is_name("锦绣江南") and not segmenter.is_name("停水")
