"""Periodic housekeeping: rollups, spool replay, retention and salt rotation.

Registered with the site scheduler (sunshine.scheduler) from AnalyticsConfig.ready(); each is a
plain function, also callable from tests and the shell.
"""

import logging
from datetime import date, timedelta

from django.db import transaction

from analytics import conf, privacy
from analytics.models import Salt
from analytics.stores import get_store
from analytics.stores.base import retention_cutoff

logger = logging.getLogger(__name__)


def roll_up():
    """Applies pending plays to the rollups (what reports read)."""
    return get_store().flush()


def replay_spool():
    """Feeds beats waiting in this server's spool to the store (each web process's flusher
    does it every second too; this covers a server where no beat arrived since it started)."""
    from analytics import ingest

    return ingest.flush_spool(wait=False).replayed


def delete_old_plays(now=None):
    """Deletes raw plays older than the retention window; the rollups keep their numbers."""
    from analytics import spool

    now = now or privacy.now()
    cutoff = retention_cutoff(privacy.local_day(now))
    deleted = get_store().delete_plays_before(cutoff)
    retention_seconds = conf.get("ANALYTICS_RAW_RETENTION_DAYS") * 86400
    spool.default().delete_failed_before(now.timestamp() - retention_seconds)
    if deleted:
        logger.info("已删除 %s 之前的 %s 条原始播放记录", cutoff, deleted)
    return deleted


def rotate_salts(now=None):
    """Erases the salts whose window has closed (leaving tombstones), deletes the viewer rows
    made with them, and makes today's and tomorrow's salts ahead of time.

    A day's salt goes once that day's late-beat window has closed; a campaign's when its
    report is marked final or its grace period after the end has passed — both computed from
    the day or the campaign as they are now (a campaign whose end moved keeps its salt longer).
    Returns the (days, campaign ids) whose salts were erased."""
    from courses.models import Campaign

    now = now or privacy.now()
    alias = conf.get("ANALYTICS_DB_ALIAS")
    live = Salt.objects.using(alias).filter(secret__isnull=False)
    expired_days = [
        key
        for key in live.filter(scope=Salt.Scope.DAY).values_list("key", flat=True)
        if privacy.day_salt_expiry(date.fromisoformat(key)) <= now
    ]
    campaign_keys = list(live.filter(scope=Salt.Scope.CAMPAIGN).values_list("key", flat=True))
    campaigns = Campaign.objects.in_bulk([int(key) for key in campaign_keys])
    expired_campaigns = [
        key
        for key in campaign_keys
        if int(key) not in campaigns or not privacy.campaign_is_open(campaigns[int(key)], now)
    ]
    store = get_store()
    if expired_days or expired_campaigns:
        # Roll up first: a play must reach the rollups before its viewer rows and salt go.
        store.flush()
        with transaction.atomic(using=alias):
            store.forget_viewers(
                days=[date.fromisoformat(key) for key in expired_days],
                campaign_ids=[int(key) for key in expired_campaigns],
            )
            for scope, keys in (
                (Salt.Scope.DAY, expired_days),
                (Salt.Scope.CAMPAIGN, expired_campaigns),
            ):
                live.filter(scope=scope, key__in=keys).update(secret=None, closed_at=now)
        privacy.forget_cached_salts()
        logger.info("已删除去重密钥：日期 %s；活动 %s", expired_days, expired_campaigns)
    # Viewer rows of days closed long ago (left by a late replay) go too, and old tombstones
    # of days: beats that old are no longer accepted anyway.
    cutoff = retention_cutoff(privacy.local_day(now))
    store.forget_viewers(days_before=cutoff - timedelta(days=2))
    Salt.objects.using(alias).filter(
        scope=Salt.Scope.DAY,
        secret__isnull=True,
        closed_at__lt=now - timedelta(days=conf.get("ANALYTICS_RAW_RETENTION_DAYS") + 3),
    ).delete()
    privacy.ensure_salts(now)
    return expired_days, [int(key) for key in expired_campaigns]


JOBS = [
    ("analytics.roll_up", timedelta(seconds=30), roll_up),
    ("analytics.replay_spool", timedelta(minutes=1), replay_spool),
    ("analytics.rotate_salts", timedelta(hours=1), rotate_salts),
    ("analytics.delete_old_plays", timedelta(hours=6), delete_old_plays),
]


def register_jobs():
    try:
        from sunshine import scheduler
    except ImportError:  # the site's scheduler is not there (yet)
        logger.warning("没有找到 sunshine.scheduler：统计的定时任务未注册")
        return
    for name, every, func in JOBS:
        scheduler.register(name, every=every, func=func)
