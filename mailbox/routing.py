"""Who answers a letter, and who may see it.

A student's letter goes to the 心理教师 of the writer's school, else of its district, else to the
city pool; a teacher's own letter to the district's 教师心理支持 counsellors, else the city's.
A counsellor's level is their directory profile: a school (school counsellor), a district and no
school (district counsellor), or neither (the city pool). Overdue letters move up a level
(sunshine_mailbox.tasks). Everything a counsellor is shown is narrowed by `letters_for`.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from sunshine.roles.names import COUNSELLOR, TEACHER_SUPPORT_COUNSELLOR
from sunshine.roles.scope import has_role
from sunshine_mailbox import conf
from sunshine_mailbox.models import Conversation, Level, Writer

ROLE_FOR_WRITER = {Writer.STUDENT: COUNSELLOR, Writer.TEACHER: TEACHER_SUPPORT_COUNSELLOR}


def counsellors(writer, level, school=None, district=None):
    """Active accounts that answer `writer`'s letters at this level of the given place."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=ROLE_FOR_WRITER[writer])
        .select_related("profile")
    )
    if level == Level.SCHOOL:
        return users.filter(profile__school=school) if school else users.none()
    if level == Level.DISTRICT:
        if not district:
            return users.none()
        here = Q(profile__district=district, profile__school__isnull=True)
        if writer == Writer.TEACHER:
            # A teacher-support counsellor working at a school answers for its district.
            here |= Q(profile__school__district=district)
        return users.filter(here)
    return users.filter(
        Q(profile__isnull=True) | Q(profile__school__isnull=True, profile__district__isnull=True)
    )


def _district_of(school, district):
    return school.district if school is not None else district


def place(writer, school=None, district=None, start=Level.SCHOOL):
    """(level, school, district) of the first queue from `start` up that has someone in it; the
    city pool if none has (its counsellors are the last resort, and the queue is never lost)."""
    district = _district_of(school, district)
    order = [Level.SCHOOL, Level.DISTRICT, Level.CITY]
    if writer == Writer.TEACHER:
        # Teachers' own letters never go to their colleagues at school.
        order = [Level.DISTRICT, Level.CITY]
    for level in order[order.index(start) if start in order else 0 :]:
        if level == Level.CITY or counsellors(writer, level, school, district).exists():
            return (
                level,
                (school if level == Level.SCHOOL else None),
                (district if level == Level.DISTRICT else None),
            )
    return Level.CITY, None, None


def deadline(urgent, now=None, escalated=False):
    now = now or timezone.now()
    if urgent:
        hours = conf.get("MAILBOX_URGENT_REPLY_HOURS")
    elif escalated:
        hours = conf.get("MAILBOX_ESCALATED_REPLY_HOURS")
    else:
        hours = conf.get("MAILBOX_REPLY_HOURS")
    return now + timedelta(hours=hours)


def scopes(user):
    """[(writer, level, school, district)] for each queue `user` answers; [] for everyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    school = profile.school if profile and profile.school_id else None
    district = profile.district if profile and profile.district_id else None
    found = []
    for writer, role in ROLE_FOR_WRITER.items():
        if not has_role(user, role):
            continue
        if school is not None:
            if writer == Writer.STUDENT:
                found.append((writer, Level.SCHOOL, school, None))
            # A teacher-support counsellor at a school answers for the school's district.
            elif writer == Writer.TEACHER:
                found.append((writer, Level.DISTRICT, None, school.district))
        elif district is not None:
            found.append((writer, Level.DISTRICT, None, district))
        else:
            found.append((writer, Level.CITY, None, None))
    return found


def is_counsellor(user):
    return bool(scopes(user))


def letters_for(user):
    """The conversations `user` may read: only those in the queues they answer."""
    condition = Q(pk__in=[])
    for writer, level, school, district in scopes(user):
        here = Q(writer=writer, level=level)
        if level == Level.SCHOOL:
            here &= Q(route_school=school)
        elif level == Level.DISTRICT:
            here &= Q(route_district=district)
        condition |= here
    return Conversation.objects.filter(condition)


def colleagues(user, conversation):
    """Who `user` may hand `conversation` over to: the other counsellors of its queue."""
    return (
        counsellors(
            conversation.writer,
            conversation.level,
            conversation.route_school,
            conversation.route_district,
        )
        .exclude(pk=user.pk)
        .order_by("first_name", "username")
    )
