"""A quoted phrase ("…", as Wagtail's query parser reads it) keeps its word order and adjacency,
on SQLite and on PostgreSQL: in English, in Chinese and mixed, in the site's search and the
admin's."""

import pytest
from modelsearch.query import And, Not, Phrase, PlainText
from wagtail.models import Page
from wagtail.search.utils import parse_query_string

from courses.models import LessonPage

from .conftest import make_lesson

pytestmark = pytest.mark.django_db


def titles(query):
    return sorted(page.title for page in LessonPage.objects.search(query))


@pytest.fixture
def english(series):
    make_lesson(series, "Programming Rust", summary="A book.")
    make_lesson(series, "The Rust Programming Language", summary="Another book.")
    make_lesson(series, "Rust for beginners", summary="Programming, slowly.")


def test_an_english_phrase_keeps_its_word_order(english):
    assert titles(PlainText("programming rust")) == [
        "Programming Rust",
        "Rust for beginners",
        "The Rust Programming Language",
    ]
    assert titles(Phrase("programming rust")) == ["Programming Rust"]
    assert titles(Phrase("Rust Programming")) == ["The Rust Programming Language"]


def test_an_english_phrase_needs_its_words_side_by_side(english):
    assert titles(Phrase("rust language")) == []
    assert titles(Phrase("rust programming language")) == ["The Rust Programming Language"]


@pytest.fixture
def chinese(series):
    make_lesson(series, "如何应对考试焦虑情绪", summary="认识考前的紧张。")
    make_lesson(series, "考试 焦虑 怎么办", summary="一问一答。")
    make_lesson(series, "焦虑的考试周", summary="期末的一周。")
    make_lesson(series, "情绪管理", summary="管理情绪的方法。")


def test_a_chinese_phrase_keeps_its_word_order(chinese):
    assert titles(PlainText("考试 焦虑")) == [
        "如何应对考试焦虑情绪",
        "焦虑的考试周",
        "考试 焦虑 怎么办",
    ]
    # Spaces between the words of a quoted phrase may or may not be in the text …
    assert titles(Phrase("考试 焦虑")) == ["如何应对考试焦虑情绪", "考试 焦虑 怎么办"]
    # … but a phrase typed without them asks for the characters as one run.
    assert titles(Phrase("考试焦虑")) == ["如何应对考试焦虑情绪"]
    assert titles(Phrase("焦虑 考试")) == []
    assert titles(Phrase("焦虑的考试")) == ["焦虑的考试周"]


@pytest.mark.parametrize("quoted", ["考试焦", "虑情", "试焦虑情绪", "应对 考试"])
def test_a_chinese_phrase_matches_inside_a_run_of_characters(chinese, quoted):
    assert titles(Phrase(quoted)) == ["如何应对考试焦虑情绪"]


def test_a_one_character_phrase_finds_the_pages_holding_it(chinese):
    assert titles(Phrase("焦")) == ["如何应对考试焦虑情绪", "焦虑的考试周", "考试 焦虑 怎么办"]


def test_a_chinese_phrase_needs_its_words_side_by_side(chinese):
    # 如何应对考试焦虑情绪 holds 考试 and 情绪, with 焦虑 between them.
    assert titles(PlainText("考试 情绪")) == ["如何应对考试焦虑情绪"]
    assert titles(Phrase("考试 情绪")) == []
    assert titles(Phrase("焦虑 情绪")) == ["如何应对考试焦虑情绪"]


@pytest.fixture
def mixed(series):
    make_lesson(series, "ADHD注意力训练", summary="AI时代的专注力。")
    make_lesson(series, "注意力ADHD自测", summary="时代在变，AI也在变。")


def test_a_mixed_phrase_keeps_its_order(mixed):
    assert titles(Phrase("ADHD 注意力")) == ["ADHD注意力训练"]
    assert titles(Phrase("ADHD注意力")) == ["ADHD注意力训练"]
    assert titles(Phrase("注意力 ADHD")) == ["注意力ADHD自测"]
    assert titles(Phrase("AI时代")) == ["ADHD注意力训练"]
    assert titles(Phrase("时代 ai")) == []
    assert titles(PlainText("时代 ai")) == ["ADHD注意力训练", "注意力ADHD自测"]


def test_a_phrase_with_nothing_searchable_finds_nothing(mixed):
    assert titles(Phrase("？！")) == []


def test_a_phrase_combines_with_other_words_and_can_be_excluded(mixed, chinese):
    _filters, query = parse_query_string('训练 "ADHD 注意力"', operator="and")
    assert isinstance(query, And)
    assert titles(query) == ["ADHD注意力训练"]
    others = titles(Not(Phrase("注意力 ADHD")))
    assert "注意力ADHD自测" not in others
    assert "ADHD注意力训练" in others


def test_phrase_hits_are_ranked_with_title_hits_first(series):
    make_lesson(series, "睡前放松", summary="考试焦虑时深呼吸。")
    make_lesson(series, "告别考试焦虑")
    ranked = [page.title for page in LessonPage.objects.search(Phrase("考试焦虑"))]
    assert ranked == ["告别考试焦虑", "睡前放松"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"programming rust"', ["Programming Rust"]),
        (
            "programming rust",
            ["Programming Rust", "Rust for beginners", "The Rust Programming Language"],
        ),
        ("“焦虑的考试”", ["焦虑的考试周"]),
        ('"焦虑的考试" 期末', ["焦虑的考试周"]),
        ('"考试 焦虑" 期末', []),
        ("“ADHD 注意力”", ["ADHD注意力训练"]),
    ],
)
def test_the_site_search_reads_quotes_as_a_phrase(client, english, chinese, mixed, q, expected):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    assert sorted(hit["page"].title for hit in response.context["hits"]) == expected


def test_a_colon_in_the_site_search_is_searched_not_taken_for_a_filter(client, mixed):
    response = client.get("/search/", {"q": "ADHD:训练"})
    assert [hit["page"].title for hit in response.context["hits"]] == ["ADHD注意力训练"]


@pytest.fixture
def editor_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw-12345")
    client.force_login(user)
    return client


def test_the_admin_page_search_reads_quotes_as_a_phrase(editor_client, english, mixed):
    html = editor_client.get("/admin/pages/search/", {"q": '"programming rust"'}).content.decode()
    assert "Programming Rust" in html
    assert "The Rust Programming Language" not in html
    html = editor_client.get("/admin/pages/search/", {"q": '"注意力 ADHD"'}).content.decode()
    assert "注意力ADHD自测" in html
    assert "ADHD注意力训练" not in html


def test_pages_of_other_types_are_searched_by_phrase_too(english):
    assert [page.title for page in Page.objects.search(Phrase("programming rust"))] == [
        "Programming Rust"
    ]
