"""Who sees which numbers: city staff everything, a district officer their own district only
(through every filter, URL, export and API parameter), teachers and editors no reports."""

import io

import pytest
from openpyxl import load_workbook

from analytics.reports.factories import ApiTokenFactory
from tests.analytics.reports_support import (
    DAY,
    HEPING,
    SHENHE,
    catalogue,
    city_staff,
    denied,
    district,
    district_officer,
    editor,
    module_data,
    plays,
    school,
    teacher,
)

pytestmark = pytest.mark.django_db
RANGE = {"period_from": "2024-01-01", "period_to": "2024-01-31"}
REPORTS = ["district", "school", "series", "lesson", "day"]


def build_city():
    """Six views in 和平区 (the officer's) and nine in 沈河区 (not theirs)."""
    site = catalogue()
    own, other = school(HEPING, name="和平本区学校"), school(SHENHE, name="沈河别区学校")
    plays(site.lessons[0], 6, school_obj=own, viewer="own")
    plays(site.lessons[0], 9, school_obj=other, viewer="other")
    return site


city = module_data("city", build_city)


def xlsx_rows(response):
    workbook = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_city_staff_see_every_district(client, city):
    client.force_login(city_staff())
    report = client.get("/admin/reach-district/", RANGE).context["view"].report
    views = {row.key: row.views for row in report.rows}
    assert (views[HEPING], views[SHENHE], report.total.views) == (6, 9, 15)


@pytest.mark.parametrize("by", REPORTS)
def test_a_district_officer_sees_only_their_district_in_every_report(client, city, by):
    client.force_login(district_officer(HEPING))
    response = client.get(f"/admin/reach-{by}/", RANGE)
    assert response.status_code == 200
    report = response.context["view"].report
    assert report.request.district.code == HEPING
    assert report.total.views == 6
    assert "沈河别区学校" not in response.content.decode()


@pytest.mark.parametrize("by", REPORTS)
def test_naming_another_district_in_the_url_still_gives_only_their_own(client, city, by):
    client.force_login(district_officer(HEPING))
    response = client.get(f"/admin/reach-{by}/", {**RANGE, "district": SHENHE})
    assert response.status_code == 200
    report = response.context["view"].report
    assert report.request.district.code == HEPING
    assert report.total.views == 6
    assert all(SHENHE not in (row.key, row.group_key) for row in report.rows)
    assert "沈河别区学校" not in response.content.decode()


def test_the_district_filter_offers_an_officer_only_their_district(client, city):
    client.force_login(district_officer(HEPING))
    form = client.get("/admin/reach-district/", RANGE).context["view"].filters.form
    assert [code for code, _ in form.fields["district"].choices] == [HEPING]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("by", ["district", "school"])
def test_an_officer_cannot_export_another_district(client, city, fmt, by):
    client.force_login(district_officer(HEPING))
    response = client.get(f"/admin/reach-{by}/", {**RANGE, "district": SHENHE, "export": fmt})
    assert response.status_code == 200
    if fmt == "xlsx":
        text = str(xlsx_rows(response))
    else:
        text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "沈河" not in text
    assert district(HEPING).name in text if by == "district" else "和平本区学校" in text


def test_an_officers_api_token_cannot_read_another_district(client, city):
    token = ApiTokenFactory(district=district(HEPING))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token.raw}"}

    other = client.get("/api/v1/reach", {"district": SHENHE, "from": "2024-01-01"}, **auth)
    assert other.status_code == 403
    assert other.json()["code"] == "forbidden_district"
    assert "15" not in other.content.decode() and "9" not in str(other.json().get("total"))

    own = client.get("/api/v1/reach", {"from": "2024-01-01", "to": "2024-01-31"}, **auth).json()
    assert own["scope"] == HEPING
    assert [row["key"] for row in own["rows"]] == [HEPING]
    assert own["total"]["views"] == 6

    schools = client.get(
        "/api/v1/reach", {"by": "school", "from": "2024-01-01", "to": "2024-01-31"}, **auth
    ).json()
    assert "沈河别区学校" not in str(schools)


def test_teachers_never_reach_the_reports(client, city):
    client.force_login(teacher())
    response = client.get("/admin/reach-district/", RANGE)
    assert response.status_code == 302
    assert "沈河" not in response.content.decode()


@pytest.mark.parametrize("by", REPORTS)
def test_editors_get_no_report_and_no_export(client, city, by):
    client.force_login(editor())
    assert denied(client.get(f"/admin/reach-{by}/", RANGE))
    assert denied(client.get(f"/admin/reach-{by}/", {**RANGE, "export": "xlsx"}))


def menu_labels(rf, user):
    """The labels of the admin menu (and its submenus) as Wagtail builds them for `user`."""
    from django.urls import reverse
    from wagtail.admin.menu import admin_menu

    reverse("wagtailadmin_home")  # loading the admin's URLs registers its viewsets and menus
    request = rf.get("/admin/")
    request.user = user
    labels = []
    for item in admin_menu.menu_items_for_request(request):
        labels.append(str(item.label))
        if hasattr(item, "menu"):
            labels += [str(sub.label) for sub in item.menu.menu_items_for_request(request)]
    return labels


def test_staff_see_the_reports_menu_and_editors_do_not(rf, city):
    officer = menu_labels(rf, district_officer(HEPING))
    assert "数据报表" in officer
    assert {"各区县覆盖", "每日趋势", "二维码海报"} <= set(officer)
    assert "数据接口令牌" not in officer  # city staff only
    assert "数据接口令牌" in menu_labels(rf, city_staff())
    assert "数据报表" not in menu_labels(rf, editor())


def test_anonymous_visitors_are_sent_to_sign_in(client, city):
    response = client.get("/admin/reach-district/", {"export": "csv"})
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_only_city_staff_issue_api_tokens(client, city):
    client.force_login(district_officer(HEPING))
    assert denied(client.get("/admin/reach-api-tokens/"))
    client.force_login(city_staff())
    assert client.get("/admin/reach-api-tokens/").status_code == 200


def test_a_report_date_is_the_day_in_shanghai():
    # Guards the constant used throughout these tests.
    assert DAY.isoformat() == "2024-01-22"


def test_migrate_gives_the_report_permission_to_city_and_district_staff_only(db):
    from django.contrib.auth.models import Group

    from sunshine.roles.names import CITY_STAFF, DISTRICT_STAFF, EDITOR, TEACHER

    # No ensure_report_permissions() here: analytics.roles did it after migrate.
    def has_reports(name):
        return Group.objects.filter(name=name, permissions__codename="view_reach_reports").exists()

    assert has_reports(CITY_STAFF) and has_reports(DISTRICT_STAFF)
    assert not has_reports(TEACHER) and not has_reports(EDITOR)
