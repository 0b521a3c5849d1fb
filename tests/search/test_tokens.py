"""How text is split for the database index, and how queries are split to match it."""

from modelsearch.query import MATCH_ALL, And, Not, Or, Phrase, PlainText

from sunshine.search.backends.query import segment_query
from sunshine.search.tokens import index_tokens, is_single_cjk, query_tokens, segment


def test_a_chinese_run_becomes_overlapping_bigrams_and_its_last_character():
    assert index_tokens("考试焦虑") == ["考试", "试焦", "焦虑", "虑"]


def test_every_two_character_word_inside_a_run_is_an_index_token():
    text = "如何应对考试焦虑情绪"
    tokens = set(index_tokens(text))
    assert {text[i : i + 2] for i in range(len(text) - 1)} <= tokens


def test_a_query_needs_only_the_bigrams_of_its_words():
    assert query_tokens("考试焦虑") == ["考试", "试焦", "焦虑"]
    assert query_tokens("焦虑") == ["焦虑"]


def test_a_single_character_query_is_kept_and_matched_as_a_prefix():
    assert query_tokens("爱") == ["爱"]
    assert is_single_cjk("爱")
    assert not is_single_cjk("a")
    assert not is_single_cjk("焦虑")


def test_mixed_chinese_and_english_split_at_the_script_boundary():
    assert index_tokens("ADHD注意力") == ["adhd", "注意", "意力", "力"]
    assert query_tokens("AI时代") == ["ai", "时代"]
    assert query_tokens("2023寒假") == ["2023", "寒假"]


def test_full_width_letters_digits_and_punctuation_are_folded_or_dropped():
    assert query_tokens("ＡＩ时代，２０２３！") == ["ai", "时代", "2023"]
    assert segment("“焦虑”是什么？（一）情绪、压力！") == (
        "焦虑 虑 是什 什么 么 一 情绪 绪 压力 力"
    )


def test_symbols_and_punctuation_alone_leave_nothing_to_search():
    assert query_tokens("？！，。、“”（）……@#￥%") == []
    assert query_tokens("   ") == []


def test_repeated_tokens_are_asked_for_once():
    assert query_tokens("焦虑焦虑") == ["焦虑", "虑焦"]


def test_segmented_queries_keep_their_logic():
    assert segment_query(PlainText("考试焦虑")).query_string == "考试 试焦 焦虑"
    # With OR between words, each word's bigrams must still all match.
    either = segment_query(PlainText("考试焦虑 情绪", operator="or"))
    assert isinstance(either, Or)
    assert [part.query_string for part in either.subqueries] == ["考试 试焦 焦虑", "情绪"]
    # A phrase keeps the index's layout, each run's last character included, for adjacency.
    phrase = segment_query(Phrase("“考试焦虑” ADHD"))
    assert isinstance(phrase, Phrase)
    assert phrase.query_string == "考试 试焦 焦虑 虑 adhd"
    assert segment_query(Phrase("？！")) is None
    assert segment_query(MATCH_ALL) is MATCH_ALL


def test_parts_with_nothing_searchable_are_dropped():
    assert segment_query(PlainText("？？")) is None
    both = segment_query(And([PlainText("焦虑"), Not(PlainText("！"))]))
    assert [part.query_string for part in both.subqueries] == ["焦虑"]
