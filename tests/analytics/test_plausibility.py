"""数据核查 and 待核实 on the demo's 2026寒假 (a small campaign: the same code as `seed_demo`,
fewer plays): the planted impossible cells are listed, a held range leaves every report, export
and the API's totals and is shown apart, releasing restores it, both are logged, and only city
staff can hold. Live imports above the plausibility cap are refused until city staff confirm."""

import io
from types import SimpleNamespace

import pytest
from django.core.management.base import OutputWrapper
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from analytics import checks, demo_campaign
from analytics.demo_campaign import PLANTED
from analytics.live_import import LIVE_IMPORT_CONFIRMED, import_live_participation
from analytics.models import DailyReach, HeldRange, LiveParticipation, LiveParticipationImport
from analytics.models.checks import HELD, RELEASED
from analytics.reports.factories import ApiTokenFactory
from analytics.reports.suppression import SMALL
from courses.models import Campaign
from sunshine.directory.models import District, School
from tests.analytics.reports_support import city_staff, district_officer, module_data

pytestmark = pytest.mark.django_db

SMALL_CAMPAIGN = 6000


def build_demo():
    from courses import demo as courses_demo
    from sunshine import demo as site_demo

    out = OutputWrapper(io.StringIO())
    site_demo.seed(out)
    courses_demo.seed(out)
    demo_campaign.seed(out, plays=SMALL_CAMPAIGN)
    campaign = Campaign.objects.get(name=demo_campaign.CAMPAIGN)
    return SimpleNamespace(campaign=campaign)


demo = module_data("demo", build_demo)


def planted_school(kind):
    item = next(p for p in PLANTED if p.kind == kind)
    return School.objects.get(code=item.place), item.day


def campaign_params(demo, **extra):
    return {"campaign": str(demo.campaign.pk), **extra}


def export_rows(client, path, params):
    response = client.get(path, {**params, "export": "xlsx"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    workbook = load_workbook(io.BytesIO(body))
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    return rows, workbook


# --- 数据核查 -------------------------------------------------------------------------------


def test_every_planted_cell_is_listed_in_the_checks_report(client, demo):
    client.force_login(city_staff())
    response = client.get("/admin/reach-checks/", campaign_params(demo))
    assert response.status_code == 200
    findings = response.context["view"].findings
    found = {(f.kind, f.school.code if f.school else f.district.code, f.day) for f in findings}
    for item in PLANTED:
        assert (item.kind, item.place, item.day) in found, item
    assert any(f.kind == "live_over_enrollment" for f in findings)
    page = response.content.decode()
    assert "学校单日人数超过在校学生数" in page and "标记待核实" in page
    # Ordinary schools on ordinary days are not findings: each finding is a planted place.
    planted_places = {item.place for item in PLANTED} | {
        f.school.code for f in findings if f.kind == "live_over_enrollment"
    }
    assert {f.school.code if f.school else f.district.code for f in findings} <= planted_places


def test_the_checks_export_lists_the_findings_in_chinese(client, demo):
    client.force_login(city_staff())
    rows, _ = export_rows(client, "/admin/reach-checks/", campaign_params(demo))
    assert rows[0][:3] == ["日期", "问题", "区县"]
    school, day = planted_school("school_over_enrollment")
    row = next(r for r in rows if r[4] == school.code and r[1] == "学校单日人数超过在校学生数")
    assert str(school.enrollment) in row[6].replace(",", "")


def test_a_district_officer_sees_only_their_districts_findings_and_cannot_mark(client, demo):
    school, day = planted_school("school_over_enrollment")
    client.force_login(district_officer(school.district.code))
    response = client.get("/admin/reach-checks/", campaign_params(demo))
    findings = response.context["view"].findings
    assert findings and {f.district.code for f in findings} == {school.district.code}
    assert "标记待核实</a>" not in response.content.decode()
    # Naming another district falls back to their own.
    other = client.get("/admin/reach-checks/", campaign_params(demo, district="210124"))
    assert {f.district.code for f in other.context["view"].findings} == {school.district.code}


# --- 待核实 ---------------------------------------------------------------------------------


def district_figures(client, demo):
    response = client.get("/admin/reach-district/", campaign_params(demo))
    report = response.context["view"].report
    return report, {row.key: row for row in report.rows}


def api(client, token, demo, **params):
    response = client.get(
        "/api/v1/reach",
        {"campaign": str(demo.campaign.pk), **params},
        HTTP_AUTHORIZATION=f"Bearer {token.raw}",
    )
    assert response.status_code == 200
    return response.json()


def hold(client, school, day, reason="人数超过在校学生数，待区县核实"):
    return client.post(
        "/admin/reach-held/new/",
        {
            "school": school.pk,
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
            "reason": reason,
        },
    )


def test_holding_a_range_takes_it_out_of_every_total_and_shows_it_apart_and_release_restores(
    client, demo
):
    staff = city_staff()
    client.force_login(staff)
    token = ApiTokenFactory()
    school, day = planted_school("school_over_enrollment")
    code = school.district.code
    before, before_rows = district_figures(client, demo)
    before_api = api(client, token, demo)
    before_schools = api(client, token, demo, by="school", district=code)
    held_plays = DailyReach.objects.get(day=day, grain=3, school_id=school.pk).views

    form = client.get(
        "/admin/reach-held/new/", {"school": school.code, "date_from": day, "date_to": day}
    )
    assert form.status_code == 200
    assert form.context["form"].initial == {"school": school.pk, "date_from": day, "date_to": day}
    assert hold(client, school, day).status_code == 302
    mark = HeldRange.objects.get()
    listing = client.get("/admin/reach-held/").content.decode()
    assert school.name in listing and "待核实（不计入合计）" in listing
    assert client.get(f"/admin/reach-held/edit/{mark.pk}/").status_code == 200
    assert (mark.school, mark.marked_by, mark.is_active) == (school, staff, True)
    entry = ModelLogEntry.objects.get(action=HELD)
    assert entry.user == staff and entry.data["reason"] == "人数超过在校学生数，待区县核实"

    # The page: the district's row and the total lose the held plays; the range is listed apart.
    during, during_rows = district_figures(client, demo)
    assert during.total.views == before.total.views - held_plays
    # Over the whole holiday viewers stay deduplicated (exact), held part and rest alike.
    assert during.total.exact and during.held[0].exact
    assert during_rows[code].views == before_rows[code].views - held_plays
    assert during_rows[code].viewers < before_rows[code].viewers
    assert [row.views for row in during.held] == [held_plays]
    page = client.get("/admin/reach-district/", campaign_params(demo)).content.decode()
    assert "待核实（不计入合计）" in page and school.name in page

    # Every report: by school, series, lesson and day.
    for by in ("school", "series", "lesson", "day"):
        report = client.get(f"/admin/reach-{by}/", campaign_params(demo)).context["view"].report
        assert report.total.views == before.total.views - held_plays, by
        assert sum(row.views for row in report.rows) == report.total.views or by in (
            "school",
            "lesson",
        ), by
        assert [row.views for row in report.held] == [held_plays], by
    schools = client.get("/admin/reach-school/", campaign_params(demo)).context["view"].report
    assert next(r for r in schools.rows if r.key == (code, school.pk)).views == (
        next(r for r in before_schools["rows"] if r["key"] == str(school.pk))["views"] - held_plays
    )

    # The export: the total row is the page's, the held range a row of its own after it.
    rows, workbook = export_rows(client, "/admin/reach-district/", campaign_params(demo))
    labels = [row[0] for row in rows]
    total = rows[labels.index("合计")]
    assert total[2] == during.total.views
    held_row = rows[labels.index("合计") + 1]
    assert held_row[0].startswith("待核实（不计入合计）：" + school.name)
    assert held_row[2] == held_plays
    notes = [row[0] for row in workbook["说明"].iter_rows(values_only=True)]
    assert any("待核实" in line for line in notes)

    # The API: total without it, the range under "held".
    during_api = api(client, token, demo)
    assert during_api["total"]["views"] == before_api["total"]["views"] - held_plays
    assert [row["views"] for row in during_api["held"]] == [held_plays]
    assert before_api["held"] == []

    # Releasing restores every figure, and is logged with its reason.
    response = client.post(
        f"/admin/reach-held/edit/{mark.pk}/", {"release_reason": "区县核实：当日全校统一观看"}
    )
    assert response.status_code == 302
    mark.refresh_from_db()
    assert mark.released_by == staff and not mark.is_active
    released = ModelLogEntry.objects.get(action=RELEASED)
    assert released.user == staff and released.data["reason"] == "区县核实：当日全校统一观看"
    after, after_rows = district_figures(client, demo)
    assert after.total.views == before.total.views and after.held == []
    assert after_rows[code].viewers == before_rows[code].viewers
    assert api(client, token, demo) == before_api
    # A released mark cannot be released again.
    again = client.post(f"/admin/reach-held/edit/{mark.pk}/", {"release_reason": "再次"})
    assert again.status_code == 302 and ModelLogEntry.objects.filter(action=RELEASED).count() == 1


def test_the_checks_report_shows_a_held_finding_as_held(client, demo):
    client.force_login(city_staff())
    school, day = planted_school("school_over_enrollment")
    hold(client, school, day)
    findings = client.get("/admin/reach-checks/", campaign_params(demo)).context["view"].findings
    held = [f for f in findings if f.school == school and f.day == day]
    assert held and all(f.held is not None for f in held)


def test_overlapping_holds_on_one_school_are_refused(client, demo):
    client.force_login(city_staff())
    school, day = planted_school("jump")
    assert hold(client, school, day).status_code == 302
    response = hold(client, school, day, reason="又一次")
    assert response.status_code == 200
    assert "重叠" in response.content.decode()
    assert HeldRange.objects.count() == 1


def test_district_officers_cannot_hold_or_release_through_the_admin(client, demo):
    school, day = planted_school("school_over_enrollment")
    client.force_login(district_officer(school.district.code))
    assert client.get("/admin/reach-held/new/").status_code in (302, 403)
    response = hold(client, school, day)
    assert response.status_code in (302, 403)
    assert not HeldRange.objects.exists()

    mark = HeldRange.objects.create(school=school, date_from=day, date_to=day, reason="市里标记")
    response = client.post(f"/admin/reach-held/edit/{mark.pk}/", {"release_reason": "区里解除"})
    assert response.status_code in (302, 403)
    mark.refresh_from_db()
    assert mark.is_active and not ModelLogEntry.objects.filter(action=RELEASED).exists()
    assert client.get("/admin/reach-held/").status_code in (302, 403)


# --- the demo's numbers ----------------------------------------------------------------------


def test_the_demo_export_of_districts_has_numbers_in_every_row_of_five_viewers_or_more(
    client, demo
):
    client.force_login(city_staff())
    for params in (campaign_params(demo), {}):  # the holiday, and the default last 30 days
        report = client.get("/admin/reach-district/", params).context["view"].report
        rows, workbook = export_rows(client, "/admin/reach-district/", params)
        by_label = {row[0]: row for row in rows[1:]}
        districts = [row for row in report.rows if row.code]
        assert len(districts) == 13
        for row in districts:
            exported = by_label[row.label]
            # Five viewers or more for sure: exact, or at least five on one day (viewers summed
            # over days may be one child five times, so those follow the lower bound).
            if row.viewers_floor >= 5:
                assert exported[2] == row.views and exported[3] == row.viewers, row.label
                assert SMALL not in exported, row.label
        if params:
            # The whole holiday is deduplicated (exact) and every district has real numbers.
            assert all(row.exact and row.viewers >= 5 for row in districts)
            assert all(SMALL not in by_label[row.label] for row in districts)
        assert by_label["合计"][2] == report.total.views
        # The rule is explained inside the file.
        notes = "\n".join(r[0] for r in workbook["说明"].iter_rows(values_only=True))
        assert "<5" in notes and "合计为准确数字" in notes and "12356" in notes


def test_the_campaign_is_loaded_once_and_fills_every_district(demo):
    totals = {
        code: sum(DailyReach.objects.filter(grain=7, district=code).values_list("views", flat=True))
        for code in District.objects.values_list("code", flat=True)
    }
    assert all(totals.values()), totals
    before = DailyReach.objects.count(), sum(DailyReach.objects.values_list("views", flat=True))
    out = io.StringIO()
    demo_campaign.seed(OutputWrapper(out), plays=SMALL_CAMPAIGN)
    assert "跳过" in out.getvalue()
    after = DailyReach.objects.count(), sum(DailyReach.objects.values_list("views", flat=True))
    assert after == before


def test_the_demo_schools_have_enrollment(demo):
    assert not School.objects.filter(enrollment__isnull=True).exists()
    # Every district's schools together stay under what the city-wide check allows.
    assert checks.DISTRICT_FACTOR > 1


# --- live imports above the cap --------------------------------------------------------------


def live_csv(place_column, place, participants, event="阳光成长直播第9期"):
    header = "日期,直播活动,区县,学校,参与人次"
    district, school = (place, "") if place_column == "district" else ("", place)
    return f"{header}\n2026-02-20,{event},{district},{school},{participants}\n".encode()


def test_a_district_officer_importing_ten_million_participants_is_refused(client, demo):
    district = District.objects.get(code="210124")
    client.force_login(district_officer(district.code))
    upload = io.BytesIO(live_csv("district", district.name, 10_000_000))
    upload.name = "直播.csv"
    response = client.post(
        "/admin/reach-live-import/new/",
        {"file": upload, "confirm_above_cap": "on", "confirm_reason": "我确认"},
    )
    assert response.status_code == 302
    batch = LiveParticipation.objects.filter(held_on="2026-02-20")
    assert not batch.exists()
    record = LiveParticipationImport.objects.get(file_name="直播.csv")
    assert record.rows_imported == 0
    assert (
        "超出合理范围" in record.errors[0]["message"] or "合理上限" in record.errors[0]["message"]
    )
    assert not ModelLogEntry.objects.filter(
        action=LIVE_IMPORT_CONFIRMED, object_id=str(record.pk)
    ).exists()


def test_a_row_above_the_enrollment_is_refused_with_the_cap_until_city_staff_confirm(client, demo):
    school = School.objects.get(code="21012401")
    over = school.enrollment + 1
    refused = import_live_participation(live_csv("school", school.code, over), "a.csv")
    assert refused.rows_imported == 0
    message = refused.errors[0]["message"]
    assert (
        f"{over:,}" in message and f"{school.enrollment:,}" in message and "市级管理员" in message
    )

    # A district officer's confirmation is ignored.
    officer = district_officer(school.district.code)
    by_district = import_live_participation(
        live_csv("school", school.code, over, event="第10期"),
        "b.csv",
        user=officer,
        scope=school.district,
        confirm_reason="区里确认",
    )
    assert by_district.rows_imported == 0

    # City staff confirm through the admin, with a reason: imported and logged.
    staff = city_staff()
    client.force_login(staff)
    upload = io.BytesIO(live_csv("school", school.code, over, event="第11期"))
    upload.name = "c.csv"
    without_reason = client.post(
        "/admin/reach-live-import/new/", {"file": upload, "confirm_above_cap": "on"}
    )
    assert without_reason.status_code == 200 and "请写明核实情况" in without_reason.content.decode()
    upload.seek(0)
    response = client.post(
        "/admin/reach-live-import/new/",
        {"file": upload, "confirm_above_cap": "on", "confirm_reason": "平台数据含家长观看，已核实"},
    )
    assert response.status_code == 302
    row = LiveParticipation.objects.get(event_name="第11期")
    assert row.participants == over
    entry = ModelLogEntry.objects.get(action=LIVE_IMPORT_CONFIRMED, object_id=str(row.source_id))
    assert entry.user == staff
    assert entry.data == {"reason": "平台数据含家长观看，已核实", "lines": [2]}
    # Within the cap, nothing needs confirming.
    fine = import_live_participation(
        live_csv("school", school.code, school.enrollment, "第12期"), "d.csv"
    )
    assert fine.rows_imported == 1
