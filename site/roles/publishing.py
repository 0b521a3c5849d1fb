"""Only the review workflow publishes; the superuser's direct publish is a logged break-glass.

Wagtail asks one object whether a person may publish a page, its PagePermissionTester: the edit
form's publish button, bulk publish, revert-and-publish, copy with publish, moves, the admin
API and scheduling all ask it. Every page type of the site uses `ReviewedPagePermissionTester`
(through sunshine.pages.SharePageMixin), which says no to everyone but the superuser. The
workflow's last approval publishes through sunshine.roles.workflow_finish, Wagtail's
WAGTAIL_FINISH_WORKFLOW_ACTION, without asking the tester: the four approvals are the
permission. City staff keep Wagtail's "publish" page permission for what it also grants and
must stay immediate: unpublishing and taking back a scheduled go-live.
"""

import logging

from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.log_actions import log
from wagtail.models import PageLogEntry, WorkflowState
from wagtail.models.pages import PagePermissionTester

logger = logging.getLogger(__name__)

BREAK_GLASS = "sunshine.publish_without_review"
UNPUBLISH_REASON = "sunshine.unpublish_reason"
# Wagtail's log actions for a revision going live now or being scheduled to go live.
_PUBLISH_ACTIONS = {"wagtail.publish", "wagtail.publish.schedule"}


class ReviewedPagePermissionTester(PagePermissionTester):
    def can_publish(self):
        return self.user.is_superuser and super().can_publish()

    def can_publish_subpage(self):
        # Creating or copying a page "and publishing it" in one go.
        return self.user.is_superuser and super().can_publish_subpage()

    def can_unschedule(self):
        # Taking back a scheduled go-live is a safety action, like unpublishing.
        if not self.user.is_active:
            return False
        return self.user.is_superuser or "publish" in self.permissions

    def can_move_to(self, destination):
        # A live page (or one with live pages under it) moved is published at its new place.
        if not self.user.is_superuser and (
            self.page.live or self.page.get_descendants().live().exists()
        ):
            return False
        return super().can_move_to(destination)


def passed_review(revision):
    """True if `revision` is the one a finished workflow approved at every step."""
    if revision is None:
        return False
    return WorkflowState.objects.filter(
        status=WorkflowState.STATUS_APPROVED, current_task_state__revision=revision
    ).exists()


def may_go_live_on_schedule(revision):
    """A revision waiting for its go-live time goes live only if the workflow approved it, or
    the superuser (break-glass) or the system itself (no user: seeding, imports) scheduled it.
    Anything else was written around the workflow."""
    if passed_review(revision):
        return True
    schedulers = PageLogEntry.objects.filter(
        revision=revision, action="wagtail.publish.schedule"
    ).values_list("user__is_superuser", "user_id")
    return any(is_superuser or user_id is None for is_superuser, user_id in schedulers)


@receiver(post_save, sender=PageLogEntry, dispatch_uid="sunshine.roles.break_glass")
def log_break_glass(sender, instance, created, **kwargs):
    """Every publish or scheduling by a person that the workflow did not approve gets a second
    log entry of its own, which the dashboard and the site history show."""
    if not created or instance.action not in _PUBLISH_ACTIONS or instance.user_id is None:
        return
    if passed_review(instance.revision):
        return
    if not instance.user.is_superuser:
        # The tester refuses this; reaching here means some code skipped the permission check.
        logger.warning("页面 %s 未经审核被发布（账号 %s）", instance.page_id, instance.user_id)
    log(
        instance=instance.page.specific,
        action=BREAK_GLASS,
        user=instance.user,
        revision=instance.revision,
        uuid=instance.uuid,
        data={"publish_action": instance.action},
    )


def recent_break_glass(limit=10):
    return (
        PageLogEntry.objects.filter(action=BREAK_GLASS)
        .select_related("user", "page")
        .order_by("-timestamp")[:limit]
    )
