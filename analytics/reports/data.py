"""Report rows: reach from the analytics store, zero-filled and labelled, with class meetings and
imported live participation beside it. A constant number of queries whatever the number of rows.
"""

import datetime
from dataclasses import dataclass, field, replace

from django.db.models import Count, Sum
from wagtail.models import Page

from analytics.models import ClassMeeting, LiveParticipation
from analytics.reports.holds import held_figures, holds_for, reach_without_holds
from analytics.reports.params import BY_CHOICES, ReportRequest
from analytics.reports.suppression import apply_suppression, hidden_keys, is_small
from courses.models import CourseSeriesPage, LessonPage
from sunshine.directory.models import District, School

UNKNOWN = "未知"
UNKNOWN_SCHOOL = "未知学校（只知道区县）"
UNKNOWN_PLACE = "未知区县和学校"
NOT_IN_SERIES = "不属于系列课（讲座、直播回放）"
# Reports that show class meetings and imported live participation beside online reach.
WITH_OFFLINE = {"district", "school", "day"}
# What each report asks the store for.
STORE_BY = {
    "district": ("district",),
    "school": ("district", "school"),
    "series": ("series",),
    "lesson": ("series", "lesson"),
    "day": ("day",),
}
# Reports whose rows fall into groups that another report publishes as one row each.
PARENT = {"school": "district", "lesson": "series"}
PARENT_FILTER = {"district": "districts", "series": "series"}


@dataclass
class ReportRow:
    key: object
    label: str
    code: str = ""
    group: str = ""
    views: int = 0
    viewers: int = 0
    # A lower bound of distinct viewers (equal to `viewers` when exact): what suppression uses.
    viewers_floor: int = 0
    exact: bool = True
    watch_seconds: int = 0
    completions: int = 0
    class_meetings: int | None = None
    class_meeting_students: int | None = None
    live_participants: int | None = None
    is_total: bool = False
    # A 待核实 range shown apart (analytics.reports.holds): not part of the rows or the total.
    is_held: bool = False
    # The group whose subtotal another report publishes (district of a school, series of a
    # lesson); None in reports without groups.
    group_key: object = None
    # "" shown; "small": under 5 viewers; "merged": hidden so a small cell can't be worked out.
    suppressed: str = ""

    @property
    def dom_key(self):
        """The row's key as text (data-key in the admin table)."""
        if self.is_total:
            return "total"
        if self.is_held:
            return f"held-{self.key[1]}"
        parts = self.key if isinstance(self.key, tuple) else (self.key,)
        return "-".join(
            part.isoformat() if hasattr(part, "isoformat") else str(part) for part in parts
        )

    @property
    def watch_hours(self):
        return round(self.watch_seconds / 3600, 1)

    @property
    def completion_rate(self):
        """Completions per view, in percent (None when there were no views)."""
        return round(100 * self.completions / self.views, 1) if self.views else None

    @property
    def viewers_display(self):
        return f"≈{self.viewers:,}" if not self.exact and self.viewers else f"{self.viewers:,}"

    @property
    def viewers_note(self):
        return "" if self.exact or not self.viewers else "按日累计，跨天未去重"

    @property
    def completion_rate_display(self):
        rate = self.completion_rate
        return "—" if rate is None else f"{rate}%"


@dataclass
class Report:
    request: ReportRequest
    rows: list = field(default_factory=list)
    total: ReportRow | None = None
    with_offline: bool = False
    # When the store last rolled up new plays (reports read the rollups as they are).
    updated_at: datetime.datetime | None = None
    # 待核实: the held school × day ranges, one row each, not in the rows or the total.
    held: list = field(default_factory=list)

    @property
    def label_heading(self):
        return BY_CHOICES[self.request.by]

    @property
    def all_rows(self):
        """What the page and the files list: the rows, the total, then the held ranges apart."""
        return [*self.rows, self.total, *self.held]


def build_report(request: ReportRequest, store=None) -> Report:
    from analytics.stores import get_store

    store = store or get_store()
    query = request.store_query()
    by = STORE_BY[request.by]
    holds = holds_for(query, request.district)
    measured = {_key(row.key): row for row in reach_without_holds(store, query, by, holds)}
    total_rows = reach_without_holds(store, query, (), holds)
    rows = _skeleton(request, measured)
    for row in rows:
        found = measured.get(row.key)
        if found is not None:
            _fill(row, found)
    total = ReportRow(key=None, label="合计", is_total=True)
    if total_rows:
        _fill(total, total_rows[0])
    report = Report(request=request, rows=rows, total=total, updated_at=store.rolled_up_at())
    if request.by in WITH_OFFLINE:
        _add_offline(report)
    apply_suppression(report.rows, report.total, _hidden_above(request, query, store))
    report.held = _held_rows(store, holds)
    return report


def _held_rows(store, holds):
    rows = []
    for hold in holds:
        row = ReportRow(
            key=("held", hold.mark.pk),
            label=hold.label,
            code=hold.mark.school.code,
            group=hold.mark.school.district.name,
            is_held=True,
        )
        found = held_figures(store, hold)
        if found is not None:
            _fill(row, found)
        rows.append(row)
    # Each held range is a cell of its own: the small-cell rule applies to it alone.
    for row in rows:
        row.suppressed = "small" if is_small(row.viewers_floor) else ""
    return rows


def _key(key):
    return key if len(key) > 1 else key[0]


def _floor(found):
    """The lower bound of distinct viewers that suppression tests (the store's `viewers_floor`).
    A row with views but no known viewers (plays whose day salt was already gone when they were
    rolled up count views only) still describes somebody: it counts as possibly small."""
    floor = found.viewers if found.exact else found.viewers_floor
    return floor or (1 if found.views or found.viewers else 0)


def _fill(row, found):
    row.views = found.views
    row.viewers = found.viewers
    row.viewers_floor = _floor(found)
    row.exact = found.exact
    row.watch_seconds = found.watch_seconds
    row.completions = found.completions


def _hidden_above(request, query, store):
    """The groups (districts, series) whose own row the report one level up hides, as the city
    sees that report: the reader of one district may be compared with the city's export."""
    parent = PARENT.get(request.by)
    if parent is None:
        return None
    wider = replace(query, **{PARENT_FILTER[parent]: ()})
    rows = []
    for found in reach_without_holds(store, wider, (parent,), holds_for(wider)):
        row = ReportRow(key=found.key[0], label="")
        _fill(row, found)
        rows.append(row)
    apply_suppression(rows, ReportRow(key=None, label=""))
    return hidden_keys(rows)


def _skeleton(request, measured):
    return {
        "district": _district_rows,
        "school": _school_rows,
        "series": _series_rows,
        "lesson": _lesson_rows,
        "day": _day_rows,
    }[request.by](request, measured)


def _districts(request):
    return [request.district] if request.district is not None else list(District.objects.all())


def _district_rows(request, measured):
    rows = [ReportRow(key=d.code, label=d.name, code=d.code) for d in _districts(request)]
    if request.district is None:
        rows.append(ReportRow(key="", label=UNKNOWN))
    known = {row.key for row in rows}
    # Plays recorded under a district code that has since left the directory still count.
    rows += [
        ReportRow(key=code, label=f"（已撤销的区县 {code}）", code=code)
        for code in sorted(measured)
        if code not in known
    ]
    return rows


def _school_rows(request, measured):
    """Each district's schools, then its 未知学校 row (district known, school not): together they
    add up to the district's row in the district report, which is why they form one group."""
    districts = _districts(request)
    names = {d.code: d.name for d in districts}
    schools = School.objects.select_related("district").order_by("code")
    if request.district is not None:
        schools = schools.filter(district=request.district)
    rows = {}
    for s in schools:
        code = s.district.code
        rows[(code, s.pk)] = ReportRow(
            key=(code, s.pk), label=s.name, code=s.code, group=s.district.name, group_key=code
        )
    for d in districts:
        rows[(d.code, 0)] = ReportRow(
            key=(d.code, 0), label=UNKNOWN_SCHOOL, group=d.name, group_key=d.code
        )
    if request.district is None:
        rows[("", 0)] = ReportRow(key=("", 0), label=UNKNOWN_PLACE, group=UNKNOWN, group_key="")
    # A school counts where it was when the play happened: one that has since moved district
    # (or been removed) still shows its numbers in its old district's group.
    stray = [key for key in measured if key not in rows]
    if stray:
        found = School.objects.filter(pk__in=[pk for _, pk in stray]).values_list(
            "pk", "name", "code"
        )
        known = {pk: (name, code) for pk, name, code in found}
        for code, pk in stray:
            name, school_code = known.get(pk, (f"（已删除的学校 {pk}）", ""))
            rows[(code, pk)] = ReportRow(
                key=(code, pk),
                label=name if pk else UNKNOWN_SCHOOL,
                code=school_code,
                group=names.get(code, code or UNKNOWN),
                group_key=code,
            )
    order = {d.code: index for index, d in enumerate(districts)}
    return sorted(
        rows.values(),
        key=lambda row: (
            order.get(row.group_key, len(order) + (0 if row.group_key else 1)),
            row.group_key,
            row.key[1] == 0,
            row.code,
            row.key[1],
        ),
    )


def _filtered_series(request):
    """The live series the report's track, grade and series filters select."""
    series = CourseSeriesPage.objects.live()
    if request.track:
        series = series.filter(track=request.track)
    if request.grade_band:
        series = series.filter(grade_bands=request.grade_band)
    if request.series:
        series = series.filter(pk=request.series.pk)
    return series


def _series_rows(request, measured):
    titles = dict(_filtered_series(request).order_by("path").values_list("pk", "title"))
    missing = [key for key in measured if key not in titles and key != 0]
    titles.update(Page.objects.filter(pk__in=missing).values_list("pk", "title"))
    rows = [ReportRow(key=pk, label=title) for pk, title in titles.items()]
    rows += [
        ReportRow(key=pk, label=f"（已删除的系列 {pk}）") for pk in missing if pk not in titles
    ]
    if 0 in measured:
        rows.append(ReportRow(key=0, label=NOT_IN_SERIES))
    return rows


def _lesson_rows(request, measured):
    series = _filtered_series(request)
    by_path = {path: (pk, title) for pk, path, title in series.values_list("pk", "path", "title")}
    rows = {}
    steplen = Page.steplen
    # Lessons are children of series: their parent's path is their own minus one step.
    lessons = LessonPage.objects.live().order_by("path").values_list("pk", "path", "title")
    for pk, path, title in lessons:
        parent = by_path.get(path[:-steplen])
        if parent is not None:
            rows[(parent[0], pk)] = ReportRow(
                key=(parent[0], pk), label=title, group=parent[1], group_key=parent[0]
            )
    missing = [key for key in measured if key not in rows]
    if missing:
        ids = {pk for key in missing for pk in key if pk}
        titles = dict(Page.objects.filter(pk__in=ids).values_list("pk", "title"))
        for series_id, lesson_id in missing:
            rows[(series_id, lesson_id)] = ReportRow(
                key=(series_id, lesson_id),
                label=titles.get(lesson_id, f"（已删除的内容 {lesson_id}）"),
                group=titles.get(series_id, NOT_IN_SERIES if not series_id else ""),
                group_key=series_id,
            )
    return list(rows.values())


def _day_rows(request, measured):
    return [
        ReportRow(key=day, label=day.isoformat())
        for day in (
            request.date_from + datetime.timedelta(days=offset) for offset in range(request.days)
        )
    ]


def _offline_key(values, fields):
    key = tuple(values[name] or 0 if name == "school_id" else values[name] for name in fields)
    return _key(key)


def _add_offline(report):
    """Class meetings (recorded by teachers) and live participation (imported) beside reach."""
    request = report.request
    fields = {
        "district": ("district__code",),
        "school": ("district__code", "school_id"),
        "day": ("held_on",),
    }[request.by]
    meetings = ClassMeeting.objects.filter(held_on__range=(request.date_from, request.date_to))
    live = LiveParticipation.objects.filter(held_on__range=(request.date_from, request.date_to))
    if request.district is not None:
        meetings = meetings.filter(district=request.district)
        live = live.filter(district=request.district)
    meeting_counts = {
        _offline_key(row, fields): row
        for row in meetings.values(*fields).annotate(n=Count("pk"), students=Sum("students"))
    }
    # Live rows without a school belong to the district as a whole: its 未知学校 row.
    live_counts = {
        _offline_key(row, fields): row["n"]
        for row in live.values(*fields).annotate(n=Sum("participants"))
    }
    for row in report.rows:
        found = meeting_counts.get(row.key)
        row.class_meetings = found["n"] if found else 0
        row.class_meeting_students = found["students"] if found else 0
        row.live_participants = live_counts.get(row.key, 0)
    report.total.class_meetings = sum(r["n"] for r in meeting_counts.values())
    report.total.class_meeting_students = sum(r["students"] for r in meeting_counts.values())
    report.total.live_participants = sum(live_counts.values())
    report.with_offline = True
