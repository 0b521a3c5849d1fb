"""Demo content of the 心灵信箱: counsellor accounts at each level, the duty counsellor of 和平区,
a school's contact, canned replies and letters in different states. Adds only what is missing.

The demo letters' reply codes are printed (and only here: real codes are shown once, to their
writer) so that the demo can be tried from both sides.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sunshine.demo import DEMO_DISTRICT, DEMO_PASSWORD
from sunshine.directory.models import District, School, UserProfile
from sunshine.roles.names import COUNSELLOR, TEACHER_SUPPORT_COUNSELLOR
from sunshine_mailbox import letters
from sunshine_mailbox.models import (
    CannedReply,
    Conversation,
    CounsellingContact,
    DutyCounsellor,
    Writer,
)

# username, what for, role, name, where ("school", "district" or None for the city pool)
ACCOUNTS = [
    ("xinli", f"心理教师：{DEMO_DISTRICT}实验小学的学生来信", COUNSELLOR, "周静", "school"),
    ("xinli_qu", f"心理教师：{DEMO_DISTRICT}（区县队列，值班）", COUNSELLOR, "吴磊", "district"),
    ("xinli_shi", "心理教师：市级队列", COUNSELLOR, "郑洁", None),
    (
        "jiaoshi_xinli",
        f"教师心理支持：{DEMO_DISTRICT}教师的来信",
        TEACHER_SUPPORT_COUNSELLOR,
        "冯涛",
        "district",
    ),
]

CANNED = [
    (
        "先接住情绪",
        "谢谢你愿意写信告诉我。你说的这些感受是真实的，也是可以被理解的。我们可以一起慢慢想办法。",
        "",
    ),
    (
        "考试焦虑",
        "考试前紧张是很常见的。可以试试：每天固定时间复习，睡前做几次缓慢的深呼吸，"
        "把担心写在纸上再放到一边。",
        Writer.STUDENT,
    ),
    (
        "建议当面聊",
        "如果你愿意，可以在午休时间到学校心理辅导室找老师当面聊聊，不需要提前预约。",
        Writer.STUDENT,
    ),
]


def _accounts(school, district):
    User = get_user_model()
    made = {}
    for username, _, role, full_name, where in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": full_name, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            from django.contrib.auth.models import Group

            user.groups.add(Group.objects.get_or_create(name=role)[0])
            if where == "school":
                UserProfile.objects.create(user=user, school=school)
            elif where == "district":
                UserProfile.objects.create(user=user, district=district)
        made[username] = user
    return made


def _letters(people, school, district, now):
    school_counsellor = people["xinli"]
    codes = []

    def write(label, body, **kwargs):
        conversation, code, _ = letters.write(body, **kwargs)
        codes.append((label, code))
        return conversation

    write(
        "待阅读",
        "最近要期中考试了，每天晚上都睡不着，一想到考试就心跳很快。",
        school=school,
        grade_band="primary_high",
        now=now - timedelta(hours=2),
    )
    write(
        "紧急",
        "我觉得自己什么都做不好，有时候真的不想活了。",
        school=school,
        grade_band="primary_high",
        now=now - timedelta(minutes=20),
    )
    answered = write(
        "已答复",
        "我和最好的朋友吵架了，她不理我了，我很难过。",
        school=school,
        now=now - timedelta(days=1),
    )
    letters.record_read(school_counsellor, answered, now=now - timedelta(hours=20))
    letters.reply(
        school_counsellor,
        answered,
        "谢谢你告诉我。朋友之间闹别扭很常见，你愿意说说你们是因为什么吵架的吗？"
        "也可以想一想，你最想对她说的一句话是什么。",
        now=now - timedelta(hours=19),
    )
    follow_up = write(
        "有新留言",
        "爸爸妈妈总是因为我的成绩吵架。",
        school=school,
        now=now - timedelta(days=2),
    )
    letters.record_read(school_counsellor, follow_up, now=now - timedelta(days=2, hours=-3))
    letters.reply(
        school_counsellor,
        follow_up,
        "听起来你夹在中间很难受。这不是你的错。你平时会和谁说这些事？",
        now=now - timedelta(days=2, hours=-4),
    )
    letters.follow_up(follow_up, "我只和奶奶说过。谢谢老师回信。", now=now - timedelta(hours=5))
    closed = write(
        "已结束",
        "开学换了新班级，不知道怎么交朋友。",
        school=school,
        now=now - timedelta(days=6),
    )
    letters.record_read(school_counsellor, closed, now=now - timedelta(days=6, hours=-2))
    letters.reply(
        school_counsellor,
        closed,
        "可以先从一件小事开始，比如课间问问同桌题目。",
        now=now - timedelta(days=6, hours=-3),
    )
    letters.close(school_counsellor, closed, "answered", now=now - timedelta(days=3))
    # A letter of a school without its own counsellor, overdue: moved up to the district.
    other_school = School.objects.filter(district=district).exclude(pk=school.pk).first()
    overdue = write(
        "已超时升级",
        "上初中以后作业太多了，每天写到很晚，很累。",
        school=other_school,
        grade_band="junior",
        now=now - timedelta(hours=30),
    )
    letters.escalate_overdue(now=now)
    overdue.refresh_from_db()
    write(
        "教师来信",
        "今年带毕业班，压力很大，最近经常失眠，也不想和家人说话。",
        writer=Writer.TEACHER,
        district=district,
        now=now - timedelta(hours=3),
    )
    return codes


def seed(stdout):
    district = District.objects.filter(name=DEMO_DISTRICT).first()
    school = School.objects.filter(district=district).order_by("code").first()
    if district is None or school is None:
        stdout.write("  没有演示区县和学校，跳过心灵信箱")
        return
    with transaction.atomic():
        people = _accounts(school, district)
        DutyCounsellor.objects.get_or_create(
            district=district, defaults={"counsellor": people["xinli_qu"]}
        )
        CounsellingContact.objects.get_or_create(
            school=school,
            defaults={"contact": "学校心理辅导室（教学楼二楼），周一至周五 12:00–13:00"},
        )
        for title, body, for_writer in CANNED:
            CannedReply.objects.get_or_create(
                title=title, defaults={"body": body, "for_writer": for_writer}
            )
        if Conversation.objects.exists():
            stdout.write("  已有来信，跳过演示来信")
            return
        codes = _letters(people, school, district, timezone.now())
    stdout.write(f"  心灵信箱：{len(codes)} 封演示来信；演示回信码（仅演示数据打印）：")
    for label, code in codes:
        stdout.write(f"    {label:<6} {code}")
    for username, purpose, *_ in ACCOUNTS:
        stdout.write(f"  {username:<14} {purpose}")
