"""What a report asks for, checked the same way for the admin, the API and `reach_report`.

Scope is applied here and nowhere else: a district officer's (or a district token's) request is
always narrowed to their own district, and naming another district is refused.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from courses.models import Campaign, CourseSeriesPage, GradeBand, Track
from sunshine.directory.models import District

BY_CHOICES = {
    "district": "区县",
    "school": "学校",
    "series": "系列课程",
    "lesson": "课程",
    "day": "日期",
}
PRESET_WINTER = "winter"
PRESET_SUMMER = "summer"
PRESETS = {PRESET_WINTER: "最近一次寒假", PRESET_SUMMER: "最近一次暑假"}
# Holiday windows used when the bureau has not entered the campaign yet.
DEFAULT_WINDOWS = {
    PRESET_WINTER: ((1, 15), (2, 28)),
    PRESET_SUMMER: ((7, 10), (8, 31)),
}
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


class ReportParamError(ValueError):
    """A bad parameter; `message` is shown to the user (Chinese), `code` is for machines."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ReportRequest:
    by: str
    date_from: datetime.date
    date_to: datetime.date
    district: District | None = None  # None: the whole city
    campaign: Campaign | None = None
    track: str | None = None
    grade_band: GradeBand | None = None
    series: CourseSeriesPage | None = None

    @property
    def days(self):
        return (self.date_to - self.date_from).days + 1

    def store_query(self):
        from analytics.stores import ReachQuery

        return ReachQuery(
            date_from=self.date_from,
            date_to=self.date_to,
            campaign=self.campaign.pk if self.campaign else None,
            districts=(self.district.code,) if self.district else (),
            series=(self.series.pk,) if self.series else (),
            track=self.track or None,
            grade_band=self.grade_band.code if self.grade_band else None,
        )

    def describe(self):
        parts = [f"{self.date_from:%Y-%m-%d} 至 {self.date_to:%Y-%m-%d}"]
        if self.campaign:
            parts.insert(0, self.campaign.name)
        parts.append(self.district.name if self.district else "全市")
        if self.track:
            parts.append(Track(self.track).label)
        if self.grade_band:
            parts.append(self.grade_band.name)
        if self.series:
            parts.append(self.series.title)
        return "，".join(parts)


def today():
    return timezone.localdate()


def resolve_preset(value):
    """(Campaign or None, date_from, date_to) for a preset: "winter", "summer" or a Campaign pk."""
    if value in PRESETS:
        campaign = (
            Campaign.objects.filter(kind=value, starts_on__lte=today())
            .order_by("-starts_on")
            .first()
        )
        if campaign:
            return campaign, campaign.starts_on, campaign.ends_on
        (m1, d1), (m2, d2) = DEFAULT_WINDOWS[value]
        year = today().year if today() >= datetime.date(today().year, m1, d1) else today().year - 1
        return None, datetime.date(year, m1, d1), datetime.date(year, m2, d2)
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = 0
    campaign = Campaign.objects.filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
    if campaign is None:
        raise ReportParamError("unknown_campaign", f"没有这个活动：{value}")
    return campaign, campaign.starts_on, campaign.ends_on


def _check_text(name, value):
    # Control characters (NUL above all) must not reach the database driver.
    if isinstance(value, str) and (len(value) > 100 or any(ord(c) < 32 for c in value)):
        raise ReportParamError("bad_parameter", f"参数 {name} 含有不允许的字符或过长")


# Reports cover the platform's years; outside them a date is a typo, and date arithmetic near
# year 1 or 9999 would overflow.
EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2099, 12, 31)
MAX_ID = 2**31 - 1


def _date(value, name):
    if isinstance(value, datetime.date):
        return value  # a campaign's own dates, or a form's cleaned value
    try:
        parsed = datetime.date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise ReportParamError(
            "bad_date", f"参数 {name} 应为日期，格式为 YYYY-MM-DD，例如 2024-01-15"
        ) from error
    if not EARLIEST <= parsed <= LATEST:
        raise ReportParamError(
            "bad_date", f"参数 {name} 应在 {EARLIEST:%Y-%m-%d} 至 {LATEST:%Y-%m-%d} 之间"
        )
    return parsed


def _district(code, scope):
    """The district a request may see. `scope` is None (city) or the officer's District."""
    if code in (None, ""):
        return scope
    code = str(code).strip()
    if scope is not None:
        if code != scope.code:
            raise PermissionDenied("只能查看本区县的数据")
        return scope
    district = District.objects.filter(code=code).first()
    if district is None:
        raise ReportParamError(
            "unknown_district", f"没有这个区县代码：{code}（应为 6 位行政区划代码）"
        )
    return district


def build_request(
    *,
    by="district",
    date_from=None,
    date_to=None,
    campaign=None,
    district=None,
    track=None,
    grade_band=None,
    series=None,
    scope=None,
):
    """A checked ReportRequest from raw values (strings or objects). Raises ReportParamError for
    bad values and PermissionDenied for another district than `scope`."""
    for name, value in (
        ("by", by),
        ("from", date_from),
        ("to", date_to),
        ("campaign", campaign),
        ("district", district),
        ("track", track),
        ("grade", grade_band),
        ("series", series),
    ):
        _check_text(name, value)
    if by not in BY_CHOICES:
        raise ReportParamError(
            "bad_by", f"参数 by 应为以下之一：{'、'.join(BY_CHOICES)}（收到：{by}）"
        )
    campaign_obj = None
    if campaign not in (None, ""):
        campaign_obj, preset_from, preset_to = resolve_preset(campaign)
        if date_from not in (None, "") or date_to not in (None, ""):
            raise ReportParamError("campaign_with_dates", "选择活动后不能再指定 from/to 日期")
        date_from, date_to = preset_from, preset_to
    date_to = _date(date_to, "to") if date_to not in (None, "") else today()
    if date_from in (None, ""):
        date_from = date_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
    else:
        date_from = _date(date_from, "from")
    if date_from > date_to:
        raise ReportParamError("bad_range", "开始日期不能晚于结束日期")
    if (date_to - date_from).days >= MAX_DAYS:
        raise ReportParamError("range_too_long", "日期范围最长 3 年")
    if track not in (None, "") and track not in Track.values:
        raise ReportParamError(
            "bad_track", f"参数 track 应为以下之一：{'、'.join(Track.values)}（收到：{track}）"
        )
    band = None
    if grade_band not in (None, ""):
        band = grade_band if isinstance(grade_band, GradeBand) else None
        band = band or GradeBand.objects.filter(code=str(grade_band)).first()
        if band is None:
            raise ReportParamError("bad_grade", f"没有这个学段代码：{grade_band}")
    series_obj = None
    if series not in (None, ""):
        series_obj = series if isinstance(series, CourseSeriesPage) else None
        if series_obj is None:
            try:
                pk = int(series)
            except (TypeError, ValueError):
                pk = 0
            if 1 <= pk <= MAX_ID:
                series_obj = CourseSeriesPage.objects.filter(pk=pk).first()
        if series_obj is None:
            raise ReportParamError("bad_series", f"没有这个系列课程：{series}")
    if isinstance(district, District):
        district = district.code
    return ReportRequest(
        by=by,
        date_from=date_from,
        date_to=date_to,
        district=_district(district, scope),
        campaign=campaign_obj,
        track=track or None,
        grade_band=band,
        series=series_obj,
    )
