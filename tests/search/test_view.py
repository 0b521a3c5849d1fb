"""/search/: a visitor types a word and gets lessons, lectures, kits and live events."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from courses.factories import LecturePageFactory

from .conftest import make_lesson

pytestmark = pytest.mark.django_db


def search(client, **params):
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response


def result_titles(response):
    return [hit["page"].title for hit in response.context["hits"]]


def test_a_visitor_finds_every_kind_of_page_labelled_by_type(client, catalogue):
    response = search(client, q="情绪")
    hits = {hit["page"].title: hit for hit in response.context["hits"]}
    assert set(hits) == {
        "如何应对考试焦虑情绪",
        "青春期的情绪管理",
        "情绪小主人主题班会",
        "阳光成长：和孩子谈情绪",
    }
    html = response.content.decode()
    for label in ("课程", "专家讲座", "主题班会资源包", "直播"):
        assert f'<p class="search__type">{label}</p>' in html
    # Each result says where it belongs and what it is about.
    assert "系列：寒假自我成长课 · 自我教育" in html
    assert "主讲：王晓梅" in html
    assert "班会主题：认识情绪 · 小学低年级" in html
    assert "认识考前的紧张，学会放松。" in html
    assert catalogue.lesson.url in html


def test_the_series_page_itself_is_not_a_result(client, catalogue):
    # Only lessons, lectures, kits and live events are searched; the series mentions 情绪 too.
    assert "寒假自我成长课" not in result_titles(search(client, q="情绪"))


def test_results_can_be_narrowed_to_one_type_with_counts_for_each(client, catalogue):
    response = search(client, q="情绪", type="kit")
    assert result_titles(response) == ["情绪小主人主题班会"]
    counts = {key: count for key, _label, count in response.context["type_counts"]}
    assert counts == {"lesson": 1, "lecture": 1, "kit": 1, "live": 1}


def test_an_unknown_type_shows_everything(client, catalogue):
    assert len(result_titles(search(client, q="情绪", type="nonsense"))) == 4


def test_a_word_inside_a_lesson_title_is_found(client, lesson):
    assert result_titles(search(client, q="焦虑")) == ["如何应对考试焦虑情绪"]


def test_title_hits_come_first(client, series):
    make_lesson(series, "睡前放松", summary="焦虑的时候试试深呼吸，焦虑会慢慢减轻。")
    make_lesson(series, "告别焦虑的五个方法", summary="五个方法。", transcript="方法一" * 500)
    assert result_titles(search(client, q="焦虑")) == ["告别焦虑的五个方法", "睡前放松"]


def test_unpublished_pages_are_not_shown(client, series, lesson):
    make_lesson(series, "焦虑日记", publish=False)
    assert result_titles(search(client, q="焦虑")) == ["如何应对考试焦虑情绪"]
    lesson.unpublish()
    response = search(client, q="焦虑")
    assert result_titles(response) == []
    assert "没有找到与“焦虑”相关的内容" in response.content.decode()


def test_pages_behind_a_login_are_not_shown(client, series, lesson):
    restricted = make_lesson(series, "教师专用：焦虑辅导手册")
    PageViewRestriction.objects.create(page=restricted, restriction_type="login")
    assert result_titles(search(client, q="焦虑")) == ["如何应对考试焦虑情绪"]


def test_an_empty_query_asks_for_a_keyword(client, lesson):
    response = search(client, q="   ")
    assert "请输入要搜索的关键词" in response.content.decode()
    assert "hits" not in response.context


def test_opening_the_page_without_a_query_shows_the_form_and_a_hint(client):
    response = search(client)
    html = response.content.decode()
    assert '<label for="search-q"' in html
    assert "search__notice" not in html
    assert "例如“情绪”或“考试焦虑”" in html


@pytest.mark.parametrize("query", ["？！……", "，。、“”（）", "@#￥%……&*"])
def test_a_query_of_only_symbols_says_there_is_nothing_to_search(client, lesson, query):
    response = search(client, q=query)
    assert "关键词里没有可以搜索的文字" in response.content.decode()
    assert "hits" not in response.context


@pytest.mark.parametrize("query", ["焦" * 10_000, "焦虑 " + "a" * 9_994, "？" * 10_000])
def test_a_ten_thousand_character_query_is_cut_and_still_answered(client, lesson, query):
    response = search(client, q=query)
    html = response.content.decode()
    assert "关键词太长，已按前 64 个字搜索。" in html
    assert len(response.context["query"]) <= 64


def test_a_long_query_keeps_its_leading_words(client, lesson):
    response = search(client, q="焦虑 " + "a" * 9_994)
    assert result_titles(response) == []
    response = search(client, q="考试焦虑" + "。" * 9_996)
    assert result_titles(response) == ["如何应对考试焦虑情绪"]


def test_a_null_character_gets_a_message_not_an_error(client, lesson):
    response = search(client, q="焦虑\x00")
    assert "关键词里有无法识别的字符" in response.content.decode()


def test_a_single_character_finds_results_and_suggests_a_word(client, lesson):
    response = search(client, q="虑")
    assert result_titles(response) == ["如何应对考试焦虑情绪"]
    assert "只输入一个字时结果可能较多" in response.content.decode()


def test_mixed_chinese_english_and_full_width_queries(client, series):
    make_lesson(series, "ADHD注意力训练", summary="AI时代如何保持专注？")
    for query in ("ADHD注意力", "ａｄｈｄ", "AI时代", "“专注”？"):
        assert result_titles(search(client, q=query)) == ["ADHD注意力训练"], query


def test_results_are_paginated(client, series):
    for number in range(12):
        make_lesson(series, f"情绪管理第{number + 1}课")
    first = search(client, q="情绪管理")
    assert len(result_titles(first)) == 10
    assert 'rel="next"' in first.content.decode()
    second = search(client, q="情绪管理", page=2)
    assert len(result_titles(second)) == 2
    assert set(result_titles(first)).isdisjoint(result_titles(second))
    # A page number out of range or not a number gives a page, not an error.
    assert len(result_titles(search(client, q="情绪管理", page=99))) == 2
    assert len(result_titles(search(client, q="情绪管理", page="abc"))) == 10


def test_search_results_are_not_kept_in_the_shared_page_cache(client, lesson):
    response = search(client, q="焦虑")
    assert "private" in response["Cache-Control"]


def queries_for_search(client, query):
    with CaptureQueriesContext(connection) as captured:
        search(client, q=query)
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_results(client, catalogue):
    search(client, q="情绪")  # fills the content-type and site caches, as any earlier request
    layout = queries_for_search(client, "")  # what base.html needs on any page
    few = queries_for_search(client, "情绪")
    for number in range(8):
        make_lesson(catalogue.series, f"情绪课{number}")
    for number in range(4):
        LecturePageFactory(
            parent=catalogue.lecture.get_parent(),
            title=f"情绪讲座{number}",
            experts=[catalogue.expert],
        )
    many = queries_for_search(client, "情绪")
    # A fixed handful: the search and its facets, one query per page type shown and per kind
    # of listing detail (series, speakers, grade bands).
    assert few - layout <= 12
    assert many <= few
