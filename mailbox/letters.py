"""What happens to a conversation: written, read, answered, handed over, escalated, closed.

Every change goes through here, so the rules hold wherever it is called from (the public views,
the counsellors' admin, the scheduler, the demo):
- a writer's message must be read by a counsellor (and the read logged) before a reply;
- a crisis phrase makes the letter 紧急, shortens its deadline and tells the duty counsellor;
- only a counsellor of the letter's queue may read or act on it (checked by the caller through
  routing.letters_for, and again here for replies).
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from sunshine_mailbox import codes, crisis, notify, routing
from sunshine_mailbox.models import (
    Conversation,
    Escalation,
    Handover,
    Level,
    Message,
    Outcome,
    ReadLog,
    Status,
    Writer,
)

logger = logging.getLogger(__name__)


def _crisis_keys(text):
    return sorted({match.category for match in crisis.find(text)})


@transaction.atomic
def write(body, *, writer=Writer.STUDENT, grade_band="", school=None, district=None, now=None):
    """A new letter. Returns (conversation, reply code, crisis matches). The code exists only
    in this return value and on the writer's screen."""
    now = now or timezone.now()
    matches = crisis.find(body)
    level, route_school, route_district = routing.place(writer, school, district)
    code = codes.new_code()
    conversation = Conversation.objects.create(
        code_digest=codes.digest(code),
        writer=writer,
        grade_band=grade_band,
        school=school,
        district=school.district if school else district,
        level=level,
        route_school=route_school,
        route_district=route_district,
        urgent=bool(matches),
        crisis_categories=",".join(sorted({m.category for m in matches})),
        status=Status.NEW,
        created_at=now,
        due_at=routing.deadline(bool(matches), now),
    )
    Message.objects.create(
        conversation=conversation, sender=Message.Sender.WRITER, body=body, created_at=now
    )
    if matches:
        transaction.on_commit(lambda: notify.urgent_letter(conversation))
    return conversation, code, matches


def open_by_code(code):
    """The conversation of a reply code, or None. The caller rate-limits failures."""
    canonical = codes.normalise(code)
    if canonical is None:
        return None
    return Conversation.objects.filter(code_digest=codes.digest(canonical)).first()


class ConversationClosed(ValidationError):
    pass


@transaction.atomic
def follow_up(conversation, body, now=None):
    """The writer writes again under their code: the conversation waits to be read again."""
    now = now or timezone.now()
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status == Status.CLOSED:
        raise ConversationClosed("这次对话已经结束。如果还想聊聊，可以写一封新的信。")
    keys = _crisis_keys(body)
    Message.objects.create(
        conversation=conversation, sender=Message.Sender.WRITER, body=body, created_at=now
    )
    became_urgent = bool(keys) and not conversation.urgent
    conversation.urgent = conversation.urgent or bool(keys)
    if keys:
        known = set(filter(None, conversation.crisis_categories.split(",")))
        conversation.crisis_categories = ",".join(sorted(known | set(keys)))
    was_waiting = conversation.status in (Status.NEW, Status.READ)
    conversation.status = Status.NEW
    # A follow-up while the letter already waits keeps the earlier (sooner) deadline.
    new_due = routing.deadline(conversation.urgent, now)
    conversation.due_at = min(conversation.due_at, new_due) if was_waiting else new_due
    conversation.save()
    if became_urgent:
        transaction.on_commit(lambda: notify.urgent_letter(conversation))
    return conversation, [crisis.Match(k, "") for k in keys]


def _check_scope(user, conversation):
    if not routing.letters_for(user).filter(pk=conversation.pk).exists():
        raise PermissionDenied("这封来信不在您负责的范围内。")


def record_read(user, conversation, now=None):
    """A counsellor opened the letter: log who and when, and mark the writer's messages read."""
    _check_scope(user, conversation)
    now = now or timezone.now()
    with transaction.atomic():
        ReadLog.objects.create(
            conversation=conversation,
            letter_number=conversation.pk,
            reader=user,
            reader_username=user.get_username(),
            scope=conversation.scope_label,
            read_at=now,
        )
        unread = conversation.messages.filter(sender=Message.Sender.WRITER, read_at__isnull=True)
        if unread.update(read_at=now):
            Conversation.objects.filter(pk=conversation.pk, status=Status.NEW).update(
                status=Status.READ
            )
        Conversation.objects.filter(pk=conversation.pk, first_read_at__isnull=True).update(
            first_read_at=now
        )
    conversation.refresh_from_db()
    return conversation


@transaction.atomic
def reply(user, conversation, body, now=None):
    _check_scope(user, conversation)
    now = now or timezone.now()
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status == Status.CLOSED:
        raise ValidationError("这次对话已经结束，不能再答复。")
    if conversation.messages.filter(sender=Message.Sender.WRITER, read_at__isnull=True).exists():
        # Pre-moderation: the writer's newest words are read before anyone answers them.
        raise ValidationError("来信人有新的留言还没有阅读，请先阅读再答复。")
    if not body.strip():
        raise ValidationError("请填写答复内容。")
    Message.objects.create(
        conversation=conversation,
        sender=Message.Sender.COUNSELLOR,
        body=body.strip(),
        counsellor=user,
        created_at=now,
    )
    conversation.status = Status.ANSWERED
    if conversation.first_reply_at is None:
        conversation.first_reply_at = now
    conversation.save()
    return conversation


@transaction.atomic
def hand_over(user, conversation, to_user):
    _check_scope(user, conversation)
    if not routing.colleagues(user, conversation).filter(pk=to_user.pk).exists():
        raise ValidationError("只能转交给同一队列的心理教师。")
    Handover.objects.create(conversation=conversation, from_user=user, to_user=to_user)
    Conversation.objects.filter(pk=conversation.pk).update(assigned_to=to_user)
    conversation.refresh_from_db()
    return conversation


@transaction.atomic
def close(user, conversation, outcome, now=None):
    _check_scope(user, conversation)
    if outcome not in Outcome.values:
        raise ValidationError("请选择结束的结果：答复、转介或紧急处置。")
    if conversation.messages.filter(sender=Message.Sender.WRITER, read_at__isnull=True).exists():
        raise ValidationError("来信人有新的留言还没有阅读，请先阅读再结束。")
    now = now or timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Status.CLOSED, outcome=outcome, closed_at=now
    )
    conversation.refresh_from_db()
    return conversation


def mark_urgent(user, conversation):
    _check_scope(user, conversation)
    if conversation.urgent:
        return conversation
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        urgent=True, due_at=min(conversation.due_at, routing.deadline(True, now))
    )
    conversation.refresh_from_db()
    transaction.on_commit(lambda: notify.urgent_letter(conversation))
    return conversation


def set_category(user, conversation, category):
    _check_scope(user, conversation)
    Conversation.objects.filter(pk=conversation.pk).update(category=category)
    conversation.refresh_from_db()
    return conversation


NEXT_LEVEL = {Level.SCHOOL: Level.DISTRICT, Level.DISTRICT: Level.CITY}


def escalate_overdue(now=None):
    """Moves every overdue waiting letter one queue up (school → district → city pool), with a
    new deadline; returns how many moved. Run by the scheduler."""
    now = now or timezone.now()
    moved = 0
    overdue = Conversation.objects.filter(
        status__in=[Status.NEW, Status.READ], due_at__lt=now, level__in=list(NEXT_LEVEL)
    ).select_related("school", "district")
    for conversation in overdue:
        start = NEXT_LEVEL[conversation.level]
        level, route_school, route_district = routing.place(
            conversation.writer, conversation.school, conversation.district, start=start
        )
        with transaction.atomic():
            Escalation.objects.create(
                conversation=conversation, from_level=conversation.level, to_level=level, at=now
            )
            conversation.level = level
            conversation.route_school = route_school
            conversation.route_district = route_district
            conversation.assigned_to = None
            conversation.escalations += 1
            conversation.due_at = routing.deadline(conversation.urgent, now, escalated=True)
            conversation.save()
        if conversation.urgent:
            notify.urgent_letter(conversation, escalated=True)
        moved += 1
    if moved:
        logger.info("心灵信箱：%s 封超时来信已升级", moved)
    return moved


def delete_expired(now=None):
    """Deletes conversations closed more than the retention period ago (letters, replies,
    handovers; the read log keeps its rows without text). Returns how many."""
    from datetime import timedelta

    from sunshine_mailbox import conf

    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.get("MAILBOX_RETENTION_DAYS"))
    expired = Conversation.objects.filter(status=Status.CLOSED, closed_at__lt=cutoff)
    count = expired.count()
    expired.delete()
    if count:
        logger.info("心灵信箱：删除了 %s 个已结束超过保存期限的对话", count)
    return count
