"""Report rows: reach from the analytics store, zero-filled and labelled, with class meetings and
imported live participation beside it. A constant number of queries whatever the number of rows.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from wagtail.models import Page

from analytics.models import ClassMeeting, LiveParticipation
from analytics.reports.params import BY_CHOICES, ReportRequest
from analytics.reports.suppression import apply_suppression
from courses.models import CourseSeriesPage, LessonPage
from sunshine.directory.models import District, School

UNKNOWN = "未知"
UNKNOWN_SCHOOL = "未知学校（只知道区县或都不知道）"
NOT_IN_SERIES = "不属于系列课（讲座、直播回放）"
# Reports that show class meetings and imported live participation beside online reach.
WITH_OFFLINE = {"district", "school", "day"}


@dataclass
class ReportRow:
    key: object
    label: str
    code: str = ""
    group: str = ""
    views: int = 0
    viewers: int = 0
    exact: bool = True
    watch_seconds: int = 0
    completions: int = 0
    class_meetings: int | None = None
    class_meeting_students: int | None = None
    live_participants: int | None = None
    is_total: bool = False
    # "" shown; "small": under 5 viewers; "merged": hidden so a small cell can't be worked out.
    suppressed: str = ""

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

    @property
    def label_heading(self):
        return BY_CHOICES[self.request.by]

    @property
    def all_rows(self):
        return [*self.rows, self.total]


def build_report(request: ReportRequest, store=None) -> Report:
    from analytics.stores import get_store

    store = store or get_store()
    query = request.store_query()
    by = ("series", "lesson") if request.by == "lesson" else (request.by,)
    measured = {row.key if len(by) > 1 else row.key[0]: row for row in store.reach(query, by=by)}
    total_rows = store.reach(query, by=())
    rows = _skeleton(request, measured)
    for row in rows:
        found = measured.get(row.key)
        if found is not None:
            _fill(row, found)
    total = ReportRow(key=None, label="合计", is_total=True)
    if total_rows:
        _fill(total, total_rows[0])
    report = Report(request=request, rows=rows, total=total)
    if request.by in WITH_OFFLINE:
        _add_offline(report)
    apply_suppression(report.rows, report.total)
    return report


def _fill(row, found):
    row.views = found.views
    row.viewers = found.viewers
    row.exact = found.exact
    row.watch_seconds = found.watch_seconds
    row.completions = found.completions


def _skeleton(request, measured):
    return {
        "district": _district_rows,
        "school": _school_rows,
        "series": _series_rows,
        "lesson": _lesson_rows,
        "day": _day_rows,
    }[request.by](request, measured)


def _district_rows(request, measured):
    if request.district is not None:
        return [
            ReportRow(
                key=request.district.code, label=request.district.name, code=request.district.code
            )
        ]
    rows = [ReportRow(key=d.code, label=d.name, code=d.code) for d in District.objects.all()]
    rows.append(ReportRow(key="", label=UNKNOWN))
    return rows


def _school_rows(request, measured):
    schools = School.objects.select_related("district").order_by("district__code", "code")
    if request.district is not None:
        schools = schools.filter(district=request.district)
    rows = [ReportRow(key=s.pk, label=s.name, code=s.code, group=s.district.name) for s in schools]
    known = {row.key for row in rows}
    # A school that has since moved district (or a removed one) still shows its numbers.
    stray = [key for key in measured if key not in known and key != 0]
    if stray:
        for s in School.objects.select_related("district").filter(pk__in=stray):
            rows.append(ReportRow(key=s.pk, label=s.name, code=s.code, group=s.district.name))
    rows.append(
        ReportRow(
            key=0, label=UNKNOWN_SCHOOL, group=request.district.name if request.district else ""
        )
    )
    return rows


def _series_rows(request, measured):
    series = CourseSeriesPage.objects.live().order_by("path")
    if request.track:
        series = series.filter(track=request.track)
    if request.grade_band:
        series = series.filter(grade_bands=request.grade_band)
    if request.series:
        series = series.filter(pk=request.series.pk)
    titles = dict(series.values_list("pk", "title"))
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
    series = CourseSeriesPage.objects.live()
    if request.track:
        series = series.filter(track=request.track)
    if request.grade_band:
        series = series.filter(grade_bands=request.grade_band)
    if request.series:
        series = series.filter(pk=request.series.pk)
    by_path = {path: (pk, title) for pk, path, title in series.values_list("pk", "path", "title")}
    rows = {}
    steplen = Page.steplen
    # Lessons are children of series: their parent's path is their own minus one step.
    lessons = LessonPage.objects.live().order_by("path").values_list("pk", "path", "title")
    for pk, path, title in lessons:
        parent = by_path.get(path[:-steplen])
        if parent is not None:
            rows[(parent[0], pk)] = ReportRow(key=(parent[0], pk), label=title, group=parent[1])
    missing = [key for key in measured if key not in rows]
    if missing:
        ids = {pk for key in missing for pk in key if pk}
        titles = dict(Page.objects.filter(pk__in=ids).values_list("pk", "title"))
        for series_id, lesson_id in missing:
            rows[(series_id, lesson_id)] = ReportRow(
                key=(series_id, lesson_id),
                label=titles.get(lesson_id, f"（已删除的内容 {lesson_id}）"),
                group=titles.get(series_id, NOT_IN_SERIES if not series_id else ""),
            )
    return list(rows.values())


def _day_rows(request, measured):
    return [
        ReportRow(key=day, label=day.isoformat())
        for day in (
            request.date_from + datetime.timedelta(days=offset) for offset in range(request.days)
        )
    ]


def _add_offline(report):
    """Class meetings (recorded by teachers) and live participation (imported) beside reach."""
    request = report.request
    group = {"district": "district__code", "school": "school_id", "day": "held_on"}[request.by]
    meetings = ClassMeeting.objects.filter(held_on__range=(request.date_from, request.date_to))
    live = LiveParticipation.objects.filter(held_on__range=(request.date_from, request.date_to))
    if request.district is not None:
        meetings = meetings.filter(district=request.district)
        live = live.filter(district=request.district)
    meeting_counts = {
        row[group]: row
        for row in meetings.values(group).annotate(n=Count("pk"), students=Sum("students"))
    }
    live_counts = {
        row[group]: row["n"] for row in live.values(group).annotate(n=Sum("participants"))
    }
    # Live rows without a school belong to the district as a whole: the "unknown school" row.
    if request.by == "school" and None in live_counts:
        live_counts[0] = live_counts.pop(None)
    for row in report.rows:
        found = meeting_counts.get(row.key)
        row.class_meetings = found["n"] if found else 0
        row.class_meeting_students = found["students"] if found else 0
        row.live_participants = live_counts.get(row.key, 0)
    report.total.class_meetings = sum(r["n"] for r in meeting_counts.values())
    report.total.class_meeting_students = sum(r["students"] for r in meeting_counts.values())
    report.total.live_participants = sum(live_counts.values())
    report.with_offline = True
