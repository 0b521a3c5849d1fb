"""The reach reports in the Wagtail admin (数据报表): Wagtail's ReportView with our filter set,
a chart each, and xlsx/CSV export of the suppressed figures."""

from collections import OrderedDict

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from wagtail.admin.views.reports import ReportView

from analytics.charts import bar_chart, line_chart
from analytics.reports.access import report_scope
from analytics.reports.data import build_report
from analytics.reports.filters import ReachFilterSet
from analytics.reports.params import ReportParamError, build_request
from analytics.reports.suppression import published
from sunshine.directory.models import District

BOM = "\ufeff"
MEASURE_HEADINGS = OrderedDict(
    [
        ("views", "人次"),
        ("viewers", "人数"),
        ("viewers_note", "人数说明"),
        ("watch_hours", "观看时长（小时）"),
        ("completions", "完成人次"),
        ("completion_rate", "完成率（%）"),
    ]
)
OFFLINE_HEADINGS = OrderedDict(
    [
        ("class_meetings", "班会场次"),
        ("class_meeting_students", "班会参加学生数"),
        ("live_participants", "直播参与人次（导入数据）"),
    ]
)
KEY_HEADINGS = {
    "district": [("label", "区县"), ("code", "行政区划代码")],
    "school": [("label", "学校"), ("code", "学校代码"), ("group", "所属区县")],
    "series": [("label", "系列课程")],
    "lesson": [("label", "课程"), ("group", "所属系列")],
    "day": [("label", "日期")],
}


class BomCsvMixin:
    """Wagtail's CSV export, preceded by a UTF-8 byte order mark so that Excel on Windows reads
    the Chinese headings as UTF-8 rather than the local code page."""

    def stream_csv(self, queryset):
        yield BOM.encode("utf-8")
        yield from super().stream_csv(queryset)


class ReachReportView(BomCsvMixin, ReportView):
    by = "district"
    page_title = "各区县覆盖"
    header_icon = "table"
    template_name = "analytics/reports/reach_report.html"
    results_template_name = "analytics/reports/reach_results.html"
    filterset_class = ReachFilterSet
    paginate_by = None

    def dispatch(self, request, *args, **kwargs):
        # report_scope raises PermissionDenied (403) for teachers, editors and anyone else.
        self.scope = report_scope(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_filterset_kwargs(self):
        return {
            **super().get_filterset_kwargs(),
            "queryset": District.objects.none(),
            "scope": self.scope,
            "with_series": self.by == "lesson",
        }

    @cached_property
    def report_request(self):
        values = {}
        if self.filters is not None:
            self.filters.is_valid()
            # Invalid fields (another district's code, say) are simply absent here, so the
            # request falls back to the officer's own district.
            values = dict(self.filters.form.cleaned_data)
        period = values.pop("period", None)
        try:
            return build_request(
                by=self.by,
                date_from=period.start if period else None,
                date_to=period.stop if period else None,
                scope=self.scope,
                **{name: value for name, value in values.items() if value},
            )
        except (ReportParamError, PermissionDenied) as error:
            messages.error(self.request, getattr(error, "message", str(error)))
            return build_request(by=self.by, scope=self.scope)

    @cached_property
    def report(self):
        return build_report(self.report_request)

    def get_queryset(self):
        return self.report.all_rows

    def filter_queryset(self, queryset):
        return queryset

    @property
    def list_export(self):
        fields = [name for name, _ in KEY_HEADINGS[self.by]] + list(MEASURE_HEADINGS)
        if self.report.with_offline:
            fields += list(OFFLINE_HEADINGS)
        return fields

    @property
    def export_headings(self):
        return {**dict(KEY_HEADINGS[self.by]), **MEASURE_HEADINGS, **OFFLINE_HEADINGS}

    def to_row_dict(self, item):
        values = OrderedDict()
        for field in self.list_export:
            value = published(item, field)
            values[field] = "" if value is None else value
        return values

    def get_filename(self):
        request = self.report_request
        return f"reach-{self.by}-{request.date_from:%Y%m%d}-{request.date_to:%Y%m%d}"

    def chart(self):
        rows = self.report.rows
        if self.by == "day":
            return line_chart(
                [(row.key, row.views) for row in rows], f"每日{self.page_title}（人次）"
            )
        return bar_chart([(row.label, row.views) for row in rows], f"{self.page_title}（人次）")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context.update(
            report=self.report,
            chart=self.chart(),
            description=self.report_request.describe(),
            key_headings=KEY_HEADINGS[self.by],
        )
        return context


class DistrictReachView(ReachReportView):
    by = "district"
    page_title = "各区县覆盖"


class SchoolReachView(ReachReportView):
    by = "school"
    page_title = "各学校覆盖"


class SeriesReachView(ReachReportView):
    by = "series"
    page_title = "系列课程覆盖"


class LessonReachView(ReachReportView):
    by = "lesson"
    page_title = "单课覆盖"


class DailyReachView(ReachReportView):
    by = "day"
    page_title = "每日趋势"


REPORT_VIEWS = {
    "district": DistrictReachView,
    "school": SchoolReachView,
    "series": SeriesReachView,
    "lesson": LessonReachView,
    "day": DailyReachView,
}
