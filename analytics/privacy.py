"""Pseudonyms, salts and the bot filter: how we count people without knowing who they are.

A viewer id (a random id the browser made, or a signed-in user's id) never reaches the database.
It is turned into a 64-bit truncated HMAC under a random salt: one salt per day, one per
campaign. Salts are random bytes in our database; when their window closes the secret is
erased and the row stays as a tombstone, so no process can make a new salt for a closed window
(which would count its viewers twice). After that nobody, us included, can link a pseudonym
back to a device, or today's pseudonym to tomorrow's.
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
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import IntegrityError, InterfaceError, OperationalError, transaction

from analytics import conf
from sunshine import process_state

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Errors meaning "the database cannot be reached now" (not a bug): callers answer 503 or use
# what they cached.
DATABASE_DOWN = (OperationalError, InterfaceError)
# Salts are cached in-process so a play start needs no database round trip (and still works
# while the database is briefly down); a closed salt leaves the cache within this.
SALT_CACHE_SECONDS = 300

_salt_cache: dict[tuple[str, str], tuple[bytes | None, float]] = {}
_salt_lock = threading.Lock()

BOT_PATTERN = re.compile(
    r"bot\b|bot/|spider|crawl|slurp|curl/|wget/|python-requests|python-urllib|httpclient|"
    r"go-http-client|okhttp|java/|libwww|scrapy|facebookexternalhit|bingpreview|"
    r"yisouspider|sogou|baiduspider|bytespider|petalbot|headless-shell|lighthouse|pingdom",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def _is_bot(user_agent: str) -> bool:
    return BOT_PATTERN.search(user_agent) is not None


def is_bot(user_agent: str) -> bool:
    """True for crawlers and scripts. The user agent is read here and nowhere kept (the cache
    of answers lives in this process's memory only)."""
    return bool(user_agent) and _is_bot(user_agent[:512])


def local_day(moment: datetime) -> "datetime.date":
    return moment.astimezone(SHANGHAI).date()


def now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def day_salt_expiry(day) -> datetime:
    """A day's salt is erased when the late-beat window after the end of that day closes."""
    end_of_day = datetime.combine(day + timedelta(days=1), dtime.min, tzinfo=SHANGHAI)
    return end_of_day + timedelta(hours=conf.get("ANALYTICS_LATE_BEAT_HOURS"))


def campaign_salt_expiry(campaign) -> datetime:
    """Read from the campaign as it is now: extending a campaign extends its salt."""
    end = datetime.combine(campaign.ends_on + timedelta(days=1), dtime.min, tzinfo=SHANGHAI)
    return end + timedelta(days=conf.get("ANALYTICS_CAMPAIGN_GRACE_DAYS"))


def campaign_is_open(campaign, at=None) -> bool:
    return not campaign.report_final and (at or now()) < campaign_salt_expiry(campaign)


def _salt(scope: str, key: str, may_create: bool) -> bytes | None:
    """The secret of a window; None if the window is closed (tombstone) or may not be opened."""
    from analytics.models import Salt

    moment = time.monotonic()
    cached = _salt_cache.get((scope, key))
    if cached and cached[1] > moment:
        return cached[0]
    alias = conf.get("ANALYTICS_DB_ALIAS")
    salts = Salt.objects.using(alias)
    try:
        row = salts.filter(scope=scope, key=key).values_list("secret", flat=True).first()
        if row is None and may_create:
            try:
                with transaction.atomic(using=alias):
                    salt = salts.create(scope=scope, key=key, secret=secrets.token_bytes(32))
                row = salt.secret
            except IntegrityError:  # another process made it between our read and our insert
                row = salts.filter(scope=scope, key=key).values_list("secret", flat=True).first()
    except DATABASE_DOWN:
        if cached:  # better a salt a few minutes old than no play at all
            return cached[0]
        raise
    secret = bytes(row) if row is not None else None
    with _salt_lock:
        _salt_cache[(scope, key)] = (secret, moment + SALT_CACHE_SECONDS)
    return secret


def day_salt(day) -> bytes | None:
    return _salt("day", day.isoformat(), may_create=True)


def campaign_salt(campaign, at=None) -> bytes | None:
    """None once the campaign's report is final or its grace period (at `at`) is over."""
    return _salt("campaign", str(campaign.pk), may_create=campaign_is_open(campaign, at))


def ensure_salts(at=None):
    """Makes today's and tomorrow's salts ahead of time (the periodic job): a play start at
    midnight must not need the database to be up."""
    from analytics import content

    moment = at or now()
    for offset in (0, 1):
        day = local_day(moment + timedelta(days=offset))
        day_salt(day)
        for campaign in content.campaigns_for(day):
            campaign_salt(campaign, moment)


def forget_cached_salts():
    with _salt_lock:
        _salt_cache.clear()


process_state.register("analytics.salts", forget_cached_salts, settings=["ANALYTICS_DB_ALIAS"])
# Answers of a pure function: never stale, registered so that a reset frees them too.
process_state.register("analytics.bot_answers", _is_bot.cache_clear)


def pseudonym(secret: bytes, viewer_id: str) -> int:
    """A signed 64-bit integer: the first 8 bytes of HMAC-SHA256(secret, viewer id)."""
    digest = hmac.new(secret, viewer_id.encode("utf-8"), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big", signed=True)
    return value or 1  # 0 means "no pseudonym" in our tables


def signed_in_viewer(request) -> str | None:
    """`user:<pk>` for a signed-in account (a teacher), else None."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def viewer_id_for(request, client_viewer_id) -> str | None:
    """A signed-in user's id wins; otherwise the id we minted and signed for this browser
    (analytics.viewers), which it keeps in localStorage. None for an id we did not issue."""
    from analytics import viewers

    if user_viewer := signed_in_viewer(request):
        return user_viewer
    random_part = viewers.verify(client_viewer_id)
    return f"device:{random_part}" if random_part else None


def is_staff_viewer(request) -> bool:
    """Editors, reviewers and bureau staff previewing a lesson are not its audience."""
    from sunshine.roles.groups import ACCESS_ADMIN

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return user.is_staff or user.has_perm(ACCESS_ADMIN)
