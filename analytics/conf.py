"""Analytics settings: Django settings when set there, else the defaults below.

Read when used (sunshine.app_settings), so tests change them with `settings`. The environment
variables of the same names reach Django settings through sunshine.environment.
"""

from pathlib import Path

from django.conf import settings

from sunshine.app_settings import AppSettings

DEFAULTS = {
    # "sql" (default) or "elasticsearch".
    "ANALYTICS_STORE": "sql",
    # The project's Elasticsearch (settings.py sets it from the environment).
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
    # A view is earned in real time: credited watch time is at most this many times the time
    # the server has seen pass since the play started (a child may play at 2×). The factor also
    # covers the start request's latency: a phone that began counting a few seconds before its
    # token was issued has those seconds credited as soon as as many have passed on the server.
    "ANALYTICS_REALTIME_FACTOR": 2,
    # Seconds credited on top of that, whatever the time (0: none; a fixed slack is what let a
    # single beat claiming 30 s count at once).
    "ANALYTICS_CLAMP_SLACK_SECONDS": 0,
    "ANALYTICS_MAX_BATCH": 50,
    "ANALYTICS_MAX_BODY_BYTES": 64 * 1024,
    # Dirty plays rolled up per transaction.
    "ANALYTICS_ROLLUP_BATCH": 2000,
    # The spool: where acknowledged beats are written ahead (fsync'd) before the store has them.
    # Empty: var/analytics-spool. It must be on a persistent local disk of the app server.
    "ANALYTICS_SPOOL_DIR": "",
    # A process starts a new spool segment when its current one reaches this size.
    "ANALYTICS_SPOOL_SEGMENT_BYTES": 16 * 1024 * 1024,
    # "spool" (default): a beat is acknowledged once it is in the spool (fsync'd); a flusher
    # thread in each process feeds the spool to the store in batches, so a beat request never
    # opens a database connection. "direct": a beat is committed to the store before it is
    # acknowledged (and spooled only when the store cannot take it).
    "ANALYTICS_INGEST": "spool",
    "ANALYTICS_FLUSH_THREAD": True,
    "ANALYTICS_FLUSH_SECONDS": 1,
    # Group commit: the request that writes for the others first waits at most this long
    # (microseconds) for the beat requests already in the view to queue too. 0 = never wait.
    "ANALYTICS_GATHER_MICROSECONDS": 500,
    # Unflushed beats in the spool above which clients are asked to beat less often.
    "ANALYTICS_BACKLOG_UNDER_LOAD": 20000,
    # watched_s may be at most this many times the video's duration (a child may watch twice).
    "ANALYTICS_MAX_WATCH_FACTOR": 3,
    # Pages, schools and campaigns looked up at play start are reused for this long; when the
    # database is down, the last answer is used for up to a day.
    "ANALYTICS_LOOKUP_SECONDS": 60,
    # Admission limits per client network per window (analytics.admission; 0 = no limit). A
    # school computer room behind one NAT address (60 children starting at once) counts in
    # full; in any 60 s one network adds at most two windows' worth of views and viewers.
    "ANALYTICS_ADMISSION_PLAY_STARTS": 60,
    "ANALYTICS_ADMISSION_VIEWER_IDS": 60,
    "ANALYTICS_ADMISSION_PAGE_VIEWS": 300,
    # Requests carrying a play's beats, per play per window (an honest player sends about four
    # a minute; a phone back online sends its whole queue in one request, which counts once).
    "ANALYTICS_ADMISSION_BEATS_PER_PLAY": 20,
    "ANALYTICS_ADMISSION_WINDOW_SECONDS": 60,
    # The Django cache holding the counters: Redis in production, shared by the app servers.
    "ANALYTICS_ADMISSION_CACHE": "default",
    # Plays in the demo's 2026寒假 (analytics.demo_campaign); tests ask for fewer. Not in the
    # environment: it only sizes demo data.
    "ANALYTICS_DEMO_CAMPAIGN_PLAYS": 100_000,
    # A font file with Chinese glyphs for the QR posters. Empty: a system CJK font.
    "ANALYTICS_POSTER_FONT": "",
}

get = AppSettings("analytics", DEFAULTS).get


def spool_dir() -> Path:
    configured = get("ANALYTICS_SPOOL_DIR")
    if configured:
        return Path(configured)
    var_dir = getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var")
    return Path(var_dir) / "analytics-spool"
