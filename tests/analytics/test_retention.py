"""Raw plays are deleted after the retention window; the reports keep their numbers."""

from datetime import date, datetime, time, timedelta

import pytest

from analytics import privacy, tasks
from analytics.content import Attribution, describe
from analytics.models import DailyReach, Play
from analytics.protocol import Beat
from analytics.stores import ReachQuery, get_store
from analytics.tokens import start

pytestmark = pytest.mark.django_db


def play_on(lesson, day, viewer, watched=60):
    noon = datetime.combine(day, time(12), tzinfo=privacy.SHANGHAI)
    token, _ = start(
        describe(lesson.pk), Attribution("210104", 0, "qr"), viewer, now=noon.timestamp()
    )
    get_store().ingest([Beat(token, 1, watched, watched, 600)])
    return token


def test_old_raw_plays_are_deleted_and_the_rollups_stay(site, settings):
    settings.ANALYTICS_RAW_RETENTION_DAYS = 30
    today = date(2024, 6, 30)
    old = play_on(site.lessons[0], today - timedelta(days=31), "device:a")
    recent = play_on(site.lessons[0], today - timedelta(days=2), "device:b")
    now = datetime.combine(today, time(3), tzinfo=privacy.SHANGHAI)

    deleted = tasks.delete_old_plays(now=now)

    assert deleted == 1
    assert list(Play.objects.values_list("play_id", flat=True)) == [recent.play_id]
    rows = get_store().reach(ReachQuery(), ("day",))
    assert [(r.key[0], r.views, r.viewers) for r in rows] == [
        (old.day, 1, 1),
        (recent.day, 1, 1),
    ]
    assert DailyReach.objects.filter(day=old.day).exists()


def test_a_play_not_yet_rolled_up_is_rolled_up_before_it_is_deleted(site, settings):
    settings.ANALYTICS_RAW_RETENTION_DAYS = 7
    token = play_on(site.lessons[1], date(2024, 5, 1), "device:c")
    assert Play.objects.get().dirty
    tasks.delete_old_plays(now=datetime(2024, 6, 1, tzinfo=privacy.SHANGHAI))
    assert not Play.objects.exists()
    rows = get_store().reach(ReachQuery(date_from=token.day, date_to=token.day), ("lesson",))
    assert [(r.key, r.views, r.watch_seconds) for r in rows] == [((site.lessons[1].pk,), 1, 60)]


def test_the_housekeeping_jobs_are_registered_with_the_scheduler():
    from sunshine import scheduler

    names = {job.name for job in scheduler.registered_jobs()}
    assert {
        "analytics.roll_up",
        "analytics.replay_spool",
        "analytics.rotate_salts",
        "analytics.delete_old_plays",
    } <= names
