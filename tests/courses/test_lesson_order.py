"""A student moves through a series lesson by lesson, in the order editors arranged them."""

import pytest

from courses.factories import CourseSeriesPageFactory, LessonPageFactory
from courses.models import LessonPage

pytestmark = pytest.mark.django_db


def test_lessons_know_their_number_and_neighbours(site_pages):
    first, second, third = site_pages.lessons
    assert first.position == (1, 3)
    assert second.position == (2, 3)
    assert first.previous_lesson is None
    assert first.next_lesson.pk == second.pk
    assert third.previous_lesson.pk == second.pk
    assert third.next_lesson is None


def test_reordering_in_the_admin_changes_the_order(site_pages):
    first, second, third = site_pages.lessons
    third.move(first, pos="left")  # what dragging a lesson to the top of the series does
    third = LessonPage.objects.get(pk=third.pk)
    first = LessonPage.objects.get(pk=first.pk)
    assert third.position == (1, 3)
    assert third.next_lesson.pk == first.pk
    assert first.previous_lesson.pk == third.pk


def test_unpublished_lessons_are_skipped(site_pages):
    first, second, third = site_pages.lessons
    second.unpublish()
    first = LessonPage.objects.get(pk=first.pk)
    third = LessonPage.objects.get(pk=third.pk)
    assert first.next_lesson.pk == third.pk
    assert third.position == (2, 2)


def test_lessons_of_other_series_are_not_neighbours(site_pages):
    other = CourseSeriesPageFactory(parent=site_pages.courses, title="科学探索")
    stranger = LessonPageFactory(parent=other)
    assert stranger.previous_lesson is None and stranger.next_lesson is None
    assert site_pages.lessons[-1].next_lesson is None


def test_lessons_listed_from_many_series_get_their_series_in_one_query(
    site_pages, django_assert_num_queries
):
    other = CourseSeriesPageFactory(parent=site_pages.courses, title="科学探索", track="science")
    LessonPageFactory.create_batch(3, parent=other)
    with django_assert_num_queries(2):
        lessons = LessonPage.objects.live().defer_streamfields().attach_series()
        tracks = {lesson.series.get_track_display() for lesson in lessons}
        titles = {lesson.series.title for lesson in lessons}
    assert tracks == {"生命教育", "科学教育"}
    assert titles == {"珍爱生命", "科学探索"}
