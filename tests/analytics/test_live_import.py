"""Staff import live-event participation from the meeting platform's export: bad rows are
reported by their line number, good rows are kept, nothing is counted twice, an import can be
undone in the admin, and the reports show the figures as imported."""

import io

import pytest
from openpyxl import Workbook

from analytics.live_import import TableError, import_live_participation
from analytics.models import LiveParticipation, LiveParticipationImport
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


def upload(client, text, name="直播.csv"):
    data = io.BytesIO(text.encode("utf-8"))
    data.name = name
    return client.post("/admin/reach-live-import/new/", {"file": data}, follow=True)


def test_staff_upload_in_the_admin_and_see_line_numbers(client, schools):
    client.force_login(city_staff())
    assert client.get("/admin/reach-live-import/new/").status_code == 200

    response = upload(client, CSV)
    html = response.content.decode()
    assert response.status_code == 200
    assert "已导入 3 行" in html
    assert "第 4 行" in html and "第 9 行" in html
    assert LiveParticipation.objects.count() == 3


def test_the_same_file_uploaded_again_is_refused_and_counts_once(client, schools):
    first = import_live_participation(CSV.encode("utf-8"), "直播.csv")
    with pytest.raises(TableError, match="导入过") as refused:
        import_live_participation(CSV.encode("utf-8"), "直播(1).csv")
    assert "删除" in str(refused.value)  # says how to correct an import instead
    assert LiveParticipation.objects.count() == 3
    assert LiveParticipationImport.objects.get().pk == first.pk

    client.force_login(city_staff())
    response = upload(client, CSV, name="直播(2).csv")
    assert "导入过" in response.content.decode()
    assert LiveParticipation.objects.count() == 3


def test_rows_already_imported_from_another_file_are_not_counted_twice(schools):
    import_live_participation(CSV.encode("utf-8"), "一月.csv")
    overlapping = (
        "日期,直播活动,区县,参与人次\n"
        "2024-01-22,阳光成长第1期,和平区,1200\n"  # line 2: already imported from 一月.csv
        "2024-01-27,阳光成长第3期,和平区,50\n"  # line 3: new
        "2024-01-27,  阳光成长第3期 ,210102,60\n"  # line 4: the same event, place and day
    )
    batch = import_live_participation(overlapping.encode("utf-8"), "一月补充.csv")
    assert batch.rows_imported == 1
    messages = {error["line"]: error["message"] for error in batch.errors}
    assert "一月.csv" in messages[2] and "未重复导入" in messages[2]
    assert "与第 3 行重复" in messages[4]
    heping = LiveParticipation.objects.filter(district__code=HEPING)
    assert sorted(heping.values_list("participants", flat=True)) == [50, 300, 1200]


def test_a_file_fixed_by_adding_a_school_imports_only_the_rows_it_missed(schools):
    text = (
        "日期,直播活动,学校,参与人次\n2024-01-22,阳光成长,HP200,10\n2024-01-22,阳光成长,HP201,20\n"
    )
    first = import_live_participation(text.encode(), "学校.csv")
    assert (first.rows_imported, first.rows_rejected) == (1, 1)
    school(HEPING, code="HP201", name="和平新学校")

    again = import_live_participation(text.encode(), "学校.csv")
    assert again.rows_imported == 1
    assert "未重复导入" in again.errors[0]["message"]
    assert LiveParticipation.objects.count() == 2


def test_staff_list_imports_and_delete_one_to_undo_it(client, schools):
    batch = import_live_participation(CSV.encode("utf-8"), "要撤销的导入.csv")
    client.force_login(city_staff())
    listing = client.get("/admin/reach-live-import/").content.decode()
    assert "要撤销的导入.csv" in listing
    assert f"/admin/reach-live-import/delete/{batch.pk}/" in listing

    def live_total():
        request = build_request(by="district", date_from="2024-01-01", date_to="2024-01-31")
        return build_report(request).total.live_participants

    assert live_total() == 2300
    response = client.post(f"/admin/reach-live-import/delete/{batch.pk}/")
    assert response.status_code == 302
    assert not LiveParticipationImport.objects.exists()
    assert not LiveParticipation.objects.exists()
    assert live_total() == 0
    # Undone, the same file may be imported again.
    assert import_live_participation(CSV.encode("utf-8"), "要撤销的导入.csv").rows_imported == 3


def test_a_district_officer_sees_and_undoes_only_their_districts_imports(client, schools):
    city_batch = import_live_participation(CSV.encode("utf-8"), "全市.csv")
    officer = district_officer(HEPING)
    own = import_live_participation(
        "日期,直播活动,区县,参与人次\n2024-02-01,阳光成长第9期,和平区,70\n".encode(),
        "和平区.csv",
        user=officer,
        scope=district(HEPING),
    )
    assert own.scope_label == "和平区"
    client.force_login(officer)
    listing = client.get("/admin/reach-live-import/").content.decode()
    assert "和平区.csv" in listing and "全市.csv" not in listing
    assert client.get(f"/admin/reach-live-import/inspect/{city_batch.pk}/").status_code == 404
    assert client.post(f"/admin/reach-live-import/delete/{city_batch.pk}/").status_code == 404
    assert LiveParticipationImport.objects.filter(pk=city_batch.pk).exists()
    assert client.post(f"/admin/reach-live-import/delete/{own.pk}/").status_code == 302
    assert not LiveParticipationImport.objects.filter(pk=own.pk).exists()


def test_teachers_cannot_import(client, schools):
    from tests.analytics.reports_support import teacher

    client.force_login(teacher())
    response = client.get("/admin/reach-live-import/new/")
    assert response.status_code in (302, 403)
    assert "开始导入" not in response.content.decode()


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
    response = upload(client, CSV)
    assert "已导入 2 行" in response.content.decode()  # 和平区's rows only
    assert LiveParticipationImport.objects.get().district.code == HEPING
