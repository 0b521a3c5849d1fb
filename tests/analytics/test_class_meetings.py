""" "班会已开展": a signed-in teacher records a class meeting on a kit; the reports count
meetings and students per district and school."""

import datetime

import pytest
from django.utils import timezone

from analytics.models import ClassMeeting
from analytics.reports.data import build_report
from analytics.reports.params import build_request
from tests.analytics.reports_support import (
    HEPING,
    SHENHE,
    catalogue,
    editor,
    module_data,
    school,
    teacher,
)

pytestmark = pytest.mark.django_db
site = module_data("site", catalogue)


def record(client, kit, **data):
    values = {
        "held_on": timezone.localdate().isoformat(),
        "class_name": "三年级2班",
        "students": 42,
    }
    values.update(data)
    return client.post(f"/class-meetings/{kit.pk}/", values)


def test_a_kit_page_include_links_to_the_record_form(site):
    from django.template.loader import render_to_string

    html = render_to_string("analytics/class_meeting_link.html", {"kit": site.kit})
    assert f"/class-meetings/{site.kit.pk}/" in html
    assert "班会已开展" in html


def test_a_teacher_records_a_class_meeting_for_their_school(client, site):
    their_school = school(HEPING, name="和平阳光小学")
    client.force_login(teacher(their_school))

    form = client.get(f"/class-meetings/{site.kit.pk}/")
    assert form.status_code == 200
    assert "和平阳光小学" in form.content.decode()

    response = record(client, site.kit)
    assert response.status_code == 302
    meeting = ClassMeeting.objects.get()
    assert (meeting.school, meeting.district.code, meeting.students) == (their_school, HEPING, 42)
    assert meeting.kit_id == site.kit.pk
    assert "已登记" in client.get(response["Location"]).content.decode()


def test_the_same_class_is_not_counted_twice_for_one_kit_and_day(client, site):
    client.force_login(teacher(school(HEPING)))
    record(client, site.kit)
    again = record(client, site.kit)
    assert again.status_code == 200
    assert "已经登记过" in again.content.decode()
    assert ClassMeeting.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"students": 0}, "至少为 1"),
        ({"students": 500}, "不能超过 200"),
        (
            {"held_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()},
            "不能晚于今天",
        ),
        ({"class_name": ""}, "请填写班级"),
        ({"held_on": ""}, "请选择开展日期"),
        ({"held_on": "2026-02-30"}, "请填写有效的日期"),
    ],
)
def test_impossible_entries_are_refused_in_chinese(client, site, data, message):
    client.force_login(teacher(school(HEPING)))
    response = record(client, site.kit, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ClassMeeting.objects.exists()


def test_visitors_must_sign_in_and_staff_without_a_school_cannot_record(client, site):
    anonymous = client.get(f"/class-meetings/{site.kit.pk}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    client.force_login(editor())
    response = record(client, site.kit)
    assert response.status_code == 403
    assert not ClassMeeting.objects.exists()


def test_reports_count_meetings_and_students_per_district_and_school(client, site):
    heping_school, shenhe_school = school(HEPING), school(SHENHE)
    for their_school, classes in ((heping_school, ["1班", "2班"]), (shenhe_school, ["5班"])):
        client.force_login(teacher(their_school))
        for name in classes:
            record(client, site.kit, class_name=name, students=30)

    request = build_request(by="district")
    rows = {row.key: row for row in build_report(request).rows}
    assert (rows[HEPING].class_meetings, rows[HEPING].class_meeting_students) == (2, 60)
    assert (rows[SHENHE].class_meetings, rows[SHENHE].class_meeting_students) == (1, 30)

    by_school = build_report(build_request(by="school", district=HEPING))
    school_rows = {row.key: row for row in by_school.rows}
    assert school_rows[(HEPING, heping_school.pk)].class_meetings == 2
    assert school_rows[(HEPING, 0)].class_meetings == 0
    assert by_school.total.class_meeting_students == 60


def test_the_date_picker_starts_at_today_in_the_iso_format_it_accepts(client, site):
    client.force_login(teacher(school(HEPING)))
    html = client.get(f"/class-meetings/{site.kit.pk}/").content.decode()
    today = timezone.localdate()
    assert f'value="{today.isoformat()}"' in html
    weekday = "一二三四五六日"[today.weekday()]
    assert f"{today.year}年{today.month}月{today.day}日 星期{weekday}</output>" in html
