"""Periodic housekeeping: rollups, spool replay, retention and salt rotation.

Registered with the site scheduler (sunshine.scheduler) from AnalyticsConfig.ready(); each is a
plain function, also callable from tests and the shell.
"""

import logging
from datetime import date, timedelta

from django.db import transaction

from analytics import conf, privacy
from analytics.models import Salt
from analytics.spool import Spool
from analytics.stores import get_store

logger = logging.getLogger(__name__)


def roll_up():
    """Applies pending plays to the rollups (reports do this too before they read)."""
    return get_store().flush()


def replay_spool():
    """Feeds beats spooled while the database was down back into the store."""
    return Spool().replay(get_store())


def delete_old_plays(now=None):
    """Deletes raw plays older than the retention window; the rollups keep their numbers."""
    now = now or privacy.now()
    days = conf.get("ANALYTICS_RAW_RETENTION_DAYS")
    cutoff = privacy.local_day(now) - timedelta(days=days)
    deleted = get_store().delete_plays_before(cutoff)
    if deleted:
        logger.info("已删除 %s 之前的 %s 条原始播放记录", cutoff, deleted)
    return deleted


def rotate_salts(now=None):
    """Deletes salts whose window has closed, and the viewer rows made with them.

    A day's salt goes once that day's late-beat window has closed; a campaign's salt goes when
    its report is marked final or its grace period after the end has passed. Returns the
    (days, campaign ids) whose salts were deleted.
    """
    from courses.models import Campaign

    now = now or privacy.now()
    alias = conf.get("ANALYTICS_DB_ALIAS")
    salts = Salt.objects.using(alias)
    expired_days = list(
        salts.filter(scope=Salt.Scope.DAY, expires_at__lte=now).values_list("key", flat=True)
    )
    final = Campaign.objects.filter(report_final=True).values_list("pk", flat=True)
    final_ids = {str(pk) for pk in final}
    campaign_salts = salts.filter(scope=Salt.Scope.CAMPAIGN)
    expired_campaigns = [
        key
        for key, expires_at in campaign_salts.values_list("key", "expires_at")
        if key in final_ids or (expires_at and expires_at <= now)
    ]
    if not expired_days and not expired_campaigns:
        return [], []
    store = get_store()
    # Roll up first: a play must reach the rollups before its viewer rows and salt go.
    store.flush()
    with transaction.atomic(using=alias):
        store.forget_viewers(
            days=[date.fromisoformat(key) for key in expired_days],
            campaign_ids=[int(key) for key in expired_campaigns],
        )
        salts.filter(scope=Salt.Scope.DAY, key__in=expired_days).delete()
        salts.filter(scope=Salt.Scope.CAMPAIGN, key__in=expired_campaigns).delete()
    privacy.forget_cached_salts()
    logger.info("已删除去重密钥：日期 %s；活动 %s", expired_days, expired_campaigns)
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
