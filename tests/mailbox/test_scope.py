"""Who sees which letter: a crawl of every admin letter URL by every counsellor shows nobody
reads outside their queue; district and city staff see only aggregates (cells under 5
suppressed); the bureau exports the read log."""

import io

import pytest
from openpyxl import load_workbook

from sunshine.roles.factories import (
    CityStaffFactory,
    DistrictStaffFactory,
    EditorFactory,
    TeacherFactory,
)
from sunshine_mailbox import letters
from sunshine_mailbox.factories import counsellor, letter, teacher_support
from sunshine_mailbox.models import CannedReply, Level, ReadLog

pytestmark = pytest.mark.django_db


def denied(response):
    """Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url.rstrip("/").endswith("/admin")
    )


def marker(n):
    return f"信件标记{n:03d}号"


@pytest.fixture
def city(places):
    """Counsellors at every level and letters in every queue, each with a unique marker."""
    people = {
        "school_a": counsellor(school=places["school_a"]),
        "school_b": counsellor(school=places["school_b"]),
        "heping": counsellor(district=places["heping"]),
        "shenhe": counsellor(district=places["shenhe"]),
        "city": counsellor(),
        "support_heping": teacher_support(district=places["heping"]),
        "support_city": teacher_support(),
    }
    sent = []
    n = 0
    for school_key in ("school_a", "school_b", "school_c"):
        for _ in range(2):
            n += 1
            sent.append(letter(marker(n), school=places[school_key])[0])
    for district_key in ("heping", "shenhe"):
        n += 1
        sent.append(letter(marker(n), district=places[district_key])[0])
    n += 1
    sent.append(letter(marker(n))[0])  # no place: the city pool
    n += 1
    sent.append(letter(marker(n), writer="teacher", district=places["heping"])[0])
    n += 1
    sent.append(letter(marker(n), writer="teacher", district=places["shenhe"])[0])
    return people, sent


def expected(conversation, who, places):
    """Who should be able to read `conversation`: derived from its queue, not from routing."""
    if conversation.writer == "teacher":
        if conversation.level == Level.DISTRICT:
            return {"support_heping"} if conversation.route_district == places["heping"] else set()
        return {"support_city"}
    if conversation.level == Level.SCHOOL:
        return {key for key in ("school_a", "school_b") if places[key] == conversation.route_school}
    if conversation.level == Level.DISTRICT:
        return {key for key in ("heping", "shenhe") if places[key] == conversation.route_district}
    return {"city"}


def test_a_crawl_of_every_letter_by_every_counsellor_stays_in_scope(client, city, places):
    people, sent = city
    # 沈河区 students' letters from 丙校 (no school counsellor) are at the district; 沈河区 has no
    # teacher-support counsellor, so that teacher's letter is in the city pool.
    for key, user in people.items():
        client.force_login(user)
        queue = client.get("/admin/mailbox/?tab=open").content.decode()
        for conversation in sent:
            allowed = key in expected(conversation, key, places)
            response = client.get(f"/admin/mailbox/{conversation.pk}/")
            text = response.content.decode()
            assert (response.status_code == 200) == allowed, (key, conversation.pk)
            assert (marker_of(conversation) in text) == allowed, (key, conversation.pk)
            # The queue lists it only if allowed, and never shows a letter's text.
            assert (f'data-letter="{conversation.pk}"' in queue) == allowed, (key, conversation.pk)
            assert marker_of(conversation) not in queue
            posted = client.post(
                f"/admin/mailbox/{conversation.pk}/", {"action": "reply", "body": "越权答复"}
            )
            assert posted.status_code == (302 if allowed else 404)
    # Every read was logged, and only by those allowed.
    for entry in ReadLog.objects.select_related("conversation"):
        owner = [k for k, u in people.items() if u.pk == entry.reader_id][0]
        assert owner in expected(entry.conversation, owner, places)


def marker_of(conversation):
    return conversation.messages.first().body


@pytest.mark.parametrize("make", [CityStaffFactory, DistrictStaffFactory, EditorFactory])
def test_staff_who_are_not_counsellors_read_no_letter(client, city, make):
    _, sent = city
    client.force_login(make())
    assert client.get("/admin/mailbox/").status_code in (302, 403)
    for conversation in sent:
        response = client.get(f"/admin/mailbox/{conversation.pk}/")
        assert response.status_code in (302, 403)
        assert marker_of(conversation) not in response.content.decode()


def test_a_teacher_reaches_no_admin_letter(client, city):
    _, sent = city
    client.force_login(TeacherFactory())
    response = client.get(f"/admin/mailbox/{sent[0].pk}/")
    assert response.status_code == 302 and marker_of(sent[0]) not in response.content.decode()


def statistics(client, **params):
    response = client.get("/admin/mailbox-statistics/", params)
    assert response.status_code == 200
    return response


def test_district_staff_see_only_their_district_aggregates_and_no_text(client, city, places):
    client.force_login(DistrictStaffFactory(district=places["heping"]))
    response = statistics(client)
    rows = response.context["object_list"]
    assert [row.name for row in rows] == [places["heping"].name]
    text = response.content.decode()
    assert "信件标记" not in text and "沈河" not in text


def test_city_staff_see_all_districts_with_small_cells_suppressed(client, city, places):
    _, sent = city
    client.force_login(CityStaffFactory())
    response = statistics(client)
    rows = {row.name: row for row in response.context["object_list"]}
    assert len(rows) == 14  # every district listed, zero-filled, and 未知区县
    assert rows["未知区县"].letters_shown == "<5"  # the one letter without a place
    heping = rows[places["heping"].name]
    # 和平区: 4 school letters + 1 district letter + 1 teacher letter = 6, shown in full.
    assert (heping.letters_shown, heping.teacher_letters) == (6, 1)
    shenhe = rows[places["shenhe"].name]
    # 沈河区: 2 + 1 + 1 = 4 letters: under 5, so no figure at all.
    assert shenhe.letters_shown == "<5" and shenhe.urgent == "" and shenhe.answered == ""
    assert "信件标记" not in response.content.decode()

    export = client.get("/admin/mailbox-statistics/", {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "区县"
    shenhe_row = [r for r in values if r[0] == places["shenhe"].name][0]
    assert shenhe_row[1] == "<5" and not any(shenhe_row[2:])


def test_counsellors_and_teachers_get_no_statistics(client, city):
    people, _ = city
    client.force_login(people["school_a"])
    assert denied(client.get("/admin/mailbox-statistics/"))


def test_the_bureau_exports_the_read_log_and_district_staff_cannot(client, city, places):
    people, sent = city
    letters.record_read(people["school_a"], sent[0])
    letters.record_read(people["heping"], sent[6])
    client.force_login(CityStaffFactory())
    page = client.get("/admin/mailbox-read-log/")
    assert page.status_code == 200
    assert people["school_a"].username in page.content.decode()
    export = client.get("/admin/mailbox-read-log/", {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["阅读时间", "来信编号", "阅读人账号", "阅读人姓名", "当时所在队列"]
    assert {(r[1], r[2]) for r in rows[1:]} == {
        (sent[0].pk, people["school_a"].username),
        (sent[6].pk, people["heping"].username),
    }
    csv = client.get("/admin/mailbox-read-log/", {"export": "csv"})
    assert b"".join(csv.streaming_content).startswith(b"\xef\xbb\xbf")

    client.force_login(DistrictStaffFactory(district=places["heping"]))
    assert denied(client.get("/admin/mailbox-read-log/"))
    assert denied(client.get("/admin/mailbox-read-log/", {"export": "xlsx"}))


def test_a_counsellor_answers_hands_over_and_closes_from_the_admin(client, places):
    mine = counsellor(school=places["school_a"])
    colleague = counsellor(school=places["school_a"])
    other_school = counsellor(school=places["school_b"])
    conversation, code = letter("我和父母吵架了", school=places["school_a"])
    CannedReply.objects.create(title="先接住情绪", body="谢谢你愿意写信告诉我。")
    CannedReply.objects.create(title="给老师的", body="老师您辛苦了。", for_writer="teacher")
    client.force_login(mine)
    url = f"/admin/mailbox/{conversation.pk}/"
    page = client.get(url)  # read (logged)
    assert page.status_code == 200
    assert "谢谢你愿意写信告诉我" in page.content.decode()
    assert "老师您辛苦了" not in page.content.decode()  # for teachers' letters only
    client.post(url, {"action": "reply", "body": "我听到了，你愿意多说一些吗？"})
    client.post(url, {"action": "handover", "to_user": other_school.pk})
    conversation.refresh_from_db()
    assert conversation.assigned_to is None  # not a colleague of this queue
    client.post(url, {"action": "handover", "to_user": colleague.pk})
    conversation.refresh_from_db()
    assert conversation.assigned_to == colleague
    client.post(url, {"action": "close", "outcome": "referred"})
    conversation.refresh_from_db()
    assert (conversation.status, conversation.outcome) == ("closed", "referred")
    reader = client.post("/mailbox/read/", {"code": code}).content.decode()
    assert "你愿意多说一些吗" in reader and "对话已经结束" in reader


def test_the_dashboard_shows_urgent_letters_to_their_counsellors(client, places):
    mine = counsellor(school=places["school_a"])
    letter("我想自杀", school=places["school_a"])
    letter("普通来信", school=places["school_a"])
    client.force_login(mine)
    html = client.get("/admin/").content.decode()
    assert "data-mailbox-badge" in html and "data-urgent-count>1<" in html
    client.force_login(CityStaffFactory())
    assert "data-mailbox-badge" not in client.get("/admin/").content.decode()


def test_city_staff_set_the_duty_counsellor_from_counsellors_only(client, places):
    duty = counsellor(district=places["heping"])
    not_a_counsellor = TeacherFactory()
    client.force_login(CityStaffFactory())
    form = client.get("/admin/dutycounsellor/new/").context["form"]
    offered = set(form.fields["counsellor"].queryset)
    assert duty in offered and not_a_counsellor not in offered
    response = client.post(
        "/admin/dutycounsellor/new/",
        {"district": places["heping"].pk, "counsellor": duty.pk, "email": ""},
    )
    assert response.status_code == 302
    from sunshine_mailbox.models import DutyCounsellor

    assert DutyCounsellor.objects.get().counsellor == duty
