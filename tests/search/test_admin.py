"""An editor finds pages in the Wagtail admin by a word inside a Chinese title."""

import pytest

from courses.factories import DocumentFactory

from .conftest import make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw-12345")
    client.force_login(user)
    return client


def admin_search(client, query):
    response = client.get("/admin/pages/search/", {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_the_admin_page_search_finds_a_word_inside_a_title(editor_client, lesson, series):
    make_lesson(series, "睡个好觉")
    html = admin_search(editor_client, "焦虑")
    assert "如何应对考试焦虑情绪" in html
    assert "睡个好觉" not in html


def test_the_admin_page_search_finds_drafts_too(editor_client, series):
    make_lesson(series, "焦虑日记", publish=False)
    assert "焦虑日记" in admin_search(editor_client, "焦虑")


@pytest.mark.parametrize("query", ["考试焦", "虑", "“焦虑”"])
def test_partial_words_single_characters_and_quotes_work(editor_client, lesson, query):
    assert "如何应对考试焦虑情绪" in admin_search(editor_client, query)


@pytest.mark.parametrize("query", ["？！", "焦" * 10_000])
def test_odd_admin_queries_do_not_fail(editor_client, lesson, query):
    assert "如何应对考试焦虑情绪" not in admin_search(editor_client, query)


def test_admin_search_results_can_be_sorted_by_title(editor_client, series):
    for title in ("乙：焦虑", "甲：焦虑"):
        make_lesson(series, title)
    response = editor_client.get("/admin/pages/search/", {"q": "焦虑", "ordering": "title"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("乙：焦虑") < html.index("甲：焦虑")  # code-point order: 乙 < 甲


def test_documents_with_chinese_titles_are_found_in_the_admin(editor_client, db):
    DocumentFactory(title="情绪温度计学习单")
    DocumentFactory(title="致家长的一封信")
    response = editor_client.get("/admin/documents/", {"q": "学习"})
    html = response.content.decode()
    assert "情绪温度计学习单" in html
    assert "致家长的一封信" not in html
