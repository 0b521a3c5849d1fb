"""Unpublishing is immediate for city staff, never held for review, but it always says why: the
single-page unpublish (hooks in sunshine.roles.wagtail_hooks) and Wagtail's bulk action
"unpublish" both ask for a reason and write it to each page's history.

The bulk action here replaces Wagtail's UnpublishBulkAction under the same action_type: the
bulk-action registry keeps the last class registered for an action_type, and Wagtail registers
its own when wagtail.admin's hooks load, after ours (INSTALLED_APPS order), so ours is
registered with a later hook order.
"""

from django import forms
from django.contrib import messages
from wagtail.admin.views.pages.bulk_actions.page_bulk_action import DefaultPageForm
from wagtail.admin.views.pages.bulk_actions.unpublish import UnpublishBulkAction
from wagtail.log_actions import LogContext, log

from sunshine.roles.publishing import UNPUBLISH_REASON

REASON_FIELD = "unpublish_reason"
REASON_MAX_LENGTH = 500
MISSING_REASON = "请填写下线原因：下线会立即生效，原因会记入页面历史。"


def unpublish_with_reason(page, user, reason):
    """Unpublish one page of a bulk action and log why. Each page gets a log context (a log
    entry uuid) of its own: the history screens keep only the newest entry per uuid and
    action, so with the one uuid of the request every page but the last would lose both
    Wagtail's "unpublished" entry and the reason from its history."""
    with LogContext(user=user):
        page.unpublish(user=user)
        log_unpublish_reason(page, user, reason)


def log_unpublish_reason(page, user, reason):
    """The reason beside Wagtail's own "unpublished" entry in the page's and the site's history."""
    log(instance=page, action=UNPUBLISH_REASON, user=user, data={"reason": reason})


def clean_reason(value):
    return (value or "").strip()[:REASON_MAX_LENGTH]


class BulkUnpublishForm(DefaultPageForm):
    unpublish_reason = forms.CharField(
        label="下线原因",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="对所选的每个页面都会记入页面历史和站点历史。",
        error_messages={
            "required": MISSING_REASON,
            "max_length": f"下线原因最多 {REASON_MAX_LENGTH} 个字。",
        },
    )


class ReasonedUnpublishBulkAction(UnpublishBulkAction):
    form_class = BulkUnpublishForm
    template_name = "roles/admin/confirm_bulk_unpublish.html"

    def form_invalid(self, form):
        # The form is shown again with the error on the field; the message says it at the top.
        messages.error(self.request, MISSING_REASON)
        return super().form_invalid(form)

    def get_execution_context(self):
        return {
            **super().get_execution_context(),
            "reason": clean_reason(self.cleaned_form.cleaned_data[REASON_FIELD]),
        }

    @classmethod
    def execute_action(
        cls,
        objects,
        include_descendants=False,
        user=None,
        permission_checker=None,
        reason="",
        **kwargs,
    ):
        # Wagtail's own loop, except that sub-pages are unpublished as the same person (Wagtail
        # leaves their log entries without a user) and every page taken down gets the reason.
        num_parent_objects, num_child_objects = 0, 0
        for page in objects:
            unpublish_with_reason(page, user, reason)
            num_parent_objects += 1
            if not include_descendants:
                continue
            descendants = page.get_descendants().live().defer_streamfields().specific()
            for descendant in descendants.iterator():
                if user is None or permission_checker(descendant):
                    unpublish_with_reason(descendant, user, reason)
                    num_child_objects += 1
        return num_parent_objects, num_child_objects
