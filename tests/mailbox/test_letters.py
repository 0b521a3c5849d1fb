"""Writing, reading under a code, storage, crisis handling, routing, escalation and retention."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection, models
from django.utils import timezone

from sunshine.directory.factories import SchoolFactory
from sunshine_mailbox import letters
from sunshine_mailbox.factories import counsellor, letter, teacher_support
from sunshine_mailbox.models import (
    Conversation,
    DutyCounsellor,
    Level,
    Message,
    ReadLog,
    Status,
    Writer,
)

pytestmark = pytest.mark.django_db
IP = "198.51.100.23"
UA = "Mozilla/5.0 (iPhone; MailboxPrivacyPhone) MicroMessenger/8.0"
SECRET = "这是一封只给心理老师看的信，我的秘密是蓝色的鲸鱼"


def send(client, body=SECRET, **extra):
    return client.post("/mailbox/", {"body": body, **extra}, REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)


def code_of(response):
    return response.context["code"]


def test_an_anonymous_letter_gets_a_code_and_its_reply_shows_under_that_code_only(client, places):
    school_counsellor = counsellor(school=places["school_a"])
    response = send(client, school=places["school_a"].code, district=places["heping"].code)
    assert response.status_code == 200
    text = response.content.decode()
    assert "请保存" in text and code_of(response) in text
    conversation = Conversation.objects.get()
    assert conversation.level == Level.SCHOOL and conversation.route_school == places["school_a"]

    letters.record_read(school_counsellor, conversation)
    letters.reply(school_counsellor, conversation, "谢谢你写信告诉我，我们一起想办法。")
    _, other_code = letter("另一封信")

    mine = client.post("/mailbox/read/", {"code": code_of(response).lower().replace("-", " ")})
    assert "我们一起想办法" in mine.content.decode() and SECRET in mine.content.decode()
    theirs = client.post("/mailbox/read/", {"code": other_code})
    assert "我们一起想办法" not in theirs.content.decode()
    assert SECRET not in theirs.content.decode()


def test_no_identifying_column_exists_on_any_mailbox_table():
    identifying = (
        "ip",
        "ip_address",
        "remote_addr",
        "user_agent",
        "useragent",
        "ua",
        "name",
        "phone",
        "mobile",
        "email",
        "code",
        "writer_user",
        "device",
    )
    for model in apps.get_app_config("mailbox").get_models():
        if model.__name__ in {"DutyCounsellor", "CounsellingContact", "CannedReply"}:
            continue  # staff rosters and texts, no writer in them
        for field in model._meta.get_fields():
            if not getattr(field, "concrete", False):
                continue
            assert not isinstance(field, models.GenericIPAddressField), field
            assert field.name.lower() not in identifying, f"{model.__name__}.{field.name}"
    # The writer's side links to no account: only staff (counsellors, readers) are users.
    staff_links = {"assigned_to", "counsellor", "reader", "from_user", "to_user"}
    for model in (Conversation, Message):
        for field in model._meta.concrete_fields:
            if field.related_model is not None and field.related_model._meta.label == "auth.User":
                assert field.name in staff_links


def test_the_raw_tables_hold_no_plaintext_no_code_no_ip_and_no_user_agent(client, places):
    response = send(client)
    code = code_of(response)
    client.post(
        "/mailbox/read/reply/",
        {"code": code, "body": "补充一句：鲸鱼会唱歌"},
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=UA,
    )
    with connection.cursor() as cursor:
        for model in apps.get_app_config("mailbox").get_models():
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            raw = repr(cursor.fetchall())
            for secret in (
                "蓝色的鲸鱼",
                "鲸鱼会唱歌",
                code,
                code.replace("-", ""),
                IP,
                "MailboxPrivacyPhone",
            ):
                assert secret not in raw, (model.__name__, secret)
        cursor.execute("SELECT body FROM mailbox_message")
        assert all(body.startswith("gAAAA") for (body,) in cursor.fetchall())  # Fernet tokens
    assert [m.body for m in Message.objects.all()] == [SECRET, "补充一句：鲸鱼会唱歌"]


def test_a_crisis_letter_shows_the_panel_first_is_urgent_and_mails_the_duty_counsellor(
    client, places, django_capture_on_commit_callbacks
):
    duty = counsellor(district=places["heping"], email="duty@example.com")
    DutyCounsellor.objects.create(district=places["heping"], counsellor=duty)
    counsellor(school=places["school_a"])
    with_contact = places["school_a"]
    from sunshine_mailbox.models import CounsellingContact

    CounsellingContact.objects.create(school=with_contact, contact="心理辅导室 行政楼305")
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, body="我 真 的 不 想 活 了", school=with_contact.code)
    html = response.content.decode()
    assert html.index('id="mailbox-crisis"') < html.index("请保存")
    for text in ("12356", "12355", "110", "120", "告诉身边信任的大人", "心理辅导室 行政楼305"):
        assert text in html
    conversation = Conversation.objects.get()
    assert conversation.urgent and conversation.crisis_categories == "suicide"
    assert conversation.due_at - conversation.created_at == timedelta(hours=1)
    assert [m.to for m in mail.outbox] == [["duty@example.com"]]
    assert "不想活" not in mail.outbox[0].body  # no letter text in an email


def test_an_ordinary_letter_shows_no_crisis_panel_and_waits_a_day(client, places):
    response = send(client, body="和同桌吵架了，不知道怎么和好")
    assert 'id="mailbox-crisis"' not in response.content.decode()
    conversation = Conversation.objects.get()
    assert not conversation.urgent
    assert conversation.due_at - conversation.created_at == timedelta(hours=24)


def test_urgent_letters_come_first_in_the_queue(client, places):
    school_counsellor = counsellor(school=places["school_a"])
    first, _ = letter("普通的信", school=places["school_a"])
    urgent, _ = letter("我想自杀", school=places["school_a"])
    client.force_login(school_counsellor)
    rows = client.get("/admin/mailbox/").context["letters"]
    assert [c.pk for c in rows] == [urgent.pk, first.pk]


def test_routing_school_then_district_then_city(places):
    counsellor(school=places["school_a"])
    counsellor(district=places["heping"])
    at_school, _ = letter(school=places["school_a"])
    no_school_counsellor, _ = letter(school=places["school_b"])
    nobody_in_district, _ = letter(school=places["school_c"])
    unknown, _ = letter()
    assert (at_school.level, at_school.route_school) == (Level.SCHOOL, places["school_a"])
    assert (no_school_counsellor.level, no_school_counsellor.route_district) == (
        Level.DISTRICT,
        places["heping"],
    )
    assert nobody_in_district.level == Level.CITY
    assert unknown.level == Level.CITY


def test_teachers_letters_go_to_teacher_support_apart_from_students(client, places):
    from sunshine.roles.factories import TeacherFactory

    support = teacher_support(district=places["heping"])
    student_counsellor = counsellor(district=places["heping"])
    teacher = TeacherFactory(school=places["school_a"])
    client.force_login(teacher)
    page = client.get("/mailbox/")
    assert "教师心理支持" in page.content.decode()
    client.post("/mailbox/", {"body": "最近带毕业班，压力大到失眠"})
    conversation = Conversation.objects.get()
    assert conversation.writer == Writer.TEACHER
    assert conversation.school is None and conversation.district == places["heping"]
    assert conversation.level == Level.DISTRICT
    from sunshine_mailbox import routing

    assert list(routing.letters_for(support)) == [conversation]
    assert list(routing.letters_for(student_counsellor)) == []


def test_overdue_letters_escalate_school_district_city_with_time_moved_forward(places):
    counsellor(school=places["school_a"])
    counsellor(district=places["heping"])
    conversation, _ = letter(school=places["school_a"])
    start = conversation.created_at
    assert letters.escalate_overdue(now=start + timedelta(hours=23)) == 0
    assert letters.escalate_overdue(now=start + timedelta(hours=25)) == 1
    conversation.refresh_from_db()
    assert (conversation.level, conversation.route_district) == (Level.DISTRICT, places["heping"])
    assert letters.escalate_overdue(now=start + timedelta(hours=30)) == 0
    assert letters.escalate_overdue(now=start + timedelta(hours=34)) == 1
    conversation.refresh_from_db()
    assert conversation.level == Level.CITY and conversation.escalations == 2
    assert letters.escalate_overdue(now=start + timedelta(days=5)) == 0  # the top


def test_an_answered_letter_does_not_escalate(places):
    school_counsellor = counsellor(school=places["school_a"])
    conversation, _ = letter(school=places["school_a"])
    letters.record_read(school_counsellor, conversation)
    letters.reply(school_counsellor, conversation, "收到")
    assert letters.escalate_overdue(now=timezone.now() + timedelta(days=3)) == 0


def test_a_reply_needs_the_letter_read_first_and_a_follow_up_read_again(places):
    from django.core.exceptions import ValidationError

    school_counsellor = counsellor(school=places["school_a"])
    conversation, _ = letter(school=places["school_a"])
    with pytest.raises(ValidationError):
        letters.reply(school_counsellor, conversation, "还没读就回")
    letters.record_read(school_counsellor, conversation)
    letters.reply(school_counsellor, conversation, "读过了")
    letters.follow_up(conversation, "还有一件事")
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW
    with pytest.raises(ValidationError):
        letters.reply(school_counsellor, conversation, "没读新留言")
    letters.record_read(school_counsellor, conversation)
    letters.reply(school_counsellor, conversation, "读了新留言")
    assert ReadLog.objects.filter(reader=school_counsellor).count() == 2


def test_retention_deletes_closed_conversations_after_180_days(places):
    school_counsellor = counsellor(school=places["school_a"])
    closed, _ = letter(school=places["school_a"])
    still_open, _ = letter(school=places["school_a"])
    letters.record_read(school_counsellor, closed)
    letters.close(school_counsellor, closed, "answered")
    closed.refresh_from_db()
    assert letters.delete_expired(now=closed.closed_at + timedelta(days=179)) == 0
    assert letters.delete_expired(now=closed.closed_at + timedelta(days=181)) == 1
    assert list(Conversation.objects.all()) == [still_open]
    assert not Message.objects.filter(conversation_id=closed.pk).exists()
    # The read log keeps who read it, without the letter.
    entry = ReadLog.objects.get(letter_number=closed.pk)
    assert entry.conversation is None and entry.reader == school_counsellor


def test_a_closed_conversation_takes_no_follow_up(client, places):
    school_counsellor = counsellor(school=places["school_a"])
    conversation, code = letter(school=places["school_a"])
    letters.record_read(school_counsellor, conversation)
    letters.close(school_counsellor, conversation, "referred")
    response = client.post("/mailbox/read/reply/", {"code": code, "body": "还在吗"})
    assert response.status_code == 400
    assert "写一封新的信" in response.content.decode()


def test_guessing_codes_is_stopped_by_the_rate_limit(client, places, settings):
    from sunshine_mailbox import codes

    _, real = letter()
    settings.MAILBOX_CODE_FAILURES = 5
    statuses = [
        client.post("/mailbox/read/", {"code": codes.new_code()}, REMOTE_ADDR=IP).status_code
        for _ in range(5)
    ]
    assert statuses == [404] * 5
    blocked = client.post("/mailbox/read/", {"code": codes.new_code()}, REMOTE_ADDR=IP)
    assert blocked.status_code == 429 and "请过 15 分钟再试" in blocked.content.decode()
    # Even the right code is refused now, so guessing cannot go on from this network...
    assert client.post("/mailbox/read/", {"code": real}, REMOTE_ADDR=IP).status_code == 429
    # ...while another network reads its letter.
    assert client.post("/mailbox/read/", {"code": real}, REMOTE_ADDR="192.0.2.9").status_code == 200


def test_codes_are_long_random_and_forgiving_to_type():
    from sunshine_mailbox import codes

    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    sample = made.pop()
    assert len(sample) == 19 and sample.count("-") == 3
    assert codes.normalise(" " + sample.lower().replace("-", " ") + " ") == sample
    assert codes.normalise("ＡＢＣＤ-ＥＦＧＨ-ＪＫＭＮ-ＰＱＲＳ") == "ABCD-EFGH-JKMN-PQRS"
    assert codes.normalise("O0IL-1111-2222-3333") == "0011-1111-2222-3333"
    assert codes.normalise("short") is None


def test_a_letter_without_text_is_a_chinese_error_not_a_500(client, places):
    response = client.post("/mailbox/", {"body": ""})
    assert response.status_code == 400 and "请写下你想说的话" in response.content.decode()
    too_long = client.post("/mailbox/", {"body": "字" * 3001})
    assert too_long.status_code == 400 and "信太长了" in too_long.content.decode()


def test_the_privacy_note_says_what_is_kept(client):
    html = client.get("/mailbox/privacy/").content.decode()
    for text in ("不保存 IP 地址", "加密", "180 天", "回信码"):
        assert text in html


def test_the_mailbox_is_linked_beside_the_hotlines(client, places):
    html = client.get("/mailbox/privacy/").content.decode()
    strip = html[html.index('<aside class="help-strip"') :]
    assert 'href="/mailbox/"' in strip[: strip.index("</aside>")]


def test_a_school_with_no_district_code_still_routes(places):
    lone = SchoolFactory(district=places["shenhe"])
    conversation, _ = letter(school=lone)
    assert conversation.district == places["shenhe"]


def test_the_crisis_panel_lists_the_citys_own_crisis_contacts_from_site_settings(client, places):
    from wagtail.models import Site

    from sunshine_mailbox.models import DEFAULT_CRISIS_CONTACTS, MailboxSettings

    settings_ = MailboxSettings.for_site(Site.objects.get(is_default_site=True))
    settings_.crisis_contacts = [
        *DEFAULT_CRISIS_CONTACTS,
        ("contact", {"name": "本市心理危机干预热线", "number": "024-2345-6789", "note": "24小时"}),
    ]
    settings_.save()
    html = client.get("/mailbox/").content.decode()
    panel = html[html.index('id="mailbox-crisis"') : html.index("</section>")]
    assert "本市心理危机干预热线 024-2345-6789" in panel and "12356" in panel
