"""A holiday series scheduled for its first morning goes live then, with nobody at a keyboard."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from courses.factories import CourseIndexPageFactory, CourseSeriesPageFactory, LessonPageFactory
from sunshine import scheduler
from sunshine.home.factories import site_with_home

pytestmark = pytest.mark.django_db


@pytest.fixture
def series():
    return CourseSeriesPageFactory(parent=CourseIndexPageFactory(parent=site_with_home()))


def schedule(lesson, go_live_at):
    lesson.go_live_at = go_live_at
    lesson.save_revision().publish()
    lesson.refresh_from_db()
    assert not lesson.live  # scheduled, not yet published


def publish_scheduled_job():
    jobs = {job.name: job for job in scheduler.registered_jobs()}
    return scheduler.Scheduler([jobs["publish_scheduled"]], lock=mock.Mock(held=lambda: True))


def test_the_scheduler_publishes_a_lesson_whose_go_live_time_has_come_and_not_one_still_ahead(
    series,
):
    now = timezone.now()
    first_day = LessonPageFactory(parent=series, live=False)
    next_week = LessonPageFactory(parent=series, live=False)
    schedule(first_day, now + timedelta(days=1))
    schedule(next_week, now + timedelta(days=8))

    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(days=1, minutes=1)):
        assert publish_scheduled_job().tick() == ["publish_scheduled"]

    first_day.refresh_from_db()
    next_week.refresh_from_db()
    assert first_day.live
    assert not next_week.live


def test_the_scheduler_command_runs_the_jobs_once_for_cron(series):
    lesson = LessonPageFactory(parent=series, live=False)
    schedule(lesson, timezone.now() + timedelta(hours=1))
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(hours=2)):
        call_command("scheduler", "--once")
    lesson.refresh_from_db()
    assert lesson.live
