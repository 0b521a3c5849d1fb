"""The database backend finds Chinese words wherever they sit, on SQLite and on PostgreSQL."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from modelsearch.query import Not, PlainText
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

from courses.models import Expert, LessonPage

from .conftest import make_lesson, paragraph

pytestmark = pytest.mark.django_db


def titles(query, queryset=None):
    queryset = Page.objects.all() if queryset is None else queryset
    return [page.title for page in queryset.search(query)]


def test_the_configured_backend_is_the_chinese_one_for_this_database():
    expected = {
        "sqlite": "sunshine.search.backends.sqlite.ChineseSQLiteSearchBackend",
        "postgresql": "sunshine.search.backends.postgres.ChinesePostgresSearchBackend",
    }
    backend_class = type(get_search_backend())
    assert f"{backend_class.__module__}.{backend_class.__name__}" == expected[connection.vendor]


def test_wagtails_own_database_backend_misses_a_word_inside_a_chinese_run(lesson):
    # Why this app exists: the plain backend indexes 如何应对考试焦虑情绪 as one word.
    plain = get_search_backend("wagtail.search.backends.database")
    plain.add(lesson)
    assert list(plain.search("焦虑", Page)) == []
    assert [page.pk for page in plain.search("如何应对考试焦虑情绪", Page)] == [lesson.pk]


def test_a_two_character_word_in_the_title_is_found(lesson):
    assert titles("焦虑") == ["如何应对考试焦虑情绪"]
    assert titles("考试焦虑") == ["如何应对考试焦虑情绪"]


@pytest.mark.parametrize(
    "fields",
    [
        {"summary": "帮助同学认识并缓解考前焦虑的方法。"},
        {"body": paragraph("<b>深呼吸</b>可以缓解考前焦虑带来的心慌。")},
        {"transcript": "同学们好，今天我们来聊一聊考前焦虑这个话题。"},
    ],
    ids=["summary", "body", "transcript"],
)
def test_a_two_character_word_inside_the_lesson_text_is_found(series, fields):
    fields.setdefault("summary", "本课的内容提要。")
    make_lesson(series, "期末复习建议", **fields)
    assert titles("焦虑") == ["期末复习建议"]
    assert titles("考前") == ["期末复习建议"]


def test_a_word_spread_over_two_runs_is_not_found_as_one(series):
    make_lesson(series, "焦急的心情", summary="不必顾虑太多。")
    assert titles("焦虑") == []


def test_a_title_hit_ranks_above_pages_that_only_mention_the_word(series):
    long_text = "学习方法和时间安排都很重要。" * 400
    make_lesson(
        series,
        "告别焦虑：写给初三和高三同学的十个方法与每日练习",
        summary="一组练习。",
        transcript=long_text,
    )
    make_lesson(
        series,
        "期末复习建议",
        summary="焦虑焦虑焦虑，复习时的焦虑。",
        transcript="焦虑" * 50,
        body=paragraph("焦虑是正常的。" * 5),
    )
    make_lesson(series, "睡个好觉", summary="睡前不要焦虑。")
    assert titles("焦虑")[0] == "告别焦虑：写给初三和高三同学的十个方法与每日练习"
    assert sorted(titles("焦虑")[1:]) == ["期末复习建议", "睡个好觉"]


@pytest.mark.parametrize(
    "query",
    ["ADHD注意力", "adhd", "ＡＤＨＤ", "注意力", "ADHD 注意力训练", "AI时代", "ai", "时代", "IT"],
)
def test_mixed_chinese_and_english_are_found(series, query):
    make_lesson(series, "ADHD注意力训练方法", summary="AI时代、IT行业的专注力练习。")
    make_lesson(series, "睡个好觉", summary="早睡早起。")
    assert titles(query) == ["ADHD注意力训练方法"]


@pytest.mark.parametrize("query", ["“焦虑”？", "焦虑，情绪", "（压力）！", "焦虑、压力。"])
def test_full_width_punctuation_in_text_and_query_is_ignored(series, query):
    make_lesson(series, "心理小课堂", summary="“焦虑”是什么？（一）情绪、压力！")
    make_lesson(series, "睡个好觉", summary="早睡早起。")
    assert titles(query) == ["心理小课堂"]


@pytest.mark.parametrize("query", ["焦", "虑", "绪"])
def test_a_single_character_finds_pages_holding_it(lesson, series, query):
    make_lesson(series, "睡个好觉", summary="早睡早起。")
    assert titles(query, LessonPage.objects.all()) == ["如何应对考试焦虑情绪"]


@pytest.mark.parametrize("query", ["？！……", "（）“”", "@#$%^&*"])
def test_a_query_of_symbols_only_finds_nothing_and_does_not_fail(lesson, query):
    assert titles(query) == []


def test_a_very_long_query_does_not_fail(lesson):
    assert titles("焦虑" * 5000) == []
    assert titles("x" * 10_000) == []


def test_the_admins_autocomplete_finds_a_word_and_a_word_being_typed(lesson):
    autocomplete = [page.title for page in Page.objects.autocomplete("焦虑")]
    assert autocomplete == ["如何应对考试焦虑情绪"]
    typing = [page.title for page in Page.objects.autocomplete("考试焦")]
    assert typing == ["如何应对考试焦虑情绪"]


def test_other_indexed_models_are_segmented_too():
    Expert.objects.create(name="王晓梅", institution="市心理健康教育中心")
    Expert.objects.create(name="李明", institution="第一中学")
    found = get_search_backend().search("心理", Expert)
    assert [expert.name for expert in found] == ["王晓梅"]


def test_drafts_are_indexed_but_live_filters_them_out(series):
    make_lesson(series, "焦虑日记", publish=False)
    assert titles("焦虑") == ["焦虑日记"]
    assert titles("焦虑", Page.objects.live()) == []


def test_update_index_rebuilds_the_segmented_index(lesson):
    IndexEntry.objects.all().delete()
    assert titles("焦虑") == []
    call_command("update_index", stdout=StringIO())
    assert titles("焦虑") == ["如何应对考试焦虑情绪"]


def test_editing_a_page_reindexes_it(lesson):
    lesson.title = "睡前放松练习"
    lesson.save_revision().publish()
    assert titles("焦虑") == []
    assert titles("放松") == ["睡前放松练习"]


def test_results_can_be_ordered_by_the_queryset_instead_of_relevance(series):
    for title in ("丙：焦虑", "甲：焦虑", "乙：焦虑"):
        make_lesson(series, title)
    ordered = Page.objects.order_by("title").search("焦虑", order_by_relevance=False)
    assert [page.title for page in ordered] == sorted(["丙：焦虑", "甲：焦虑", "乙：焦虑"])


def test_scores_can_be_read_and_title_hits_score_best(series):
    make_lesson(series, "睡前放松", summary="焦虑时深呼吸。")
    make_lesson(series, "告别焦虑")
    results = list(LessonPage.objects.search("焦虑").annotate_score("score"))
    assert [page.title for page in results] == ["告别焦虑", "睡前放松"]
    assert all(isinstance(page.score, float) for page in results)


def test_a_slice_of_the_results_is_the_same_as_the_whole_list_cut(series):
    for number in range(7):
        make_lesson(series, f"情绪第{number}课", summary="情绪。" * (number + 1))
    everything = [page.pk for page in LessonPage.objects.search("情绪")]
    assert [page.pk for page in LessonPage.objects.search("情绪")[2:5]] == everything[2:5]
    assert LessonPage.objects.search("情绪").count() == 7
    assert LessonPage.objects.search("情绪")[2:5].count() == 3


def test_a_query_excluding_a_word_leaves_the_other_pages(lesson, series):
    make_lesson(series, "睡个好觉")
    remaining = LessonPage.objects.search(Not(PlainText("焦虑")))
    assert [page.title for page in remaining] == ["睡个好觉"]
