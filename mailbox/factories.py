"""Counsellors and letters for tests and the demo."""

import factory

from sunshine.directory.models import UserProfile
from sunshine.roles.factories import UserFactory, join
from sunshine.roles.names import COUNSELLOR, TEACHER_SUPPORT_COUNSELLOR
from sunshine_mailbox import letters
from sunshine_mailbox.models import Writer


class CounsellorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"counsellor{n}")
    first_name = factory.Sequence(lambda n: f"心理教师{n}")


def counsellor(school=None, district=None, role=COUNSELLOR, **kwargs):
    """A 心理教师 of a school, of a district (no school), or of the city pool (neither);
    `role=TEACHER_SUPPORT_COUNSELLOR` for teachers' own letters."""
    user = CounsellorFactory(**kwargs)
    if school is not None or district is not None:
        UserProfile.objects.update_or_create(
            user=user, defaults={"school": school, "district": district}
        )
    join(user, role)
    return user


def teacher_support(**kwargs):
    return counsellor(role=TEACHER_SUPPORT_COUNSELLOR, **kwargs)


def letter(body="最近考试压力很大，晚上睡不着。", **kwargs):
    """A letter as a writer sends it: returns (conversation, reply code)."""
    kwargs.setdefault("writer", Writer.STUDENT)
    conversation, code, _ = letters.write(body, **kwargs)
    return conversation, code
