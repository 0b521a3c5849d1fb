"""A series of 100 lessons costs the database no more than a series of 5: pages stay fast when
editors add lessons all through the holiday. And a page the page cache does not serve (a signed-in
teacher, a page just published, a miss) is cheap too: Wagtail's routing in one query, the parts of
the page that are the same for everybody kept under the page cache's generation (sunshine.cache)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courses.factories import CourseSeriesPageFactory, LessonPageFactory, LessonWorksheetFactory
from sunshine.cache import purge_page_cache
from sunshine.roles.factories import EditorFactory, TeacherFactory

pytestmark = pytest.mark.django_db

# Queries of a signed-in request before the page itself: the session, the user and the
# teacher's profile (must the initial password be changed?). Whether to show the Wagtail user bar
# (the user's permissions, two queries) is kept for a minute (site_userbar).
SIGNED_IN = 3


def series_with(n, parent, **kwargs):
    series = CourseSeriesPageFactory(parent=parent, **kwargs)
    lessons = LessonPageFactory.create_batch(n, parent=series)
    for lesson in lessons:
        LessonWorksheetFactory(page=lesson)
    return series, lessons


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def short_and_long(site_pages, client):
    short, short_lessons = series_with(5, site_pages.courses, title="五节课")
    long, long_lessons = series_with(100, site_pages.courses, title="一百节课")
    client.get(site_pages.home.url)  # warm per-process caches (content types)
    return {
        "series 5": short.url,
        "series 100": long.url,
        "lesson 5": short_lessons[2].url,
        "lesson 100": long_lessons[50].url,
    }


def counts(client, urls):
    return {name: queries_for(client, url) for name, url in urls.items()}


def test_series_and_lesson_pages_cost_the_same_with_5_and_100_lessons(short_and_long, client):
    # Nothing kept yet: the first visitor after a publish builds everything.
    cold = {}
    for name, url in short_and_long.items():
        purge_page_cache("test")
        cold[name] = queries_for(client, url)
    print(f"queries, nothing kept: {cold}")

    assert cold["series 5"] == cold["series 100"]
    assert cold["lesson 5"] == cold["lesson 100"]
    # And the counts are small in absolute terms, not just constant.
    assert cold["series 100"] <= 10  # 15 before the routing and fragments of issue 10
    assert cold["lesson 100"] <= 13  # 20 before
    assert "第 51 讲 / 共 100 讲" in client.get(short_and_long["lesson 100"]).content.decode()


def test_uncached_pages_read_one_query_anonymous(short_and_long, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # the page cache off: every request builds the page
    client = Client()  # a handler of its own, which reads the setting
    counts(client, short_and_long)  # builds the fragments
    uncached = counts(client, short_and_long)
    print(f"queries, page cache off: {uncached}")
    # The page itself, as its own type: the path's pages, the site, its settings and view
    # restrictions and the fragments come from the cache.
    assert uncached == dict.fromkeys(short_and_long, 1)
    page = client.get(short_and_long["lesson 100"]).content.decode()
    assert "第 51 讲 / 共 100 讲" in page
    assert "12356" in page  # the help strip still shows the hotlines


def test_uncached_pages_signed_in_cost_one_query_more_than_signing_in(short_and_long, client):
    client.force_login(TeacherFactory())
    counts(client, short_and_long)  # builds the fragments
    signed_in = counts(client, short_and_long)
    print(f"queries, signed-in teacher: {signed_in}")
    assert signed_in == dict.fromkeys(short_and_long, SIGNED_IN + 1)
    response = client.get(short_and_long["lesson 100"])
    assert "第 51 讲 / 共 100 讲" in response.content.decode()
    assert "private" in response["Cache-Control"]  # still never kept for anybody else


def test_the_user_bar_shows_for_editors_only_and_its_answer_is_kept(short_and_long, client):
    url = short_and_long["lesson 5"]
    editor = Client()
    editor.force_login(EditorFactory())
    assert "wagtail-userbar" in editor.get(url).content.decode()
    client.force_login(TeacherFactory())
    with CaptureQueriesContext(connection) as first:
        page = client.get(url).content.decode()
    assert "wagtail-userbar" not in page
    with CaptureQueriesContext(connection) as again:
        assert "wagtail-userbar" not in client.get(url).content.decode()
    permission_queries = [q for q in first if "auth_permission" in q["sql"]]
    assert len(permission_queries) == 2  # the user's own and their groups'
    assert not [q for q in again if "auth_permission" in q["sql"]]
    # The admin itself asks afresh: a teacher is refused whatever the user bar remembers.
    assert client.get("/admin/").status_code in (302, 403)
