"""What every analytics store offers, and how a reach query is answered (the same for all).

A store ingests validated beats and answers `reach(query, by=...)`. `plan()` decides, from the
query alone, which period table and which grain answer it, and whether unique viewers are exact:
both stores follow the plan, which is why the contract suite can demand identical reports.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import InterfaceError, OperationalError

from analytics import rollups

BY_DIMENSIONS = ("day", "district", "school", "track", "series", "lesson")
# Column / document field of each dimension.
DIMENSION_FIELDS = {
    "day": "day",
    "district": "district",
    "school": "school_id",
    "track": "track",
    "series": "series_id",
    "lesson": "lesson_id",
}


class QueryError(ValueError):
    """A query that cannot be answered; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class ReachQuery:
    date_from: date | None = None
    date_to: date | None = None
    campaign: int | None = None
    districts: tuple[str, ...] = ()
    schools: tuple[int, ...] = ()
    series: tuple[int, ...] = ()
    lessons: tuple[int, ...] = ()
    track: str | None = None
    grade_band: str | None = None


@dataclass(frozen=True)
class ReachRow:
    key: tuple
    views: int
    viewers: int  # exact, or (exact=False) a sum of per-cell distinct counts: an upper bound
    exact: bool
    watch_seconds: int
    completions: int
    # A lower bound: the largest exact distinct count among the cells summed into this row
    # (= viewers when exact). Small-cell suppression must test this, not `viewers`.
    viewers_floor: int = 0


@dataclass(frozen=True)
class PageViewRow:
    key: tuple
    views: int


@dataclass(frozen=True)
class Plan:
    """How to answer a reach query.

    period: "campaign" (the campaign table, whole campaign) or "daily" (the daily table).
    filters: dimension → allowed values (a tuple); an empty tuple means nothing can match.
    split: the dimensions viewers are distinct within (besides `by`); each contributes a sum.
    """

    by: tuple[str, ...]
    period: str
    grain: int
    date_from: date | None
    date_to: date | None
    campaign_id: int | None
    filters: dict = field(default_factory=dict)
    split: tuple[str, ...] = ()
    exact: bool = True
    empty: bool = False
    # Whole-campaign plans: the campaign's report is final (its table is frozen as it is).
    campaign_final: bool = False


def _series_for_grade_band(code):
    from courses.models import CourseSeriesPage

    return tuple(
        CourseSeriesPage.objects.filter(grade_bands__code=code)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _campaign(campaign_id):
    from courses.models import Campaign

    try:
        return Campaign.objects.only("starts_on", "ends_on", "report_final").get(pk=campaign_id)
    except (Campaign.DoesNotExist, ValueError, TypeError) as error:
        raise QueryError("没有这个假期活动") from error


def plan(query: ReachQuery, by=(), *, campaign_table=True) -> Plan:
    """How to answer `query`. `campaign_table=False`: answer a whole campaign from the daily
    table (when the campaign table does not hold all of the campaign's plays)."""
    by = tuple(by)
    unknown = [name for name in by if name not in BY_DIMENSIONS]
    if unknown or len(set(by)) != len(by):
        raise QueryError(f"不支持的分组方式：{'、'.join(unknown) or '重复'}")

    filters = {}
    if query.districts:
        filters["district"] = tuple(sorted(set(query.districts)))
    if query.schools:
        filters["school"] = tuple(sorted(set(query.schools)))
    if query.lessons:
        filters["lesson"] = tuple(sorted(set(query.lessons)))
    series = set(query.series) if query.series else None
    if query.grade_band:
        band_series = set(_series_for_grade_band(query.grade_band))
        series = band_series if series is None else series & band_series
    if series is not None:
        filters["series"] = tuple(sorted(series))
    if query.track:
        filters["track"] = (query.track,)

    def wanted(*names):
        return any(name in by or name in filters for name in names)

    geo = "school" if wanted("school") else "district" if wanted("district") else "city"
    content = (
        "lesson"
        if wanted("lesson")
        else "series"
        if wanted("series")
        else "track"
        if wanted("track")
        else "all"
    )
    grain = rollups.grain_of(geo, content)
    grain_dims = rollups.grain_dims(grain)

    date_from, date_to = query.date_from, query.date_to
    period = "daily"
    final = False
    if query.campaign is not None:
        campaign = _campaign(query.campaign)
        starts, ends, final = campaign.starts_on, campaign.ends_on, campaign.report_final
        whole = date_from in (None, starts) and date_to in (None, ends)
        date_from = max(date_from or starts, starts)
        date_to = min(date_to or ends, ends)
        if whole and "day" not in by and campaign_table:
            period = "campaign"
    if date_from and date_to and date_from > date_to:
        raise QueryError("开始日期不能晚于结束日期")

    split = tuple(dim for dim in grain_dims if dim not in by)
    if period == "daily" and "day" not in by and not (date_from and date_from == date_to):
        split = ("day", *split)
    pinned = {dim for dim, values in filters.items() if len(values) == 1}
    # A finer dimension fixes the coarser ones above it (a lesson is in one series and track).
    for chain in (("lesson", "series", "track"),):
        for i, dim in enumerate(chain):
            if dim in by or dim in pinned:
                pinned.update(chain[i + 1 :])
    exact = all(dim in pinned for dim in split)

    return Plan(
        by=by,
        period=period,
        grain=grain,
        date_from=date_from,
        date_to=date_to,
        campaign_id=query.campaign if period == "campaign" else None,
        filters=filters,
        split=split,
        exact=exact,
        empty=any(not values for values in filters.values()),
        campaign_final=final and period == "campaign",
    )


class AnalyticsStore(ABC):
    name = "base"

    def is_unavailable(self, error: BaseException) -> bool:
        """True for errors meaning "cannot write now, try again later" (the spool keeps the
        beats and retries); anything else is a refused beat."""
        return isinstance(error, (OperationalError, InterfaceError))

    @abstractmethod
    def ingest(self, beats) -> int:
        """Merges validated beats (analytics.protocol.Beat) into plays; returns plays touched."""

    @abstractmethod
    def flush(self) -> int:
        """Applies pending rollups; returns the number of plays rolled up."""

    @abstractmethod
    def reach(self, query: ReachQuery, by=()) -> list[ReachRow]:
        """Reach rows grouped by `by`, sorted by key, from the rollups as they are (the
        scheduler rolls up every 30 s; `flush()` first if you need the last second)."""

    @abstractmethod
    def rolled_up_at(self):
        """When the rollups were last brought up to date (aware datetime), or None."""

    @abstractmethod
    def count_page_view(self, *, day, kind, district="", school_id=0, page_id=0, document_id=0):
        """Adds one page view or download."""

    @abstractmethod
    def page_views(self, query: ReachQuery, by=(), kind="page") -> list[PageViewRow]:
        """Page view or download counts grouped by day, district, school and/or page."""

    @abstractmethod
    def delete_plays_before(self, day) -> int:
        """Retention: deletes raw plays of days before `day` (rollups stay)."""

    @abstractmethod
    def forget_viewers(self, *, days=(), campaign_ids=()):
        """Deletes the viewer-uniqueness rows of closed days and campaigns."""


def retention_cutoff(today=None):
    """The first day whose raw plays are still kept."""
    from analytics import conf, privacy

    today = today or privacy.local_day(privacy.now())
    return today - timedelta(days=conf.get("ANALYTICS_RAW_RETENTION_DAYS"))


def sort_rows(rows):
    return sorted(rows, key=lambda row: row.key)
