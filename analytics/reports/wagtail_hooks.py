"""The 数据报表 menu: reach reports, QR posters, live-participation import and API tokens.

Imported by analytics/wagtail_hooks.py (Wagtail only looks there).
"""

from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from analytics.models import ApiToken
from analytics.reports import admin_views
from analytics.reports.access import can_see_reports
from analytics.reports.views import REPORT_VIEWS


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, check, **kwargs):
        super().__init__(*args, **kwargs)
        self.check = check

    def is_shown(self, request):
        return self.check(request.user)


class ReachReportViewSet(ViewSet):
    """One reach report (by district, school, series, lesson or day): index + results."""

    icon = "table"

    def __init__(self, by, label):
        self.view_class = REPORT_VIEWS[by]
        super().__init__(name=f"reach-{by}", menu_label=label)

    def get_menu_item(self, order=None):
        return PermissionMenuItem(
            label=self.menu_label,
            url=self.menu_url,
            name=self.name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
            check=can_see_reports,
        )

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


class PosterViewSet(ViewSet):
    name = "reach-posters"
    icon = "image"
    menu_label = "二维码海报"

    def get_menu_item(self, order=None):
        return PermissionMenuItem(
            label=self.menu_label,
            url=self.menu_url,
            name=self.name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
            check=can_see_reports,
        )

    def get_urlpatterns(self):
        return [
            path("", admin_views.PosterListView.as_view(), name="index"),
            path(
                "<str:kind>/<str:code>.<str:fmt>",
                admin_views.PosterDownloadView.as_view(),
                name="download",
            ),
        ]


class LiveImportViewSet(ViewSet):
    name = "reach-live-import"
    icon = "upload"
    menu_label = "导入直播参与数据"

    def get_menu_item(self, order=None):
        return PermissionMenuItem(
            label=self.menu_label,
            url=self.menu_url,
            name=self.name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
            check=lambda user: (
                user.has_perm("analytics.add_liveparticipationimport") and can_see_reports(user)
            ),
        )

    def get_urlpatterns(self):
        return [path("", admin_views.LiveImportView.as_view(), name="index")]


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
        PosterViewSet(),
        LiveImportViewSet(),
        ApiTokenViewSet(),
    )


@hooks.register("register_admin_viewset")
def register_reports():
    return ReportsGroup()
