"""What a play is of, and where its viewer is from: looked up at play start, then carried in
the signed token so beats need no lookups.

The answers go to Django's cache (shared by the app servers when it is Redis): fresh for
ANALYTICS_LOOKUP_SECONDS, kept for a day, and used stale when the database cannot be reached,
so a play start still works while the database is briefly down. Codes and ids are checked for
their shape before anything is looked up, so random input costs neither a query nor a slot.
District and school codes are checked against the directory snapshot instead
(sunshine.directory.snapshot: the whole directory, refreshed every minute, kept on the app
server's disk for an outage).
"""

import re
import time
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache

from analytics import conf
from analytics.privacy import DATABASE_DOWN
from sunshine.directory import snapshot as directory

STALE_SECONDS = 24 * 3600
MAX_PAGE_ID = 2**31 - 1
DISTRICT_CODE = re.compile(r"^[0-9]{6}$")
SCHOOL_CODE = re.compile(r"^[0-9A-Za-z-]{1,20}$")
_MISSING = "-"  # cached "no such thing" (None means "not in the cache")
CAMPAIGNS_KEY = "campaigns"


def _cache_key(key):
    return f"analytics:{key}"


def _lookup(key, compute):
    """compute() through the cache; on a database outage the last answer, however old."""
    key = _cache_key(key)
    entry = cache.get(key)
    moment = time.time()
    if entry is not None and entry[0] > moment:
        value = entry[1]
    else:
        try:
            value = compute()
        except DATABASE_DOWN:
            if entry is None:
                raise
            value = entry[1]
        else:
            value = _MISSING if value is None else value
            cache.set(key, (moment + conf.get("ANALYTICS_LOOKUP_SECONDS"), value), STALE_SECONDS)
    return None if value == _MISSING else value


def forget(*, page_id=None):
    """Forgets the lookups a play start of `page_id` reads (the page, the open campaigns), for
    every app server sharing the cache: record_play after pages or campaigns changed."""
    keys = [CAMPAIGNS_KEY] + ([f"content:{page_id}"] if page_id is not None else [])
    cache.delete_many([_cache_key(key) for key in keys])


@dataclass(frozen=True)
class Content:
    page_id: int
    kind: str  # lesson / lecture / replay, or "page" for pages without a video
    series_id: int = 0
    track: str = ""
    duration_s: int = 0  # the video's own duration, when known

    @property
    def is_video(self):
        return self.kind in ("lesson", "lecture", "replay")


def describe(page_id) -> Content | None:
    """The live page's analytics description, or None if there is no such live page."""
    if page_id.__class__ is not int or not 1 <= page_id <= MAX_PAGE_ID:
        return None
    return _lookup(f"content:{page_id}", lambda: _describe(page_id))


def _video_seconds(page):
    """The duration the media pipeline measured (not the one an editor typed), or 0."""
    video = getattr(page, "video", None)
    return round(video.duration) if video is not None and video.duration else 0


def _describe(page_id):
    from wagtail.models import Page

    # depth 1 is the tree's root, which nobody visits: not a page view, not a play.
    page = Page.objects.live().filter(pk=page_id, depth__gt=1).first()
    return None if page is None else _describe_page(page.specific)


def _describe_page(page):
    from courses.models import CourseSeriesPage, LecturePage, LessonPage, LiveEventPage

    if isinstance(page, LessonPage):
        series = page.get_parent().specific
        if isinstance(series, CourseSeriesPage):
            return Content(page.pk, "lesson", series.pk, series.track, _video_seconds(page))
        return Content(page.pk, "lesson", duration_s=_video_seconds(page))
    if isinstance(page, LecturePage):
        return Content(page.pk, "lecture", duration_s=_video_seconds(page))
    if isinstance(page, LiveEventPage):
        return Content(page.pk, "replay", duration_s=_video_seconds(page))
    return Content(page.pk, "page")


@dataclass(frozen=True)
class CampaignWindow:
    pk: int
    starts_on: date
    ends_on: date
    report_final: bool = False


def campaigns_for(day: date) -> list[CampaignWindow]:
    """Every campaign whose dates contain `day` and whose report is not final: a play in an
    overlap (a custom campaign inside 寒假) belongs to each of them."""
    return [c for c in _lookup(CAMPAIGNS_KEY, _open_campaigns) if c.starts_on <= day <= c.ends_on]


def _open_campaigns():
    from courses.models import Campaign

    return [
        CampaignWindow(*row)
        for row in Campaign.objects.filter(report_final=False)
        .order_by("starts_on", "pk")
        .values_list("pk", "starts_on", "ends_on", "report_final")
    ]


@dataclass(frozen=True)
class Attribution:
    district: str = ""  # "" = 未知
    school_id: int = 0  # 0 = 未知
    via: str = ""


VIA_VALUES = {"link", "qr", "picker"}


def attribution_for(request, district_code, school_code, via) -> Attribution:
    """A signed-in teacher's school wins; else the codes from localStorage, if they are real;
    else 未知. Never derived from the IP address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        school = _lookup(f"user-school:{user.pk}", lambda: _user_school(user.pk))
        if school is not None:
            return Attribution(school[1], school[0], "teacher")
    via = via if via in VIA_VALUES else ""
    school_code = school_code if isinstance(school_code, str) else None
    district_code = district_code if isinstance(district_code, str) else None
    if (school_code and SCHOOL_CODE.match(school_code)) or (
        district_code and DISTRICT_CODE.match(district_code)
    ):
        # The directory snapshot: no query per play, and the codes are still checked while the
        # database is down (against the copy this app server kept).
        places = directory.current()
        if (school := places.school(school_code)) is not None:
            return Attribution(school.district_code, school.pk, via)
        if places.district(district_code) is not None:
            return Attribution(district_code, 0, via)
    return Attribution()


def _user_school(user_pk):
    from sunshine.directory.models import UserProfile

    row = (
        UserProfile.objects.filter(user_id=user_pk, school__isnull=False)
        .values_list("school_id", "school__district__code")
        .first()
    )
    return tuple(row) if row else None


def warm_up():
    """Before a web process's first play start (sunshine.warmup): the directory, today's and
    tomorrow's salts and every live video's description, so that play starts work in this
    process even if the database goes away before anyone played here."""
    from analytics import privacy
    from courses.models import LecturePage, LessonPage, LiveEventPage

    directory.current()
    privacy.ensure_salts()
    for model in (LessonPage, LecturePage, LiveEventPage):
        for page in model.objects.live():
            _lookup(f"content:{page.pk}", lambda page=page: _describe_page(page))
