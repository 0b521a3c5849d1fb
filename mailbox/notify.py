"""Telling people at once about a 紧急 letter: an email to the district's duty counsellor (Django's
email backend; the console in the demo) and the badge on the admin dashboard (wagtail_hooks).

The email carries no letter text, no school and nothing about the writer (email is not
encrypted and is read on phones): the letter's number, its deadline and a link to the queue.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from sunshine_mailbox import routing
from sunshine_mailbox.models import DutyCounsellor, Level

logger = logging.getLogger(__name__)


def recipients(conversation):
    """The duty counsellor of the letter's district; without one, the counsellors of its
    queue; for the city pool, the city pool's counsellors."""
    district = conversation.route_district or conversation.district
    if district is not None:
        duty = DutyCounsellor.objects.filter(district=district).select_related("counsellor")
        found = [d.address for d in duty if d.address]
        if found:
            return found
    queue = routing.counsellors(
        conversation.writer,
        conversation.level,
        conversation.route_school,
        conversation.route_district,
    )
    found = [user.email for user in queue if user.email]
    if not found and conversation.level != Level.CITY:
        found = [
            user.email
            for user in routing.counsellors(conversation.writer, Level.CITY)
            if user.email
        ]
    return sorted(set(found))


def urgent_letter(conversation, escalated=False):
    to = recipients(conversation)
    if not to:
        logger.warning("心灵信箱：第 %s 号紧急来信没有可通知的邮箱", conversation.pk)
        return 0
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    link = base + reverse("mailbox_admin:letter", args=[conversation.pk])
    due = timezone.localtime(conversation.due_at).strftime("%m月%d日 %H:%M")
    subject = f"【心灵信箱】紧急来信第 {conversation.pk} 号" + (
        "（已超时升级）" if escalated else ""
    )
    body = (
        f"心灵信箱收到一封标记为“紧急”的来信（第 {conversation.pk} 号），"
        f"当前在{conversation.scope_label}队列，请在 {due} 前处理。\n\n"
        f"请登录后台阅读：{link}\n\n"
        "为保护来信人，邮件中不包含来信内容。"
    )
    try:
        return send_mail(subject, body, None, to)
    except Exception:  # a mail server that is down must not lose the letter
        logger.exception("心灵信箱：第 %s 号紧急来信的邮件没有发出", conversation.pk)
        return 0
