"""Staff import live-event participation from the meeting platform's export: bad rows are
reported by their line number, good rows are kept, and the reports show them as imported."""

import io

import pytest
from openpyxl import Workbook

from analytics.live_import import TableError, import_live_participation
from analytics.models import LiveParticipation
from analytics.reports.data import build_report
from analytics.reports.params import build_request
from tests.analytics.reports_support import (
    HEPING,
    SHENHE,
    city_staff,
    district,
    district_officer,
    school,
)

pytestmark = pytest.mark.django_db

CSV = (
    "日期,直播活动,区县,学校,参与人次\n"
    "2024-01-22,阳光成长第1期,和平区,,1200\n"  # line 2: good (district by name)
    "2024/1/23,阳光成长第1期,,HP200,300\n"  # line 3: good (school by code)
    "2024-02-30,阳光成长第1期,和平区,,10\n"  # line 4: no such date
    "2024-01-24,阳光成长第2期,火星区,,10\n"  # line 5: unknown district
    "2024-01-24,阳光成长第2期,210103,,abc\n"  # line 6: not a number
    "\n"  # line 7: blank, skipped but counted
    "2024-01-25,,210103,,5\n"  # line 8: no event
    "2024-01-25,阳光成长第2期,沈河区,HP200,5\n"  # line 9: school not in that district
    "2024-01-26,阳光成长第2期,210103,,800\n"  # line 10: good (district by code)
)


@pytest.fixture
def schools():
    return school(HEPING, code="HP200", name="和平直播学校")


def test_good_rows_are_kept_and_bad_rows_reported_by_line(schools):
    batch = import_live_participation(CSV.encode("utf-8"), "直播.csv")

    assert batch.rows_imported == 3
    assert [error["line"] for error in batch.errors] == [4, 5, 6, 8, 9]
    messages = {error["line"]: error["message"] for error in batch.errors}
    assert "日期" in messages[4]
    assert "火星区" in messages[5]
    assert "整数" in messages[6]
    assert "直播活动" in messages[8]
    assert "不属于沈河区" in messages[9]
    rows = LiveParticipation.objects.order_by("held_on")
    assert [(r.district.code, r.participants) for r in rows] == [
        (HEPING, 1200),
        (HEPING, 300),
        (SHENHE, 800),
    ]
    assert rows[1].school == schools


def test_an_excel_export_with_gbk_free_chinese_headers_imports(schools):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["日期", "直播名称", "学校", "参与人数"])
    sheet.append([__import__("datetime").date(2024, 1, 22), "阳光成长第3期", "和平直播学校", 450])
    sheet.append(["2024-01-22", "阳光成长第3期", "不存在的学校", 1])
    data = io.BytesIO()
    workbook.save(data)

    batch = import_live_participation(data.getvalue(), "live.xlsx")
    assert batch.rows_imported == 1
    assert batch.errors == [{"line": 3, "message": "没有找到学校“不存在的学校”"}]


def test_a_csv_saved_by_chinese_excel_in_gbk_imports(schools):
    data = "日期,直播活动,区县,参与人次\n2024-01-22,阳光成长,和平区,99\n".encode("gb18030")
    assert import_live_participation(data, "gbk.csv").rows_imported == 1


def test_a_file_without_the_needed_columns_is_refused_whole():
    with pytest.raises(TableError, match="参与人次"):
        import_live_participation("日期,直播活动,区县\n2024-01-22,x,和平区\n".encode(), "a.csv")


def test_a_district_officer_imports_only_their_own_district(schools):
    officer_scope = district(HEPING)
    batch = import_live_participation(CSV.encode(), "直播.csv", scope=officer_scope)
    assert batch.rows_imported == 2
    assert "只能导入本区县" in {e["line"]: e["message"] for e in batch.errors}[10]


def test_staff_upload_in_the_admin_and_see_line_numbers(client, schools):
    client.force_login(city_staff())
    page = client.get("/admin/reach-live-import/")
    assert page.status_code == 200

    upload = io.BytesIO(CSV.encode("utf-8"))
    upload.name = "直播.csv"
    response = client.post("/admin/reach-live-import/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "已导入 3 行" in html
    assert "第 4 行" in html and "第 9 行" in html
    assert LiveParticipation.objects.count() == 3


def test_the_district_report_shows_imported_live_participation_beside_reach(schools):
    import_live_participation(CSV.encode("utf-8"), "直播.csv")
    report = build_report(
        build_request(by="district", date_from="2024-01-01", date_to="2024-01-31")
    )
    rows = {row.key: row for row in report.rows}
    assert rows[HEPING].live_participants == 1500
    assert rows[SHENHE].live_participants == 800
    assert report.total.live_participants == 2300
    # Imported figures never leak into the measured columns.
    assert rows[HEPING].views == 0


def test_a_district_officer_may_upload(client, schools):
    client.force_login(district_officer(HEPING))
    assert client.get("/admin/reach-live-import/").status_code == 200
