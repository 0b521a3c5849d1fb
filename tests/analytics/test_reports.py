"""The reach reports (数据报表) in the admin: every district listed, the same numbers by district,
school, series, lesson and day, campaign presets, filters, a chart each, and a number of
queries that does not grow with the number of schools or days."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.reports.data import build_report
from analytics.reports.params import ReportParamError, build_request, resolve_preset
from analytics.stores import get_store
from courses.models import Campaign
from sunshine.directory.models import District
from tests.analytics.reports_support import (
    DAY,
    HEPING,
    SHENHE,
    catalogue,
    city_staff,
    module_data,
    play,
    plays,
    school,
)

pytestmark = pytest.mark.django_db
site = module_data("site", catalogue)


def rows_of(report):
    return {row.key: row for row in report.rows}


def test_the_district_report_lists_all_13_districts_and_unknown_even_with_no_data(client):
    client.force_login(city_staff())
    response = client.get("/admin/reach-district/")
    assert response.status_code == 200
    html = response.content.decode()
    for district in District.objects.all():
        assert district.name in html
    assert "未知" in html

    report = build_report(build_request(by="district"))
    assert len(report.rows) == 14
    assert all(row.views == 0 and row.viewers == 0 for row in report.rows)
    assert report.total.views == 0


def test_views_viewers_hours_and_completions_per_district(site):
    heping = school(HEPING)
    lesson = site.lessons[0]
    play(lesson, school_obj=heping, viewer="a", watched=600, duration=600)  # completed
    play(lesson, school_obj=heping, viewer="b", watched=120, duration=600)
    play(lesson, school_obj=heping, viewer="b", watched=5, duration=600)  # too short to count
    play(lesson, district_code=SHENHE, viewer="c", watched=300, duration=600)
    play(lesson, viewer="d", watched=60, duration=600)  # no attribution: 未知

    report = build_report(build_request(by="district", date_from=DAY, date_to=DAY))
    rows = rows_of(report)
    assert (rows[HEPING].views, rows[HEPING].viewers, rows[HEPING].completions) == (2, 2, 1)
    assert rows[HEPING].watch_seconds == 720  # watch time of counted plays
    assert rows[HEPING].completion_rate == 50.0
    assert (rows[SHENHE].views, rows[""].views) == (1, 1)
    assert report.total.views == 4
    assert report.total.viewers == 4


def test_by_school_within_a_district_lists_every_school_of_it(site):
    first, second = school(HEPING, name="和平一校"), school(HEPING, name="和平二校")
    elsewhere = school(SHENHE, name="沈河一校")
    plays(site.lessons[0], 3, school_obj=first)
    play(site.lessons[0], district_code=HEPING, viewer="district-only")

    report = build_report(build_request(by="school", district=HEPING, date_to=DAY))
    rows = rows_of(report)
    assert set(rows) == {(HEPING, first.pk), (HEPING, second.pk), (HEPING, 0)}
    assert (HEPING, elsewhere.pk) not in rows and (SHENHE, elsewhere.pk) not in rows
    views = [rows[(HEPING, key)].views for key in (first.pk, second.pk, 0)]
    assert views == [3, 0, 1]
    assert rows[(HEPING, 0)].label.startswith("未知学校")


def test_the_city_wide_school_report_groups_schools_by_district_and_adds_up(site):
    """Each district's schools and its own 未知学校 row add up to the district's row."""
    heping, shenhe = school(HEPING, name="和平一校"), school(SHENHE, name="沈河一校")
    plays(site.lessons[0], 3, school_obj=heping, viewer="h")
    plays(site.lessons[0], 2, district_code=HEPING, viewer="hd")
    plays(site.lessons[0], 4, school_obj=shenhe, viewer="s")
    play(site.lessons[0], viewer="nowhere")

    schools = build_report(build_request(by="school", date_from=DAY, date_to=DAY))
    districts = rows_of(build_report(build_request(by="district", date_from=DAY, date_to=DAY)))
    groups = {}
    for row in schools.rows:
        groups[row.group_key] = groups.get(row.group_key, 0) + row.views
    assert groups[HEPING] == districts[HEPING].views == 5
    assert groups[SHENHE] == districts[SHENHE].views == 4
    assert groups[""] == districts[""].views == 1
    labels = [row.label for row in schools.rows if row.group_key == HEPING]
    assert labels[0] == "和平一校" and labels[-1].startswith("未知学校")
    assert schools.rows[-1].key == ("", 0)  # nobody knows where: the last row


def test_by_series_and_lesson(site):
    plays(site.lessons[0], 2, district_code=HEPING)
    plays(site.lessons[1], 1, district_code=HEPING, viewer="x")
    plays(site.lessons[2], 4, district_code=HEPING, viewer="y")

    series = rows_of(build_report(build_request(by="series", date_from=DAY, date_to=DAY)))
    assert (series[site.life.pk].views, series[site.science.pk].views) == (3, 4)
    assert series[site.life.pk].label == "珍爱生命"

    lessons = build_report(build_request(by="lesson", date_from=DAY, date_to=DAY))
    by_title = {row.label: row for row in lessons.rows}
    assert by_title["认识情绪"].views == 2 and by_title["认识情绪"].group == "珍爱生命"
    assert by_title["星空"].views == 4

    one_series = build_report(build_request(by="lesson", series=site.life.pk, date_to=DAY))
    assert {row.label for row in one_series.rows} == {"认识情绪", "学会求助"}


def test_the_daily_trend_has_a_row_for_every_day_of_the_range(site):
    play(site.lessons[0], day=DAY, viewer="a")
    play(site.lessons[0], day=DAY + datetime.timedelta(days=2), viewer="a")

    report = build_report(
        build_request(by="day", date_from=DAY, date_to=DAY + datetime.timedelta(days=6))
    )
    assert [row.key for row in report.rows][:3] == [
        DAY,
        DAY + datetime.timedelta(days=1),
        DAY + datetime.timedelta(days=2),
    ]
    assert len(report.rows) == 7
    assert [row.views for row in report.rows] == [1, 0, 1, 0, 0, 0, 0]


def test_viewers_over_several_days_are_marked_approximate(site):
    # The same child on two days: two people by the daily counts, one in truth.
    play(site.lessons[0], day=DAY, viewer="same-child", district_code=HEPING)
    play(
        site.lessons[0],
        day=DAY + datetime.timedelta(days=1),
        viewer="same-child",
        district_code=HEPING,
    )
    report = build_report(
        build_request(by="district", date_from=DAY, date_to=DAY + datetime.timedelta(days=1))
    )
    heping = rows_of(report)[HEPING]
    assert heping.viewers == 2 and not heping.exact
    assert heping.viewers_display == "≈2"
    assert heping.viewers_note == "按日累计，跨天未去重"


def test_a_whole_campaign_counts_each_viewer_once(site):
    # A campaign still open (a closed one no longer takes new viewers): these days are recent.
    today = timezone.localdate()
    starts = today - datetime.timedelta(days=10)
    campaign = Campaign.objects.create(
        name="本次寒假",
        kind="winter",
        starts_on=starts,
        ends_on=today + datetime.timedelta(days=20),
    )
    for days_ago in (8, 5):
        play(
            site.lessons[0],
            day=today - datetime.timedelta(days=days_ago),
            viewer="same-child",
            district_code=HEPING,
        )

    report = build_report(build_request(by="district", campaign=str(campaign.pk)))
    heping = rows_of(report)[HEPING]
    assert (heping.views, heping.viewers, heping.exact) == (2, 1, True)
    assert report.request.date_from == starts


def test_campaign_presets_pick_the_latest_holiday(site):
    Campaign.objects.create(
        name="2023暑假",
        kind="summer",
        starts_on=datetime.date(2023, 7, 10),
        ends_on=datetime.date(2023, 8, 31),
    )
    older = Campaign.objects.create(
        name="2023寒假",
        kind="winter",
        starts_on=datetime.date(2023, 1, 15),
        ends_on=datetime.date(2023, 2, 20),
    )
    latest = Campaign.objects.create(
        name="2024寒假", kind="winter", starts_on=DAY, ends_on=datetime.date(2024, 2, 25)
    )
    assert resolve_preset("winter") == (latest, DAY, datetime.date(2024, 2, 25))
    assert resolve_preset("summer")[0].name == "2023暑假"
    assert resolve_preset(str(older.pk))[1] == datetime.date(2023, 1, 15)

    request = build_request(by="district", campaign="winter")
    assert (request.campaign, request.date_from) == (latest, DAY)


def test_a_preset_without_a_campaign_uses_the_usual_holiday_window(site):
    campaign, start, end = resolve_preset("summer")
    assert campaign is None
    assert (start.month, start.day, end.month, end.day) == (7, 10, 8, 31)


def test_track_and_grade_filters(site):
    plays(site.lessons[0], 2, district_code=HEPING)  # life, junior
    plays(site.lessons[2], 5, district_code=HEPING, viewer="s")  # science, senior

    life = build_report(build_request(by="district", track="life", date_to=DAY))
    assert rows_of(life)[HEPING].views == 2
    senior = build_report(build_request(by="district", grade_band="senior", date_to=DAY))
    assert rows_of(senior)[HEPING].views == 5
    series = build_report(build_request(by="series", track="science", date_to=DAY))
    assert [row.label for row in series.rows] == ["科学探索"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"by": "province"}, "bad_by"),
        ({"date_from": "2024-13-01"}, "bad_date"),
        ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, "bad_range"),
        ({"date_from": "2015-01-01", "date_to": "2024-01-01"}, "range_too_long"),
        ({"district": "999999"}, "unknown_district"),
        ({"track": "music"}, "bad_track"),
        ({"grade_band": "college"}, "bad_grade"),
        ({"campaign": "987654"}, "unknown_campaign"),
        ({"campaign": "winter", "date_from": "2024-01-01"}, "campaign_with_dates"),
        ({"district": "2101\x0002"}, "bad_parameter"),
    ],
)
def test_bad_report_parameters_are_explained_in_chinese(params, code):
    with pytest.raises(ReportParamError) as raised:
        build_request(**{"by": "district", **params})
    assert raised.value.code == code
    assert any("\u4e00" <= char <= "\u9fff" for char in raised.value.message)


@pytest.mark.parametrize("by", ["district", "school", "series", "lesson", "day"])
def test_every_report_page_has_an_svg_chart_and_export_buttons(client, site, by):
    plays(site.lessons[0], 2, school_obj=school(HEPING))
    client.force_login(city_staff())
    response = client.get(
        f"/admin/reach-{by}/", {"period_from": "2024-01-20", "period_to": "2024-01-25"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="reach-chart" role="img"' in html
    assert "export=xlsx" in html and "export=csv" in html
    assert "2024-01-20 至 2024-01-25" in html
    assert "数据更新至：20" in html  # reports read the rollups as they are: say how recent
    assert "可能少于 5 人观看的单元格" in html  # the suppression rule, on the screen


def test_filters_in_the_admin_narrow_the_report(client, site):
    plays(site.lessons[0], 2, district_code=HEPING)
    plays(site.lessons[2], 3, district_code=HEPING, viewer="s")
    client.force_login(city_staff())
    response = client.get(
        "/admin/reach-district/",
        {"period_from": "2024-01-01", "period_to": "2024-01-31", "track": "science"},
    )
    report = response.context["view"].report
    assert rows_of(report)[HEPING].views == 3


def test_a_report_screen_costs_the_same_queries_for_1_or_40_schools_and_days(client, site):
    """Report latency: the query count is constant in the number of schools and days."""
    user = city_staff()
    client.force_login(user)

    def count(by, **params):
        client.get(f"/admin/reach-{by}/", params)  # warm caches (session, content types)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/admin/reach-{by}/", params).status_code == 200
        return len(queries)

    one_school = school(HEPING)
    play(site.lessons[0], school_obj=one_school)
    short = {"period_from": "2024-01-22", "period_to": "2024-01-22", "district": HEPING}
    small = {by: count(by, **short) for by in ("school", "day", "district", "lesson")}

    for index in range(40):
        extra = school(HEPING)
        play(
            site.lessons[index % 3],
            school_obj=extra,
            viewer=f"v{index}",
            day=DAY + datetime.timedelta(days=index % 30),
            flush=False,
        )
    get_store().flush()
    long = {"period_from": "2024-01-01", "period_to": "2024-02-29", "district": HEPING}
    large = {by: count(by, **long) for by in ("school", "day", "district", "lesson")}

    assert large == small
    assert max(large.values()) <= 25, large
    # Two store queries per screen (rows and total), one more for the level above
    # (school → district, lesson → series), whatever the number of rows.
