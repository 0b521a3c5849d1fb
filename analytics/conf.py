"""Analytics settings: Django settings override the environment, which overrides the defaults.

Read at call time (not import time) so tests can change them with `settings`.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS = {
    # "sql" (default) or "elasticsearch".
    "ANALYTICS_STORE": "sql",
    "ELASTICSEARCH_URL": "",
    "ANALYTICS_ES_INDEX_PREFIX": "sunshine-analytics",
    # The database alias the SQL store writes to.
    "ANALYTICS_DB_ALIAS": "default",
    # Seconds between beats while a video plays; the server lengthens it under load.
    "ANALYTICS_BEAT_INTERVAL": 15,
    "ANALYTICS_BEAT_INTERVAL_UNDER_LOAD": 60,
    # Beats may arrive this late (offline phones, the localStorage queue); tokens live as long,
    # and a day's salt is deleted when the window after that day has closed.
    "ANALYTICS_LATE_BEAT_HOURS": 48,
    # Raw plays are deleted after this many days; the rollups stay.
    "ANALYTICS_RAW_RETENTION_DAYS": 30,
    # A campaign's salt (and its viewer table) is deleted this long after the campaign ends,
    # or as soon as its report is marked final.
    "ANALYTICS_CAMPAIGN_GRACE_DAYS": 30,
    # watched_s may exceed the wall-clock time since the start by this much (clock skew, buffering).
    "ANALYTICS_CLAMP_SLACK_SECONDS": 30,
    "ANALYTICS_MAX_BATCH": 50,
    "ANALYTICS_MAX_BODY_BYTES": 64 * 1024,
    # Dirty plays rolled up per transaction.
    "ANALYTICS_ROLLUP_BATCH": 2000,
    "ANALYTICS_SPOOL_DIR": "",
    # "direct": commit beats to the store before answering (spool only when it is down);
    # "spool": fsync them to the local spool and let a flusher thread write them in batches.
    "ANALYTICS_INGEST": "direct",
    "ANALYTICS_FLUSH_THREAD": True,
    "ANALYTICS_FLUSH_SECONDS": 1,
}

BOOL_SETTINGS = {name for name, value in DEFAULTS.items() if type(value) is bool}
INT_SETTINGS = {name for name, value in DEFAULTS.items() if type(value) is int}


_cache: dict = {}


def get(name):
    # Cached: beats read several settings per request; tests that change one clear the cache.
    try:
        return _cache[name]
    except KeyError:
        pass
    if hasattr(settings, name):
        value = getattr(settings, name)
    else:
        value = os.environ.get(name)
        if value is None:
            value = DEFAULTS[name]
        elif name in INT_SETTINGS:
            value = int(value)
        elif name in BOOL_SETTINGS:
            value = value.strip().lower() in {"1", "true", "yes", "on"}
    _cache[name] = value
    return value


@receiver(setting_changed)
def _forget(**kwargs):
    _cache.clear()


def spool_dir() -> Path:
    configured = get("ANALYTICS_SPOOL_DIR")
    if configured:
        return Path(configured)
    var_dir = getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var")
    return Path(var_dir) / "analytics-spool"
