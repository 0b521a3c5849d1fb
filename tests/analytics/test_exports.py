"""Exports: xlsx that openpyxl (and Excel) read back with Chinese headings, CSV that starts with
the UTF-8 BOM so Excel on Windows shows the Chinese, and small cells suppressed so that no
export, and no pair of exports, gives a small cell back."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from analytics.reports.data import ReportRow
from analytics.reports.suppression import HIDDEN, SMALL, apply_suppression, published
from tests.analytics.reports_support import (
    DAY,
    HEPING,
    SHENHE,
    XINMIN,
    catalogue,
    city_staff,
    district,
    module_data,
    play,
    plays,
    school,
)

pytestmark = pytest.mark.django_db
RANGE = {"period_from": "2024-01-01", "period_to": "2024-01-31"}
HEADINGS = [
    "区县",
    "行政区划代码",
    "人次",
    "人数",
    "人数说明",
    "观看时长（小时）",
    "完成人次",
    "完成率（%）",
]


def build_city():
    """和平区 3 viewers (small), 沈河区 8, 新民市 20; everything else zero."""
    site = catalogue()
    plays(site.lessons[0], 3, district_code=HEPING, viewer="h")
    plays(site.lessons[0], 8, district_code=SHENHE, viewer="s")
    plays(site.lessons[0], 20, district_code=XINMIN, viewer="x")
    return site


city = module_data("city", build_city)


def export(client, fmt, by="district", **params):
    client.force_login(city_staff())
    response = client.get(f"/admin/reach-{by}/", {**RANGE, **params, "export": fmt})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def by_label(rows):
    return {row[0]: row for row in rows[1:]}


def test_xlsx_reads_back_with_chinese_headings_and_every_district(client, city):
    response, body = export(client, "xlsx")
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = [list(r) for r in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)]
    assert rows[0][: len(HEADINGS)] == HEADINGS
    assert rows[0][-3:] == ["班会场次", "班会参加学生数", "直播参与人次（导入数据）"]
    labels = [row[0] for row in rows[1:]]
    assert len(labels) == 15  # 13 districts, 未知, 合计
    assert labels[-2:] == ["未知", "合计"]
    assert by_label(rows)["新民市"][2] == 20
    assert by_label(rows)["大东区"][2] == 0


def test_csv_starts_with_the_utf8_bom_and_has_chinese_headings(client, city):
    response, body = export(client, "csv")
    assert response["Content-Type"].startswith("text/csv")
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][: len(HEADINGS)] == HEADINGS
    assert by_label(rows)["新民市"][2] == "20"


def test_cells_under_5_viewers_are_suppressed_and_cannot_be_worked_out(client, city):
    _, body = export(client, "xlsx")
    rows = by_label(
        [list(r) for r in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)]
    )

    heping, shenhe, xinmin, total = rows["和平区"], rows["沈河区"], rows["新民市"], rows["合计"]
    assert heping[2:8] == [SMALL] * 6  # 3 viewers: every measure hidden
    # The smallest cell of 5 or more goes too, so total − visible is 3 + 8, not 3.
    assert shenhe[2:8] == [HIDDEN] * 6
    assert xinmin[2] == 20
    assert total[2] == 31  # totals stay exact
    visible = sum(
        row[2] for label, row in rows.items() if label != "合计" and isinstance(row[2], int)
    )
    assert total[2] - visible == 11


def test_the_admin_screen_shows_exact_figures_to_staff(client, city):
    client.force_login(city_staff())
    report = client.get("/admin/reach-district/", RANGE).context["view"].report
    rows = {row.key: row for row in report.rows}
    assert rows[HEPING].views == 3 and rows[HEPING].suppressed == "small"


def test_school_exports_suppress_too(client, city):
    _, body = export(client, "csv", by="school", district=HEPING)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["学校", "学校代码", "所属区县"]
    unknown_school = next(row for row in rows if row[0].startswith("未知学校"))
    assert unknown_school[3] == SMALL
    assert rows[-1][0] == "合计" and rows[-1][3] == SMALL  # 3 viewers in the whole table


def test_the_export_file_is_named_after_the_report_and_range(client, city):
    response, _ = export(client, "xlsx", by="day")
    assert "reach-day-20240101-20240131.xlsx" in response["Content-Disposition"]


def row(key, viewers, views=None, floor=None, group=None):
    return ReportRow(
        key=key,
        label=str(key),
        viewers=viewers,
        viewers_floor=viewers if floor is None else floor,
        views=views or viewers,
        group_key=group,
    )


def test_suppression_rules():
    rows = [row("a", 0), row("b", 1), row("c", 4), row("d", 5), row("e", 6), row("f", 50)]
    total = row("total", 66)
    apply_suppression(rows, total)
    assert [r.suppressed for r in rows] == ["", "small", "small", "merged", "", ""]
    assert published(rows[0], "views") == 0  # nobody watched: nothing to protect
    assert published(rows[3], "viewers") == HIDDEN
    assert published(rows[3], "label") == "d"
    assert total.suppressed == ""


def test_no_small_cells_means_nothing_hidden_and_a_small_total_is_suppressed():
    rows = [row("a", 5), row("b", 9)]
    apply_suppression(rows, row("total", 14))
    assert [r.suppressed for r in rows] == ["", ""]

    lonely = [row("a", 2), row("b", 0)]
    total = row("total", 2)
    apply_suppression(lonely, total)
    assert lonely[0].suppressed == "small" and total.suppressed == "small"


def test_district_names_come_from_the_directory():
    assert district(XINMIN).name == "新民市"


def test_a_child_counted_on_several_days_is_still_a_small_cell():
    # 7 by the daily counts (an upper bound), but never more than 2 on any one day.
    rows = [row("a", 7, floor=2), row("b", 30), row("c", 40)]
    apply_suppression(rows, row("total", 77, floor=40))
    assert [r.suppressed for r in rows] == ["small", "merged", ""]


def test_each_group_hides_its_own_complement():
    rows = [
        row("h-small", 2, group="和平"),
        row("h-big", 12, group="和平"),
        row("h-bigger", 30, group="和平"),
        row("s-one", 8, group="沈河"),
        row("s-two", 9, group="沈河"),
    ]
    apply_suppression(rows, row("total", 61))
    # 和平's subtotal is public (the district report): its small school needs a partner there.
    assert [r.suppressed for r in rows] == ["small", "merged", "", "", ""]


def test_a_group_hidden_one_level_up_hides_a_cell_too():
    # 沈河 is the district report's complementary cell, so something of it goes here as well:
    # otherwise this table's total minus its visible cells would give 和平's only school.
    rows = [
        row("h-only", 2, group="和平"),
        row("s-one", 8, group="沈河"),
        row("s-two", 9, group="沈河"),
    ]
    apply_suppression(rows, row("total", 19), hidden_groups={"和平", "沈河"})
    assert [r.suppressed for r in rows] == ["small", "merged", ""]


def export_rows(client, by, **params):
    _, body = export(client, "csv", by=by, **params)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]


def number(value):
    return int(value) if value.isdigit() else None


@pytest.mark.parametrize("scoped", [False, True])
def test_no_pair_of_school_and_district_exports_gives_a_small_school_back(client, city, scoped):
    """The review's case: an export by school (city-wide, or one district's) beside the export
    by district. 和平区 has 17 viewers: the module's 3 without a school, 2 at a small school and
    12 at a big one."""
    small, big = school(HEPING, name="和平小校"), school(HEPING, name="和平大校")
    plays(city.lessons[1], 2, school_obj=small, viewer="small")
    plays(city.lessons[1], 12, school_obj=big, viewer="big")

    by_district = {row[1]: row for row in export_rows(client, "district")}
    by_school = export_rows(client, "school", **({"district": HEPING} if scoped else {}))
    heping = {row[0]: row[3] for row in by_school if row[2] == "和平区"}

    assert by_district[HEPING][2] == "17"  # the district's subtotal is public
    assert heping["和平小校"] == SMALL
    # 17 minus the visible schools of 和平区 must be a sum of at least two hidden cells.
    hidden = [name for name, views in heping.items() if number(views) is None]
    assert len(hidden) >= 2, heping
    assert heping["和平大校"] == HIDDEN  # the smallest non-small cell of the group


def test_a_district_with_a_single_small_school_needs_help_from_another_district(client, city):
    """新民市 sees only 2 children, all at one school: its district row is small, the district
    export hides another district with it, and the school export hides a school there too."""
    lonely = school(XINMIN, name="新民小校")
    plays(city.lessons[2], 2, school_obj=lonely, viewer="lonely", day=DAY + timedelta(days=1))
    plays(city.lessons[2], 9, district_code=SHENHE, viewer="s2", day=DAY + timedelta(days=1))
    plays(city.lessons[2], 30, district_code=HEPING, viewer="h2", day=DAY + timedelta(days=1))

    params = {"period_from": "2024-01-23", "period_to": "2024-01-23"}
    by_district = {row[1]: row for row in export_rows(client, "district", **params)}
    by_school = export_rows(client, "school", **params)
    assert by_district[XINMIN][2] == "<5"
    partner = [code for code, row in by_district.items() if row[2] == HIDDEN]
    assert partner, by_district
    assert [row[3] for row in by_school if row[0] == "新民小校"] == ["<5"]
    partner_name = by_district[partner[0]][0]
    assert any(row[2] == partner_name and row[3] == HIDDEN for row in by_school)
    total = by_school[-1]
    visible = sum(number(row[3]) or 0 for row in by_school[:-1])
    # total minus visible is the small school plus a cell nobody else publishes.
    assert number(total[3]) - visible > 2


def test_no_pair_of_lesson_and_series_exports_gives_a_small_lesson_back(client, city):
    # 珍爱生命: 认识情绪 has the 31 plays of the module's city; 学会求助 gets 2 viewers.
    plays(city.lessons[1], 2, district_code=SHENHE, viewer="few")
    by_series = {row[0]: row for row in export_rows(client, "series")}
    by_lesson = export_rows(client, "lesson")
    life = [row for row in by_lesson if row[1] == "珍爱生命"]
    assert number(by_series["珍爱生命"][1]) == 33
    assert {row[0]: row[2] for row in life} == {"认识情绪": HIDDEN, "学会求助": SMALL}


def test_one_child_on_five_days_is_not_published_as_five_viewers(client, city):
    dadong = "210104"
    for offset in range(1, 6):
        play(city.lessons[2], day=DAY + timedelta(days=offset), viewer="same", district_code=dadong)
    plays(city.lessons[2], 9, district_code=XINMIN, viewer="other", day=DAY + timedelta(days=1))
    params = {"period_from": "2024-01-23", "period_to": "2024-01-27"}

    client.force_login(city_staff())
    screen = client.get("/admin/reach-district/", params).context["view"].report
    row = {r.key: r for r in screen.rows}[dadong]
    assert (row.views, row.viewers, row.viewers_floor, row.exact) == (5, 5, 1, False)

    exported = {r[1]: r for r in export_rows(client, "district", **params)}
    assert exported[dadong][2:4] == [SMALL, SMALL]
