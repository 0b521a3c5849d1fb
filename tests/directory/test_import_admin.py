"""A city officer uploads the bureau's spreadsheets in the admin and reads the result."""

import base64
import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from sunshine.directory.factories import DistrictFactory, SchoolFactory
from sunshine.directory.models import School
from sunshine.roles.factories import CityStaffFactory, DistrictStaffFactory
from tests.directory.helpers import (
    csv_bytes,
    cut_sheet_in_half,
    damaged_xlsx,
    read_xlsx,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def upload(client, url, data, name, **extra):
    return client.post(url, {"file": SimpleUploadedFile(name, data), **extra})


def test_the_city_officer_imports_schools_and_sees_bad_lines_in_chinese(client):
    client.force_login(CityStaffFactory())
    rows = [
        ["学校代码", "学校名称", "区县", "学段"],
        ["H001", "和平一校", "和平区", "小学"],
        ["H002", "和平二校", "火星区", "小学"],
    ]

    response = upload(client, reverse("import-schools:import"), xlsx_bytes(rows), "学校.xlsx")

    html = response.content.decode()
    assert response.status_code == 200
    assert "学校：新增 1 条" in html and "出错 1 条" in html
    assert "第 3 行" in html and "未知区县“火星区”" in html
    assert School.objects.filter(code="H001").exists()


def test_generated_passwords_are_shown_once_with_a_download(client):
    SchoolFactory(code="H001", district=DistrictFactory(code="210102"))
    client.force_login(CityStaffFactory())
    rows = [["用户名/工号", "姓名", "学校代码"], ["T001", "王老师", "H001"]]

    response = upload(
        client, reverse("import-teachers:import"), csv_bytes(rows, encoding="gbk"), "教师.csv"
    )

    html = response.content.decode()
    assert "教师账号：新增 1 条" in html
    assert "密码只在本页显示这一次" in html
    href = re.search(r'href="data:[^;]+;base64,([^"]+)"', html).group(1)
    header, row = read_xlsx(base64.b64decode(href))
    assert header == ["行号", "用户名/工号", "姓名", "学校", "初始密码"]
    assert row[:3] == [2, "T001", "王老师"]
    assert authenticate(username="T001", password=row[4]) is not None
    assert row[4] in html
    assert "no-cache" in response["Cache-Control"]  # never kept by a cache


def test_a_damaged_xlsx_gets_a_message_not_a_server_error(client):
    client.force_login(CityStaffFactory())
    rows = [["学校代码", "学校名称", "区县", "学段"]] + [
        [f"H{n:03d}", f"和平{n}校", "和平区", "小学"] for n in range(200)
    ]
    data = damaged_xlsx(rows, cut_sheet_in_half)

    response = upload(client, reverse("import-schools:import"), data, "学校.xlsx")

    assert response.status_code == 200
    assert "无法读取该 Excel 文件" in response.content.decode()
    assert not School.objects.exists()


def test_an_upload_that_is_not_a_spreadsheet_is_refused_on_the_form(client):
    client.force_login(CityStaffFactory())

    response = upload(client, reverse("import-schools:import"), b"hello", "notes.pdf")

    assert response.status_code == 200
    assert "请上传 .xlsx 或 .csv 文件" in response.content.decode()


def test_the_templates_download_with_chinese_headers(client):
    client.force_login(CityStaffFactory())

    schools = client.get(reverse("import-schools:template_xlsx"))
    assert read_xlsx(schools.content)[0] == ["学校代码", "学校名称", "区县", "学段", "在校学生数"]
    assert "filename*=UTF-8''" in schools["Content-Disposition"]

    teachers = client.get(reverse("import-teachers:template_csv"))
    assert teachers.content.decode("utf-8") == "\ufeff用户名/工号,姓名,学校代码,手机号,初始密码\r\n"


def test_a_filled_in_template_imports_cleanly(client):
    client.force_login(CityStaffFactory())
    template = client.get(reverse("import-schools:template_xlsx")).content

    workbook = load_workbook(io.BytesIO(template))
    workbook.active.append(["H009", "模板学校", "210102", "初中"])
    filled = io.BytesIO()
    workbook.save(filled)

    response = upload(client, reverse("import-schools:import"), filled.getvalue(), "模板.xlsx")

    assert "新增 1 条" in response.content.decode()
    assert School.objects.get(code="H009").get_stage_display() == "初中"


def test_district_staff_cannot_import(client):
    client.force_login(DistrictStaffFactory())

    for url in (reverse("import-schools:import"), reverse("import-teachers:template_xlsx")):
        response = client.get(url)
        assert response.status_code == 302  # Wagtail's "no permission" redirect
    response = upload(
        client,
        reverse("import-teachers:import"),
        csv_bytes([["工号", "姓名", "学校代码"]]),
        "a.csv",
    )
    assert response.status_code == 302
