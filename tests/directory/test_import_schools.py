"""A city officer imports the bureau's school list from whatever Excel or WPS saved."""

import pytest
from django.core.management import CommandError, call_command

from sunshine.directory.imports import import_schools
from sunshine.directory.models import School
from tests.directory.helpers import (
    csv_bytes,
    cut_sheet_in_half,
    damaged_xlsx,
    errors_by_line,
    without_sheets,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

HEADER = ["学校代码", "学校名称", "区县", "学段"]
GOOD = [
    ["2101020001", "和平区阳光小学", "和平区", "小学"],
    ["2101030002", "沈河区第二中学", "210103", "初中"],
    ["2101810003", "新民市第一高级中学", "新民市", "高中"],
]


def test_a_utf8_csv_creates_every_school_with_its_district_and_stage():
    result = import_schools(csv_bytes([HEADER, *GOOD]), "学校.csv")

    assert (result.created, result.errors, result.file_error) == (3, [], "")
    school = School.objects.get(code="2101030002")
    assert (school.name, school.district.name, school.stage) == (
        "沈河区第二中学",
        "沈河区",
        "junior",
    )
    assert School.objects.get(code="2101810003").district.code == "210181"


def test_bad_rows_are_reported_by_line_number_and_good_rows_are_kept():
    rows = [
        HEADER,
        GOOD[0],  # line 2
        ["2101990009", "火星小学", "火星区", "小学"],  # 3: unknown district
        ["2101020005", "", "和平区", "小学"],  # 4: missing name
        ["2101020001", "又一个阳光小学", "和平区", "小学"],  # 5: duplicate code in the file
        ["2101020006", "和平区某学校", "和平区", "大学"],  # 6: unknown stage
        ["", "", "", ""],  # 7: blank, skipped
        ["ABC 12", "空格代码学校", "和平区", "小学"],  # 8: invalid code
        GOOD[1],  # line 9
    ]
    result = import_schools(csv_bytes(rows), "学校.csv")

    errors = errors_by_line(result)
    assert set(errors) == {3, 4, 5, 6, 8}
    assert "未知区县" in errors[3] and "火星区" in errors[3]
    assert "缺少学校名称" in errors[4]
    assert "与第 2 行重复" in errors[5]
    assert "未知学段" in errors[6] and "小学" in errors[6]
    assert "学校代码只能包含" in errors[8]
    assert result.created == 2
    assert set(School.objects.values_list("code", flat=True)) == {"2101020001", "2101030002"}


def test_a_gbk_csv_from_excel_on_chinese_windows_is_read():
    result = import_schools(csv_bytes([HEADER, *GOOD], encoding="gbk"), "学校.csv")

    assert result.created == 3, result.summary()
    assert School.objects.get(code="2101020001").name == "和平区阳光小学"


def test_a_utf8_csv_with_bom_is_read_and_the_bom_does_not_hide_the_first_header():
    result = import_schools(csv_bytes([HEADER, *GOOD], bom=True), "学校.csv")

    assert (result.created, result.file_error) == (3, "")


def test_an_xlsx_with_codes_typed_as_numbers_and_district_codes_is_read():
    rows = [HEADER, [2101020001, "和平区阳光小学", 210102, "小学"], GOOD[1]]
    result = import_schools(xlsx_bytes(rows), "学校.xlsx")

    assert result.created == 2, result.summary()
    assert School.objects.get(code="2101020001").district.name == "和平区"


def test_importing_the_same_file_again_updates_instead_of_duplicating():
    data = csv_bytes([HEADER, *GOOD])
    import_schools(data, "学校.csv")

    again = import_schools(data, "学校.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    renamed = [HEADER, ["2101020001", "和平区阳光实验小学", "和平区", "九年一贯制"]]
    changed = import_schools(csv_bytes(renamed), "学校.csv")
    assert changed.updated == 1
    assert School.objects.count() == 3
    school = School.objects.get(code="2101020001")
    assert (school.name, school.get_stage_display()) == ("和平区阳光实验小学", "九年一贯制")


def test_a_second_school_with_the_same_name_in_a_district_is_refused_clearly():
    import_schools(csv_bytes([HEADER, GOOD[0]]), "a.csv")
    result = import_schools(
        csv_bytes([HEADER, ["2101020099", "和平区阳光小学", "和平", "小学"]]), "b.csv"
    )

    assert errors_by_line(result) == {
        2: "和平区已有同名学校“和平区阳光小学”（学校代码 2101020001）"
    }


def test_a_file_without_the_required_columns_says_which_are_missing():
    result = import_schools(csv_bytes([["学校代码", "学校名称"], ["1", "x"]]), "学校.csv")

    assert "缺少必填列：区县、学段" in result.file_error
    assert School.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\xd0\xcf\x11\xe0 old excel", "学校.xls", "不支持旧版 .xls"),
        (b"PK\x03\x04 not really a zip", "学校.xlsx", "无法读取该 Excel 文件"),
        (b"", "学校.csv", "文件是空的"),
        (b"\x81\xff\xfe\x80\x00\x9f" * 10, "学校.csv", "无法识别文件编码"),
    ],
)
def test_unreadable_files_get_a_clear_chinese_message(data, name, message):
    result = import_schools(data, name)

    assert message in result.file_error
    assert result.saved == 0


@pytest.mark.parametrize(
    "damage",
    [cut_sheet_in_half, without_sheets],
    ids=["sheet cut off halfway", "no sheet at all"],
)
def test_a_damaged_xlsx_gets_a_clear_chinese_message(damage):
    """openpyxl reads a sheet only when its rows are asked for, so the damage shows late."""
    rows = [HEADER, *GOOD] + [[f"X{n:04d}", f"学校{n}", "和平区", "小学"] for n in range(300)]
    result = import_schools(damaged_xlsx(rows, damage), "学校.xlsx")

    assert "无法读取该 Excel 文件" in result.file_error
    assert result.saved == 0 and School.objects.count() == 0


def test_the_import_schools_command_reports_bad_lines(tmp_path, capsys):
    path = tmp_path / "学校.csv"
    path.write_bytes(
        csv_bytes([HEADER, GOOD[0], ["x1", "某校", "不存在区", "小学"]], encoding="gbk")
    )

    call_command("import_schools", str(path))

    out, err = capsys.readouterr()
    assert "新增 1 条" in out and "出错 1 条" in out
    assert "第 3 行：未知区县“不存在区”" in err
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_schools", str(tmp_path / "missing.csv"))


ENROLLED = [*HEADER, "在校学生数"]


def test_enrollment_is_imported_when_the_file_has_the_column():
    rows = [ENROLLED, [*GOOD[0], '"1,200"'], [*GOOD[1], "860人"], [*GOOD[2], ""]]
    result = import_schools(csv_bytes(rows), "学校.csv")

    assert (result.created, result.errors) == (3, [])
    enrollment = dict(School.objects.values_list("code", "enrollment"))
    assert enrollment == {"2101020001": 1200, "2101030002": 860, "2101810003": None}


def test_bad_enrollment_is_reported_by_line_number_in_chinese_and_the_row_is_not_saved():
    rows = [
        ENROLLED,
        [*GOOD[0], "1200"],  # line 2
        [*GOOD[1], "很多"],  # 3: not a number
        [*GOOD[2], "-5"],  # 4: negative
        ["2101020007", "和平区巨型小学", "和平区", "小学", "900000"],  # 5: impossible
        ["2101020008", "和平区小数小学", "和平区", "小学", "12.5"],  # 6: not whole
    ]
    result = import_schools(csv_bytes(rows), "学校.csv")

    errors = errors_by_line(result)
    assert set(errors) == {3, 4, 5, 6}
    assert "在校学生数“很多”应为不小于 0 的整数" in errors[3]
    assert "“-5”" in errors[4]
    assert "超出合理范围" in errors[5] and "900000" in errors[5]
    assert "“12.5”" in errors[6]
    assert list(School.objects.values_list("code", flat=True)) == ["2101020001"]


def test_an_xlsx_number_cell_and_a_file_without_the_column_leave_figures_alone():
    import_schools(xlsx_bytes([ENROLLED, [*GOOD[0], 1500]]), "学校.xlsx")
    assert School.objects.get(code="2101020001").enrollment == 1500

    # The bureau's older list has no enrollment column: the figure stays.
    result = import_schools(
        csv_bytes([HEADER, [GOOD[0][0], "和平区阳光小学（新名）", *GOOD[0][2:]]]), "学校.csv"
    )
    assert result.updated == 1
    assert School.objects.get(code="2101020001").enrollment == 1500

    # With the column, the same figure is "unchanged"; an empty cell clears it.
    assert (
        import_schools(
            xlsx_bytes([ENROLLED, [GOOD[0][0], "和平区阳光小学（新名）", *GOOD[0][2:], 1500]]),
            "学校.xlsx",
        ).unchanged
        == 1
    )
    import_schools(
        csv_bytes([ENROLLED, [GOOD[0][0], "和平区阳光小学（新名）", *GOOD[0][2:], ""]]), "学校.csv"
    )
    assert School.objects.get(code="2101020001").enrollment is None
