"""Raw plays are deleted after the retention window; the reports keep their numbers."""

from datetime import date, datetime, time, timedelta

import pytest

from analytics import privacy, tasks
from analytics.content import Attribution, describe
from analytics.models import DailyReach, Play
from analytics.protocol import make_beat
from analytics.spool import Spool
from analytics.stores import ReachQuery, get_store
from analytics.tokens import start

pytestmark = pytest.mark.django_db


def play_on(lesson, day, viewer, watched=60):
    noon = datetime.combine(day, time(12), tzinfo=privacy.SHANGHAI)
    token = start(describe(lesson.pk), Attribution("210104", 0, "qr"), viewer, now=noon.timestamp())
    get_store().ingest([make_beat(token, 1, watched, watched, 600)])
    return token


def test_old_raw_plays_are_deleted_and_the_rollups_stay(site, settings):
    settings.ANALYTICS_RAW_RETENTION_DAYS = 30
    today = date(2024, 6, 30)
    old = play_on(site.lessons[0], today - timedelta(days=31), "device:a")
    recent = play_on(site.lessons[0], today - timedelta(days=2), "device:b")
    now = datetime.combine(today, time(3), tzinfo=privacy.SHANGHAI)

    deleted = tasks.delete_old_plays(now=now)

    assert deleted == 1
    assert not Play.objects.filter(play_id=old.play_id).exists()
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


def test_a_beat_spooled_before_a_very_long_outage_does_not_bring_a_deleted_play_back(
    site, settings, tmp_path
):
    settings.ANALYTICS_RAW_RETENTION_DAYS = 30
    old = play_on(site.lessons[0], privacy.local_day(privacy.now()) - timedelta(days=40), "d:a")
    get_store().flush()
    Play.objects.all().delete()  # retention deleted it; its numbers are in the rollups
    spool = Spool(tmp_path / "outage")
    spool.append([make_beat(old, 2, 120, 120, 600)])
    result = spool.replay(get_store())
    assert (result.replayed, result.failed) == (0, 0)
    assert not Play.objects.exists() and not spool.pending()
    rows = get_store().reach(ReachQuery(date_from=old.day, date_to=old.day), ())
    assert [(r.views, r.watch_seconds) for r in rows] == [(1, 60)]


def test_the_housekeeping_jobs_are_registered_with_the_scheduler():
    from sunshine import scheduler

    names = {job.name for job in scheduler.registered_jobs()}
    assert {
        "analytics.roll_up",
        "analytics.replay_spool",
        "analytics.rotate_salts",
        "analytics.delete_old_plays",
    } <= names
