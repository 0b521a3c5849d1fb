"""Files we hand to staff: blank import templates with Chinese headers, and the sheet of
passwords generated during a teacher import."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from sunshine.directory.models import District, School

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TEMPLATES = {
    "schools": {
        "title": "学校导入模板",
        "headers": ["学校代码", "学校名称", "区县", "学段", "在校学生数"],
        "notes": [
            "学校代码：必填，数字、字母或连字符，全市唯一；再次导入同一代码会更新该校信息。",
            "学校名称：必填，同一区县内不能重名。",
            "区县：必填，填写区县名称（如 和平区）或 6 位行政区划代码（如 210102）。",
            "学段：必填，可填 " + "、".join(School.Stage.labels) + "。",
            "在校学生数：选填，整数（如 1200）；用于数据核查（一天的观看人数不应超过在校学生数）。"
            "文件中有这一列时，留空会清除该校原有的数字；没有这一列则不改动。",
            "保存为 .xlsx，或 CSV（UTF-8 或 GBK 编码均可）。",
        ],
    },
    "teachers": {
        "title": "教师账号导入模板",
        "headers": ["用户名/工号", "姓名", "学校代码", "手机号", "初始密码"],
        "notes": [
            "用户名/工号：必填，教师登录时使用，全市唯一；可用字母、数字和 @ . + - _。",
            "姓名：必填。",
            "学校代码：必填，须是已导入的学校。",
            "手机号：选填。",
            "初始密码：选填；留空则自动生成，导入完成后只显示一次，请当场下载保存。",
            "已有账号再次导入时会更新姓名、学校和手机号，不会改动密码（除非勾选“重置密码”）。",
        ],
    },
}


def _save(workbook):
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def template_workbook(kind):
    spec = TEMPLATES[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = spec["title"]
    sheet.append(spec["headers"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        # Codes such as 0012 must stay text, not turn into the number 12.
        sheet.column_dimensions[cell.column_letter].width = 18
        sheet.column_dimensions[cell.column_letter].number_format = "@"
    notes = workbook.create_sheet("填写说明")
    for line in spec["notes"]:
        notes.append([line])
    if kind == "schools":
        districts = workbook.create_sheet("区县代码")
        districts.append(["区县", "行政区划代码"])
        for district in District.objects.order_by("code"):
            districts.append([district.name, district.code])
    notes.column_dimensions["A"].width = 90
    return _save(workbook)


def template_csv(kind):
    # UTF-8 with BOM: Excel on Windows opens it with the Chinese headers intact.
    return ("\ufeff" + ",".join(TEMPLATES[kind]["headers"]) + "\r\n").encode("utf-8")


def passwords_workbook(passwords):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "初始密码"
    sheet.append(["行号", "用户名/工号", "姓名", "学校", "初始密码"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for issued in passwords:
        sheet.append([issued.line, issued.username, issued.name, issued.school, issued.password])
    return _save(workbook)
