"""A series of 100 lessons costs the database no more than a series of 5: pages stay fast when
editors add lessons all through the holiday."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.factories import CourseSeriesPageFactory, LessonPageFactory, LessonWorksheetFactory

pytestmark = pytest.mark.django_db


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


def test_series_and_lesson_pages_cost_the_same_with_5_and_100_lessons(site_pages, client):
    short, short_lessons = series_with(5, site_pages.courses, title="五节课")
    long, long_lessons = series_with(100, site_pages.courses, title="一百节课")
    client.get(site_pages.home.url)  # warm per-process caches (content types, site roots)

    series_5 = queries_for(client, short.url)
    series_100 = queries_for(client, long.url)
    lesson_5 = queries_for(client, short_lessons[2].url)
    lesson_100 = queries_for(client, long_lessons[50].url)
    print(f"queries: series {series_5}/{series_100}, lesson {lesson_5}/{lesson_100}")

    assert series_5 == series_100
    assert lesson_5 == lesson_100
    # And the counts are small in absolute terms, not just constant.
    assert series_100 <= 15
    assert lesson_100 <= 20
    assert "第 51 讲 / 共 100 讲" in client.get(long_lessons[50].url).content.decode()
