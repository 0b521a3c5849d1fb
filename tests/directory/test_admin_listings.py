"""Directory listings in the admin: city staff see the city, a district officer their district."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sunshine.directory.factories import DistrictFactory, SchoolFactory
from sunshine.directory.models import School
from sunshine.roles.factories import CityStaffFactory, DistrictStaffFactory, TeacherFactory
from tests.directory.helpers import read_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def heping():
    return DistrictFactory(code="210102")


@pytest.fixture
def shenhe():
    return DistrictFactory(code="210103")


@pytest.fixture
def schools(heping, shenhe):
    return {
        "heping_primary": SchoolFactory(code="H001", name="和平一校", district=heping),
        "heping_junior": SchoolFactory(
            code="H002", name="和平二中", district=heping, stage=School.Stage.JUNIOR
        ),
        "shenhe_primary": SchoolFactory(code="S001", name="沈河一校", district=shenhe),
    }


def listing(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_district_officer_lists_only_their_own_districts_schools(client, heping, schools):
    client.force_login(DistrictStaffFactory(district=heping))

    html = listing(client, reverse("school:index"))

    assert "和平一校" in html and "和平二中" in html
    assert "沈河一校" not in html


def test_a_district_officer_cannot_reach_another_district_through_a_filter_or_url(
    client, heping, shenhe, schools
):
    client.force_login(DistrictStaffFactory(district=heping))

    html = listing(client, reverse("school:index"), district=shenhe.pk)
    assert "沈河一校" not in html
    # The district filter offers only their own district.
    assert f'<option value="{heping.pk}">和平区</option>' in html
    assert "沈河区</option>" not in html

    other = client.get(reverse("school:inspect", args=[schools["shenhe_primary"].pk]))
    assert other.status_code == 302  # Wagtail's "no permission" redirect, with a message
    own = client.get(reverse("school:inspect", args=[schools["heping_primary"].pk]))
    assert own.status_code == 200 and "和平一校" in own.content.decode()


def test_a_district_officer_cannot_edit_or_add_schools(client, heping, schools):
    client.force_login(DistrictStaffFactory(district=heping))

    assert (
        client.get(reverse("school:edit", args=[schools["heping_primary"].pk])).status_code == 302
    )
    assert client.get(reverse("school:add")).status_code == 302
    response = client.post(
        reverse("school:edit", args=[schools["heping_primary"].pk]),
        {"code": "H001", "name": "改名", "district": heping.pk, "stage": "primary"},
    )
    assert response.status_code == 302
    assert School.objects.get(code="H001").name == "和平一校"


def test_a_district_officers_export_holds_only_their_district(client, heping, schools):
    client.force_login(DistrictStaffFactory(district=heping))

    response = client.get(reverse("school:index"), {"export": "xlsx"})

    rows = read_xlsx(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert rows[0] == ["学校代码", "学校名称", "区县", "区县代码", "学段", "在校学生数"]
    assert sorted(row[:5] for row in rows[1:]) == [
        ["H001", "和平一校", "和平区", "210102", "小学"],
        ["H002", "和平二中", "和平区", "210102", "初中"],
    ]


def test_city_staff_see_every_school_and_filter_by_district_and_stage(client, shenhe, schools):
    client.force_login(CityStaffFactory())

    html = listing(client, reverse("school:index"))
    assert all(name in html for name in ("和平一校", "和平二中", "沈河一校"))

    by_district = listing(client, reverse("school:index"), district=shenhe.pk)
    assert "沈河一校" in by_district and "和平一校" not in by_district

    by_stage = listing(client, reverse("school:index"), stage="junior")
    assert "和平二中" in by_stage and "和平一校" not in by_stage

    searched = listing(client, reverse("school:index"), q="二中")
    assert "和平二中" in searched and "沈河一校" not in searched


def test_the_csv_export_starts_with_a_bom_so_excel_shows_chinese(client, schools):
    client.force_login(CityStaffFactory())

    response = client.get(reverse("school:index"), {"export": "csv"})

    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff学校代码,学校名称,区县,区县代码,学段")
    assert "S001,沈河一校,沈河区,210103,小学" in body


def test_the_district_listing_exports_all_13_with_school_counts(client, schools):
    client.force_login(CityStaffFactory())

    rows = read_xlsx(client.get(reverse("district:index"), {"export": "xlsx"}).getvalue())

    assert rows[0] == ["行政区划代码", "区县", "类型", "学校数"]
    assert len(rows) == 14
    assert ["210102", "和平区", "市辖区", 2] in rows
    assert ["210124", "法库县", "县", 0] in rows


def test_a_district_officer_sees_only_their_districts_accounts(client, heping, schools):
    TeacherFactory(
        username="heping-teacher", first_name="和平老师", school=schools["heping_primary"]
    )
    TeacherFactory(
        username="shenhe-teacher", first_name="沈河老师", school=schools["shenhe_primary"]
    )
    client.force_login(DistrictStaffFactory(district=heping))

    html = listing(client, reverse("accounts:index"))
    assert "和平老师" in html and "沈河老师" not in html

    rows = read_xlsx(client.get(reverse("accounts:index"), {"export": "xlsx"}).getvalue())
    assert rows[0] == ["用户名/工号", "姓名", "角色", "学校代码", "学校", "区县", "手机号"]
    assert ["heping-teacher", "和平老师", "教师", "H001", "和平一校", "和平区", None] in rows
    assert not any(row[0] == "shenhe-teacher" for row in rows)


def test_deleting_a_school_that_still_has_teachers_is_refused_politely(client, schools):
    school = schools["heping_primary"]
    TeacherFactory(school=school)
    client.force_login(CityStaffFactory())

    response = client.post(reverse("school:delete", args=[school.pk]), follow=True)

    assert response.status_code == 200
    assert School.objects.filter(pk=school.pk).exists()
    assert "仍有账号或统计数据关联，不能删除" in response.content.decode()


def test_city_staff_delete_an_unused_school(client, schools):
    client.force_login(CityStaffFactory())

    client.post(reverse("school:delete", args=[schools["shenhe_primary"].pk]))

    assert not School.objects.filter(code="S001").exists()


def test_the_school_listing_costs_the_same_queries_for_3_or_40_schools(client, heping):
    client.force_login(CityStaffFactory())

    def queries_for_listing():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("school:index")).status_code == 200
        return len(captured)

    for n in range(3):
        SchoolFactory(code=f"Q{n:03d}", district=heping)
    few = queries_for_listing()
    for n in range(3, 40):
        SchoolFactory(code=f"Q{n:03d}", district=heping)
    assert queries_for_listing() == few


def test_city_staff_edit_a_schools_enrollment_in_the_admin(client, schools):
    client.force_login(CityStaffFactory())
    school = School.objects.get(code="H001")
    url = reverse("school:edit", args=[school.pk])
    form = {"code": "H001", "name": school.name, "district": school.district_id}
    form["stage"] = school.stage

    refused = client.post(url, {**form, "enrollment": "-3"})
    assert refused.status_code == 200
    school.refresh_from_db()
    assert school.enrollment is None

    assert client.post(url, {**form, "enrollment": "1350"}).status_code == 302
    school.refresh_from_db()
    assert school.enrollment == 1350
    assert "1350" in client.get(reverse("school:index")).content.decode()
