"""Pseudonyms, salts and the bot filter: how we count people without knowing who they are.

A viewer id (a random id the browser made, or a teacher's user id) never reaches the database.
It is turned into a 64-bit truncated HMAC under a random salt: one salt per day, one per
campaign. Salts are random bytes in our database, deleted when their window closes; after that
no one can link a pseudonym back to a device, or today's pseudonym to tomorrow's.
The user agent is looked at in memory to drop crawlers and is never stored.
"""

import hashlib
import hmac
import re
import secrets
import threading
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from analytics import conf

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Salts are cached in-process so a play start needs no database round trip (and still works
# while the analytics database is briefly down); a deleted salt leaves the cache within this.
SALT_CACHE_SECONDS = 300

_salt_cache: dict[tuple[str, str], tuple[bytes, float]] = {}
_salt_lock = threading.Lock()

BOT_PATTERN = re.compile(
    r"bot\b|bot/|spider|crawl|slurp|curl/|wget/|python-requests|python-urllib|httpclient|"
    r"go-http-client|okhttp|java/|libwww|scrapy|facebookexternalhit|bingpreview|"
    r"yisouspider|sogou|baiduspider|bytespider|petalbot|headless-shell|lighthouse|pingdom",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    """True for crawlers and scripts. The user agent is read here and nowhere kept."""
    return bool(user_agent) and BOT_PATTERN.search(user_agent) is not None


def local_day(moment: datetime) -> "datetime.date":
    return moment.astimezone(SHANGHAI).date()


def day_salt_expiry(day) -> datetime:
    """A day's salt is deleted when the late-beat window after the end of that day closes."""
    end_of_day = datetime.combine(day + timedelta(days=1), dtime.min, tzinfo=SHANGHAI)
    return end_of_day + timedelta(hours=conf.get("ANALYTICS_LATE_BEAT_HOURS"))


def campaign_salt_expiry(campaign) -> datetime:
    end = datetime.combine(campaign.ends_on + timedelta(days=1), dtime.min, tzinfo=SHANGHAI)
    return end + timedelta(days=conf.get("ANALYTICS_CAMPAIGN_GRACE_DAYS"))


def _salt(scope: str, key: str, expires_at: datetime) -> bytes:
    from analytics.models import Salt

    now = time.monotonic()
    cached = _salt_cache.get((scope, key))
    if cached and cached[1] > now:
        return cached[0]
    alias = conf.get("ANALYTICS_DB_ALIAS")
    try:
        with transaction.atomic(using=alias):
            salt, _ = Salt.objects.using(alias).get_or_create(
                scope=scope,
                key=key,
                defaults={"secret": secrets.token_bytes(32), "expires_at": expires_at},
            )
    except IntegrityError:
        # Another process created it between our read and our insert.
        salt = Salt.objects.using(alias).get(scope=scope, key=key)
    secret = bytes(salt.secret)
    with _salt_lock:
        _salt_cache[(scope, key)] = (secret, now + SALT_CACHE_SECONDS)
    return secret


def day_salt(day) -> bytes:
    return _salt("day", day.isoformat(), day_salt_expiry(day))


def campaign_salt(campaign) -> bytes:
    return _salt("campaign", str(campaign.pk), campaign_salt_expiry(campaign))


def forget_cached_salts():
    with _salt_lock:
        _salt_cache.clear()


def pseudonym(secret: bytes, viewer_id: str) -> int:
    """A signed 64-bit integer: the first 8 bytes of HMAC-SHA256(secret, viewer id)."""
    digest = hmac.new(secret, viewer_id.encode("utf-8"), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big", signed=True)
    return value or 1  # 0 means "no pseudonym" in our tables


VIEWER_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def viewer_id_for(request, client_viewer_id) -> str | None:
    """A signed-in user's id wins; otherwise the random id the browser keeps in localStorage."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if isinstance(client_viewer_id, str) and VIEWER_ID_PATTERN.match(client_viewer_id):
        return f"device:{client_viewer_id}"
    return None


def now() -> datetime:
    from django.utils import timezone

    return timezone.now()
