"""What a play is of, and where its viewer is from: looked up at play start, then carried in
the signed token so beats need no lookups.

Both lookups are cached in-process for a short while: a play start on a busy evening must not
cost several queries, and the answers change rarely (a page moved, a campaign finalised).
"""

import time
from dataclasses import dataclass
from datetime import date

from sunshine.directory.models import District, School

CACHE_SECONDS = 60
_cache: dict = {}


def _cached(key, compute):
    now = time.monotonic()
    hit = _cache.get(key)
    if hit and hit[1] > now:
        return hit[0]
    value = compute()
    _cache[key] = (value, now + CACHE_SECONDS)
    return value


def clear_cache():
    _cache.clear()


@dataclass(frozen=True)
class Content:
    page_id: int
    kind: str  # lesson / lecture / replay, or "page" for pages without a video
    series_id: int = 0
    track: str = ""
    series_campaign_id: int = 0

    @property
    def is_video(self):
        return self.kind in ("lesson", "lecture", "replay")


def describe(page_id) -> Content | None:
    """The live page's analytics description, or None if there is no such live page."""
    return _cached(("content", page_id), lambda: _describe(page_id))


def _describe(page_id):
    from wagtail.models import Page

    from courses.models import CourseSeriesPage, LecturePage, LessonPage, LiveEventPage

    page = Page.objects.live().filter(pk=page_id).first()
    if page is None:
        return None
    page = page.specific
    if isinstance(page, LessonPage):
        series = page.get_parent().specific
        if isinstance(series, CourseSeriesPage):
            return Content(page.pk, "lesson", series.pk, series.track, series.campaign_id or 0)
        return Content(page.pk, "lesson")
    if isinstance(page, LecturePage):
        return Content(page.pk, "lecture")
    if isinstance(page, LiveEventPage):
        return Content(page.pk, "replay")
    return Content(page.pk, "page")


def campaign_for(day: date, preferred_id=0):
    """The open campaign whose dates contain `day`: the content's own campaign if it is one of
    them, else the one that started last. None outside every campaign."""

    def lookup():
        from courses.models import Campaign

        return list(
            Campaign.objects.filter(report_final=False)
            .order_by("-starts_on", "pk")
            .only("pk", "starts_on", "ends_on", "report_final")
        )

    campaigns = [c for c in _cached(("campaigns",), lookup) if c.starts_on <= day <= c.ends_on]
    for campaign in campaigns:
        if campaign.pk == preferred_id:
            return campaign
    return campaigns[0] if campaigns else None


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
        school = _cached(("user-school", user.pk), lambda: _user_school(user))
        if school is not None:
            return Attribution(school[1], school[0], "teacher")
    via = via if via in VIA_VALUES else ""
    if isinstance(school_code, str) and school_code:
        school = _cached(("school", school_code), lambda: _school(school_code))
        if school is not None:
            return Attribution(school[1], school[0], via)
    if isinstance(district_code, str) and district_code in _district_codes():
        return Attribution(district_code, 0, via)
    return Attribution()


def _district_codes():
    return _cached(("districts",), lambda: set(District.objects.values_list("code", flat=True)))


def _school(code):
    if len(code) > 20:
        return None
    row = School.objects.filter(code=code).values_list("pk", "district__code").first()
    return tuple(row) if row else None


def _user_school(user):
    from sunshine.directory.models import UserProfile

    row = (
        UserProfile.objects.filter(user=user, school__isnull=False)
        .values_list("school_id", "school__district__code")
        .first()
    )
    return tuple(row) if row else None
