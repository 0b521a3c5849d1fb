"""The reach reports in the Wagtail admin (数据报表): Wagtail's ReportView with our filter set,
a chart each, and xlsx/CSV export of the suppressed figures (analytics.reports.exports)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from wagtail.admin.views.reports import ReportView

from analytics.charts import bar_chart, line_chart
from analytics.reports.access import report_scope
from analytics.reports.data import build_report
from analytics.reports.exports import KEY_HEADINGS, ReachSpreadsheetMixin
from analytics.reports.filters import ReachFilterSet
from analytics.reports.params import ReportParamError, build_request
from analytics.reports.suppression import HELP_TEXT
from sunshine.directory.models import District


class ReachReportView(ReachSpreadsheetMixin, ReportView):
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

    def chart(self):
        rows = self.report.rows
        if self.by == "day":
            # The page title already says 每日 (每日趋势).
            return line_chart([(row.key, row.views) for row in rows], f"{self.page_title}（人次）")
        return bar_chart(
            [(self.chart_label(row), row.views) for row in rows], f"{self.page_title}（人次）"
        )

    def chart_label(self, row):
        # Every district has its own 未知学校 row: name the district on those bars.
        if self.by == "school" and row.key[1] == 0:
            return f"{row.group}·未知学校"
        return row.label

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context.update(
            report=self.report,
            chart=self.chart(),
            description=self.report_request.describe(),
            key_headings=KEY_HEADINGS[self.by],
            suppression_help=HELP_TEXT,
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
