"""Exports: xlsx that openpyxl (and Excel) read back with Chinese headings, CSV that starts with
the UTF-8 BOM so Excel on Windows shows the Chinese, and small cells suppressed."""

import csv
import io

import pytest
from openpyxl import load_workbook

from analytics.reports.data import ReportRow
from analytics.reports.suppression import HIDDEN, SMALL, apply_suppression, published
from tests.analytics.reports_support import (
    HEPING,
    SHENHE,
    XINMIN,
    catalogue,
    city_staff,
    district,
    plays,
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


@pytest.fixture
def city():
    """和平区 3 viewers (small), 沈河区 8, 新民市 20; everything else zero."""
    site = catalogue()
    plays(site.lessons[0], 3, district_code=HEPING, viewer="h")
    plays(site.lessons[0], 8, district_code=SHENHE, viewer="s")
    plays(site.lessons[0], 20, district_code=XINMIN, viewer="x")
    return site


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


def row(key, viewers, views=None):
    return ReportRow(key=key, label=str(key), viewers=viewers, views=views or viewers)


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
