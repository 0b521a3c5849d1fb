"""Periodic work for course pages."""

import logging

from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Revision

from sunshine.roles.publishing import may_go_live_on_schedule

logger = logging.getLogger(__name__)


def publish_scheduled_pages():
    """Wagtail's `publish_scheduled`: approved revisions whose go-live time has passed go live,
    pages past their expiry go offline. Registered with the scheduler to run every minute, so a
    holiday campaign goes live on its first day with nobody at a keyboard.

    A revision that waits for its go-live time without having passed review (written around the
    workflow) loses its schedule instead of going live."""
    due = list(Revision.objects.filter(approved_go_live_at__lt=timezone.now()))
    refused = [revision for revision in due if not may_go_live_on_schedule(revision)]
    for revision in refused:
        logger.warning("定时发布：修订 %s 未经审核，已取消其定时发布", revision.pk)
    if refused:
        Revision.objects.filter(pk__in=[r.pk for r in refused]).update(approved_go_live_at=None)
    call_command("publish_scheduled")
    published = len(due) - len(refused)
    if published:
        logger.info("定时发布：%s 项内容已按计划上线", published)
    return published
