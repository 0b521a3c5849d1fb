"""The bureau issues teacher accounts by importing a spreadsheet per school or district."""

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from sunshine.directory.factories import DistrictFactory, SchoolFactory
from sunshine.directory.imports import import_teachers
from sunshine.roles.factories import EditorFactory
from sunshine.roles.names import TEACHER
from tests.directory.helpers import csv_bytes, errors_by_line, xlsx_bytes

pytestmark = pytest.mark.django_db
User = get_user_model()

HEADER = ["用户名/工号", "姓名", "学校代码", "手机号", "初始密码"]


@pytest.fixture
def schools():
    return (
        SchoolFactory(
            code="2101020001", name="和平区阳光小学", district=DistrictFactory(code="210102")
        ),
        SchoolFactory(
            code="2101030002", name="沈河区第二中学", district=DistrictFactory(code="210103")
        ),
    )


def test_new_teachers_get_accounts_in_their_school_and_can_log_in(schools):
    rows = [
        HEADER,
        ["T001", "王老师", "2101020001", "13800000001", "Yangguang#2024"],
        ["T002", "李老师", "2101030002", "", ""],
    ]
    result = import_teachers(csv_bytes(rows), "教师.csv")

    assert (result.created, result.errors) == (2, [])
    wang = User.objects.get(username="T001")
    assert wang.get_full_name() == "王老师"
    assert (wang.profile.school, wang.profile.mobile) == (schools[0], "13800000001")
    assert wang.groups.filter(name=TEACHER).exists()
    assert not wang.is_staff
    assert authenticate(username="T001", password="Yangguang#2024") == wang

    # Li had no password in the file: one was generated and is handed back exactly once.
    [issued] = result.passwords
    assert (issued.line, issued.username, issued.name, issued.school) == (
        3,
        "T002",
        "李老师",
        "沈河区第二中学",
    )
    assert len(issued.password) == 10
    assert authenticate(username="T002", password=issued.password).profile.school == schools[1]


def test_bad_teacher_rows_are_reported_by_line_number_and_good_rows_are_kept(schools):
    EditorFactory(username="editor-zhang")
    rows = [
        HEADER,
        ["T010", "赵老师", "2101020001", "", ""],  # 2 ok
        ["T011", "钱老师", "9999999999", "", ""],  # 3 unknown school
        ["T012", "", "2101020001", "", ""],  # 4 missing name
        ["T010", "赵老师二号", "2101020001", "", ""],  # 5 duplicate username in file
        ["T013", "孙老师", "2101020001", "", "12345678"],  # 6 weak password
        ["editor-zhang", "张编辑", "2101020001", "", ""],  # 7 a staff account
        ["T 014", "周老师", "2101020001", "", ""],  # 8 invalid username
        ["T015", "吴老师", "2101020001", "电话号码", ""],  # 9 bad phone
        ["T016", "郑老师", "2101030002", "", ""],  # 10 ok
    ]
    result = import_teachers(csv_bytes(rows, encoding="gb18030"), "教师.csv")

    errors = errors_by_line(result)
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9}
    assert "未知学校代码“9999999999”" in errors[3]
    assert "缺少姓名" in errors[4]
    assert "与第 2 行重复" in errors[5]
    assert errors[6].startswith("初始密码不符合要求")
    assert "工作人员账号" in errors[7]
    assert "用户名“T 014”无效" in errors[8]
    assert "手机号只能包含" in errors[9]
    assert set(User.objects.filter(groups__name=TEACHER).values_list("username", flat=True)) == {
        "T010",
        "T016",
    }
    assert User.objects.get(username="editor-zhang").first_name != "张编辑"


def test_reimporting_updates_teachers_and_keeps_their_passwords(schools):
    first = import_teachers(
        csv_bytes([HEADER, ["T020", "冯老师", "2101020001", "", "Yangguang#2024"]]), "a.csv"
    )
    assert first.created == 1

    moved = [HEADER, ["T020", "冯老师", "2101030002", "13900000000", "Another#2025"]]
    again = import_teachers(csv_bytes(moved), "a.csv")

    assert (again.created, again.updated, again.passwords) == (0, 1, [])
    teacher = User.objects.get(username="T020")
    assert (teacher.profile.school, teacher.profile.mobile) == (schools[1], "13900000000")
    assert authenticate(username="T020", password="Yangguang#2024") == teacher
    assert User.objects.filter(username="T020").count() == 1

    unchanged = import_teachers(csv_bytes(moved), "a.csv")
    assert (unchanged.updated, unchanged.unchanged) == (0, 1)


def test_reset_passwords_issues_new_ones_for_existing_teachers(schools):
    rows = [HEADER, ["T030", "陈老师", "2101020001", "", "Yangguang#2024"]]
    import_teachers(csv_bytes(rows), "a.csv")

    result = import_teachers(
        csv_bytes([HEADER, ["T030", "陈老师", "2101020001", "", ""]]), "a.csv", reset_passwords=True
    )

    [issued] = result.passwords
    assert authenticate(username="T030", password="Yangguang#2024") is None
    assert authenticate(username="T030", password=issued.password) is not None


def test_an_xlsx_of_teachers_with_phone_numbers_typed_as_numbers(schools):
    rows = [["工号", "姓名", "学校代码", "手机号"], ["T040", "褚老师", 2101020001, 13812345678]]
    result = import_teachers(xlsx_bytes(rows), "教师.xlsx")

    assert result.created == 1, result.summary()
    assert User.objects.get(username="T040").profile.mobile == "13812345678"
    assert len(result.passwords) == 1


def test_a_web_upload_may_be_limited_in_rows(schools):
    rows = [HEADER] + [[f"T1{n:02d}", "某老师", "2101020001", "", ""] for n in range(5)]
    result = import_teachers(csv_bytes(rows), "a.csv", max_rows=3)

    assert "一次最多导入 3 行" in result.file_error
    assert not User.objects.filter(username__startswith="T1").exists()


def test_the_import_teachers_command_writes_generated_passwords_to_a_file(
    schools, tmp_path, capsys
):
    source = tmp_path / "教师.csv"
    source.write_bytes(csv_bytes([HEADER, ["T050", "卫老师", "2101020001", "", ""]], bom=True))
    out_file = tmp_path / "密码.xlsx"

    call_command("import_teachers", str(source), "--passwords-file", str(out_file))

    out, _ = capsys.readouterr()
    assert "新增 1 条" in out and "写入" in out
    sheet = load_workbook(io.BytesIO(out_file.read_bytes())).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert header == ("行号", "用户名/工号", "姓名", "学校", "初始密码")
    assert authenticate(username="T050", password=row[4]) is not None


class RecordingHasher(MD5PasswordHasher):
    """Notes how deep in transactions each password is hashed."""

    depths = []

    def encode(self, password, salt):
        self.depths.append(len(connection.atomic_blocks))
        return super().encode(password, salt)


def test_passwords_are_hashed_before_the_import_holds_the_write_lock(schools, settings):
    """Hashing is slow on purpose (~0.3 s each): inside the import's transaction, 100 of them
    would keep every other writer (on SQLite, the whole site) waiting for half a minute."""
    settings.PASSWORD_HASHERS = ["tests.directory.test_import_teachers.RecordingHasher"]
    RecordingHasher.depths = []
    outside = len(connection.atomic_blocks)
    rows = [HEADER] + [[f"T2{n:02d}", "某老师", "2101020001", "", ""] for n in range(5)]
    rows.append(["T299", "有密码的老师", "2101020001", "", "Yangguang#2024"])

    result = import_teachers(csv_bytes(rows), "教师.csv")

    assert result.created == 6 and len(result.passwords) == 5
    assert RecordingHasher.depths == [outside] * 6
    assert authenticate(username="T299", password="Yangguang#2024") is not None
    issued = result.passwords[0]
    assert authenticate(username=issued.username, password=issued.password) is not None
