"""The 数据报表 menu: reach reports, QR posters, live-participation imports and API tokens.

Imported by analytics/wagtail_hooks.py (Wagtail only looks there).
"""

from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import LogFormatter

from analytics.live_import import LIVE_IMPORT_CONFIRMED
from analytics.models import ApiToken, HeldRange, LiveParticipationImport
from analytics.models.checks import HELD, RELEASED
from analytics.reports import admin_views, checks_admin
from analytics.reports.views import REPORT_VIEWS
from sunshine.roles.scope import can_view_reports


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_reports(request.user)


class ReportsViewSet(ViewSet):
    """A report screen without a model: shown in the menu to whoever the roles let see reports
    (the views themselves check the report permission and the district scope)."""

    menu_item_class = ReportMenuItem


class ReachReportViewSet(ReportsViewSet):
    """One reach report (by district, school, series, lesson or day): index + results."""

    icon = "table"

    def __init__(self, by, label):
        self.view_class = REPORT_VIEWS[by]
        super().__init__(name=f"reach-{by}", menu_label=label)

    def get_urlpatterns(self):
        namespace = self.url_namespace
        common = {
            "index_url_name": f"{namespace}:index",
            "index_results_url_name": f"{namespace}:results",
        }
        return [
            path("", self.view_class.as_view(**common), name="index"),
            path("results/", self.view_class.as_view(results_only=True, **common), name="results"),
        ]


class PosterViewSet(ReportsViewSet):
    name = "reach-posters"
    icon = "image"
    menu_label = "二维码海报"

    def get_urlpatterns(self):
        return [
            path("", admin_views.PosterListView.as_view(), name="index"),
            path(
                "<str:kind>/<str:code>.<str:fmt>",
                admin_views.PosterDownloadView.as_view(),
                name="download",
            ),
        ]


class LiveImportViewSet(ModelViewSet):
    """Imported live participation: upload a file, list the imports, see what a file left out,
    and delete an import (with all its rows) to undo it."""

    model = LiveParticipationImport
    name = "reach-live-import"
    icon = "upload"
    menu_label = "直播参与数据导入"
    add_item_label = "导入文件"
    index_view_class = admin_views.LiveImportIndexView
    add_view_class = admin_views.LiveImportCreateView
    inspect_view_class = admin_views.LiveImportInspectView
    delete_view_class = admin_views.LiveImportDeleteView
    inspect_view_enabled = True
    copy_view_enabled = False
    create_template_name = "analytics/reports/live_import.html"
    list_display = [
        "file_name",
        Column("scope_label", label="范围"),
        "uploaded_by",
        "uploaded_at",
        "rows_imported",
        "rows_rejected",
    ]
    inspect_view_fields = [
        "file_name",
        "scope_label",
        "uploaded_by",
        "uploaded_at",
        "rows_imported",
        "rows_rejected",
    ]
    ordering = "-uploaded_at"
    # An import is undone, not edited: no edit, history or usage screens.
    unused_views = ("edit", "history", "history_results", "usage")

    def get_form_class(self, for_update=False):
        return admin_views.LiveImportForm

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("edit", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [p for p in super().get_urlpatterns() if p.name not in self.unused_views]


class ApiTokenViewSet(ModelViewSet):
    model = ApiToken
    name = "reach-api-tokens"
    icon = "key"
    menu_label = "数据接口令牌"
    index_view_class = admin_views.ApiTokenIndexView
    add_view_class = admin_views.ApiTokenCreateView
    edit_view_class = admin_views.ApiTokenEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "name",
        Column("scope_label", label="数据范围"),
        Column("hint", label="令牌开头"),
        "created_at",
        "last_used_at",
        Column("status", label="状态", accessor=admin_views.token_status),
    ]
    ordering = "-created_at"

    def get_form_class(self, for_update=False):
        return admin_views.ApiTokenEditForm if for_update else admin_views.ApiTokenForm


class ChecksViewSet(ReportsViewSet):
    """数据核查: what cannot be true, for city and district staff (their own district)."""

    name = "reach-checks"
    icon = "warning"
    menu_label = "数据核查"

    def get_urlpatterns(self):
        common = {
            "index_url_name": f"{self.url_namespace}:index",
            "index_results_url_name": f"{self.url_namespace}:results",
        }
        view = checks_admin.ChecksReportView
        return [
            path("", view.as_view(**common), name="index"),
            path("results/", view.as_view(results_only=True, **common), name="results"),
        ]


class HeldRangeViewSet(ModelViewSet):
    """待核实 marks: city staff only (the model permissions are theirs alone). Added from a
    finding of 数据核查; released, never deleted."""

    model = HeldRange
    name = "reach-held"
    icon = "warning"
    menu_label = "待核实标记"
    add_item_label = "标记待核实"
    index_view_class = checks_admin.HeldRangeIndexView
    add_view_class = checks_admin.HeldRangeCreateView
    edit_view_class = checks_admin.HeldRangeReleaseView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "school",
        "date_from",
        "date_to",
        "reason",
        "marked_by",
        "marked_at",
        Column("status", label="状态"),
        "released_by",
        "release_reason",
    ]
    list_filter = []
    ordering = ["-marked_at"]
    unused_views = ("delete", "usage")

    def get_form_class(self, for_update=False):
        return checks_admin.ReleaseForm if for_update else checks_admin.HeldRangeForm

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("delete", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [p for p in super().get_urlpatterns() if p.name not in self.unused_views]


class ReportsGroup(ViewSetGroup):
    menu_label = "数据报表"
    menu_icon = "table"
    menu_order = 260
    items = (
        ReachReportViewSet("district", "各区县覆盖"),
        ReachReportViewSet("school", "各学校覆盖"),
        ReachReportViewSet("series", "系列课程覆盖"),
        ReachReportViewSet("lesson", "单课覆盖"),
        ReachReportViewSet("day", "每日趋势"),
        ChecksViewSet(),
        HeldRangeViewSet(),
        PosterViewSet(),
        LiveImportViewSet(),
        ApiTokenViewSet(),
    )


@hooks.register("register_admin_viewset")
def register_reports():
    return ReportsGroup()


class _ReasonFormatter(LogFormatter):
    prefix = ""

    def format_message(self, log_entry):
        data = log_entry.data or {}
        text = f"{self.prefix}原因：{data.get('reason', '')}"
        if data.get("lines"):
            text += f"（第 {'、'.join(map(str, data['lines']))} 行）"
        return text


@hooks.register("register_log_actions")
def register_plausibility_log_actions(actions):
    @actions.register_action(LIVE_IMPORT_CONFIRMED)
    class Confirmed(_ReasonFormatter):
        label = "确认超出上限的直播参与数据"
        prefix = "确认超出合理上限的行，"

    @actions.register_action(HELD)
    class Held(_ReasonFormatter):
        label = "标记待核实"
        prefix = "标记待核实，"

    @actions.register_action(RELEASED)
    class Released(_ReasonFormatter):
        label = "解除待核实"
        prefix = "解除待核实，"
