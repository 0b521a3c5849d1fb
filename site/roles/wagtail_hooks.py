"""Admin pieces of the publishing rule (sunshine.roles.publishing): the log actions it writes,
the dashboard panel of break-glass publishes, and the reason asked for every unpublish; and the
login lockouts city staff can lift (sunshine.roles.throttle)."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import LogFormatter

from sunshine.roles.publishing import BREAK_GLASS, UNPUBLISH_REASON, recent_break_glass
from sunshine.roles.scope import is_city_staff
from sunshine.roles.unpublish import (
    MISSING_REASON,
    REASON_FIELD,
    ReasonedUnpublishBulkAction,
    clean_reason,
    log_unpublish_reason,
)


class UnpublishReasonFormatter(LogFormatter):
    label = "下线原因"

    def format_message(self, log_entry):
        return f"下线原因：{log_entry.data.get('reason', '')}"


@hooks.register("register_log_actions")
def register_review_log_actions(actions):
    actions.register_action(BREAK_GLASS, "未经审核直接发布（紧急）", "未经审核直接发布（紧急）")
    actions.register_action(UNPUBLISH_REASON)(UnpublishReasonFormatter)


class BreakGlassPanel(Component):
    """Shown to superusers and city staff: every publish that did not pass the four steps."""

    template_name = "roles/admin/break_glass_panel.html"
    order = 105  # above Wagtail's own panels

    def __init__(self, entries):
        self.entries = entries

    def get_context_data(self, parent_context):
        return {"entries": self.entries}


@hooks.register("construct_homepage_panels")
def add_break_glass_panel(request, panels):
    if not is_city_staff(request.user):
        return
    entries = list(recent_break_glass())
    if entries:
        panels.append(BreakGlassPanel(entries))


@hooks.register("before_unpublish_page")
def require_unpublish_reason(request, page):
    """Unpublishing is immediate, never held for review, but it says why."""
    reason = clean_reason(request.POST.get(REASON_FIELD))
    if not reason:
        messages.error(request, MISSING_REASON)
        return redirect(request.get_full_path())
    request.sunshine_unpublish_reason = reason
    return None


@hooks.register("after_unpublish_page")
def log_single_unpublish_reason(request, page):
    log_unpublish_reason(page, request.user, getattr(request, "sunshine_unpublish_reason", ""))


# After Wagtail's own UnpublishBulkAction (order 0), so that the registry keeps this one.
hooks.register("register_bulk_action", ReasonedUnpublishBulkAction, order=100)


class UnlockView(generic.DeleteView):
    """Deleting an account's failed attempts is what unlocks it (axes_reset does the same)."""

    page_title = "解除登录锁定"
    success_message = "已解除“%(object)s”的登录锁定。"

    def get_page_subtitle(self):
        return self.object.username


class LoginLockoutViewSet(ModelViewSet):
    """Accounts that failed to log in recently; city staff unlock them here. Addresses are
    pseudonyms and are not shown (sunshine.roles.throttle)."""

    model = AccessAttempt
    name = "login-lockouts"
    icon = "lock"
    menu_label = "登录锁定"
    menu_order = 900
    add_to_admin_menu = True
    delete_view_class = UnlockView
    list_display = [
        Column("username", label="用户名/工号"),
        Column("failures_since_start", label="连续失败次数"),
        Column("locked", label="已锁定", accessor=lambda attempt: _locked(attempt)),
        Column("attempt_time", label="最近一次失败"),
    ]
    list_filter = []
    search_fields = ["username"]
    search_backend_name = None
    form_fields = ["username"]
    ordering = ["-attempt_time"]
    copy_view_enabled = False
    inspect_view_enabled = False


def _locked(attempt):
    return "是" if attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT else "否"


@hooks.register("register_admin_viewset")
def register_login_lockouts():
    return LoginLockoutViewSet()
