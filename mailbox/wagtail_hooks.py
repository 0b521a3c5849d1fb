"""The 心灵信箱 in the Wagtail admin: the counsellors' queue and letters, the statistics (city and
district staff), the read log (the bureau), the duty roster, school contacts and canned replies
(city staff), and the dashboard badge of 紧急 letters waiting in a counsellor's queues."""

from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from sunshine_mailbox import admin_views, routing
from sunshine_mailbox.models import CannedReply, CounsellingContact, DutyCounsellor, Status
from sunshine_mailbox.roles import READ_LOG, STATISTICS


class CounsellorMenuItem(MenuItem):
    def is_shown(self, request):
        return routing.is_counsellor(request.user)


class PermissionMenuItem(MenuItem):
    permission = None

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


class StatisticsMenuItem(PermissionMenuItem):
    permission = STATISTICS


class ReadLogMenuItem(PermissionMenuItem):
    permission = READ_LOG


class QueueViewSet(ViewSet):
    name = "mailbox_admin"
    url_prefix = "mailbox"
    icon = "mail"
    menu_label = "来信队列"
    menu_item_class = CounsellorMenuItem

    def get_urlpatterns(self):
        return [
            path("", admin_views.QueueView.as_view(), name="index"),
            path("<int:pk>/", admin_views.LetterView.as_view(), name="letter"),
        ]


class ReportViewSet(ViewSet):
    view_class = None

    def get_urlpatterns(self):
        common = {
            "index_url_name": f"{self.url_namespace}:index",
            "index_results_url_name": f"{self.url_namespace}:results",
        }
        return [
            path("", self.view_class.as_view(**common), name="index"),
            path("results/", self.view_class.as_view(results_only=True, **common), name="results"),
        ]


class StatisticsViewSet(ReportViewSet):
    name = "mailbox_statistics"
    url_prefix = "mailbox-statistics"
    icon = "table"
    menu_label = "信箱统计"
    menu_item_class = StatisticsMenuItem
    view_class = admin_views.StatisticsView


class ReadLogViewSet(ReportViewSet):
    name = "mailbox_read_log"
    url_prefix = "mailbox-read-log"
    icon = "history"
    menu_label = "阅信记录"
    menu_item_class = ReadLogMenuItem
    view_class = admin_views.ReadLogView


class DutyCounsellorViewSet(ModelViewSet):
    model = DutyCounsellor
    icon = "user"
    menu_label = "值班心理教师"
    form_fields = ["district", "counsellor", "email"]
    list_display = ["district", "counsellor", "email"]
    copy_view_enabled = False


class CounsellingContactViewSet(ModelViewSet):
    model = CounsellingContact
    icon = "doc-full"
    menu_label = "学校心理辅导联系方式"
    form_fields = ["school", "contact"]
    list_display = ["school", "contact"]
    copy_view_enabled = False


class CannedReplyViewSet(ModelViewSet):
    model = CannedReply
    icon = "openquote"
    menu_label = "常用回复"
    form_fields = ["title", "body", "for_writer"]
    list_display = ["title", "for_writer"]


class MailboxGroup(ViewSetGroup):
    menu_label = "心灵信箱"
    menu_icon = "mail"
    menu_order = 250
    items = (
        QueueViewSet,
        StatisticsViewSet,
        ReadLogViewSet,
        DutyCounsellorViewSet,
        CounsellingContactViewSet,
        CannedReplyViewSet,
    )


@hooks.register("register_admin_viewset")
def register_mailbox():
    return MailboxGroup()


class UrgentLettersPanel(Component):
    """The badge on the dashboard: 紧急 and overdue letters waiting in my queues."""

    name = "mailbox_urgent"
    order = 10
    template_name = "mailbox/admin/dashboard_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        waiting = routing.letters_for(self.user).filter(status__in=[Status.NEW, Status.READ])
        return {
            "urgent": waiting.filter(urgent=True).count(),
            "overdue": waiting.filter(due_at__lt=timezone.now()).count(),
            "waiting": waiting.count(),
            "queue_url": reverse("mailbox_admin:index"),
        }


@hooks.register("construct_homepage_panels")
def add_urgent_panel(request, panels):
    if routing.is_counsellor(request.user):
        panels.insert(0, UrgentLettersPanel(request.user))


@hooks.register("insert_global_admin_css")
def mailbox_admin_css():
    # The queue, the letters and the dashboard badge are styled by classes (the admin's CSP).
    return format_html('<link rel="stylesheet" href="{}">', static("mailbox/admin.css"))
