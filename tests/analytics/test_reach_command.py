"""`sunshine reach_report`: the same numbers as the reports, as xlsx, CSV or JSON."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from analytics.reports.data import build_report
from analytics.reports.params import build_request
from tests.analytics.reports_support import (
    HEPING,
    SHENHE,
    XINMIN,
    catalogue,
    module_data,
    plays,
    school,
)

pytestmark = pytest.mark.django_db
JANUARY = ["--from", "2024-01-01", "--to", "2024-01-31"]


def build_city():
    site = catalogue()
    plays(site.lessons[0], 3, school_obj=school(HEPING, name="和平命令校"), viewer="h")
    plays(site.lessons[0], 8, district_code=SHENHE, viewer="s")
    plays(site.lessons[1], 20, district_code=XINMIN, viewer="x")
    return site


city = module_data("city", build_city)


def run(*args):
    out = io.StringIO()
    call_command("reach_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_json_gives_the_reports_numbers(city):
    data = json.loads(run(*JANUARY, "--by", "district", "--format", "json"))
    report = build_report(
        build_request(by="district", date_from="2024-01-01", date_to="2024-01-31")
    )
    rows = {row["key"]: row for row in data["rows"]}
    assert len(rows) == 14
    assert rows[XINMIN]["views"] == {r.key: r for r in report.rows}[XINMIN].views == 20
    assert rows[HEPING]["views"] == "<5"
    assert data["total"]["views"] == report.total.views == 31


def test_csv_to_standard_output_has_the_bom_and_chinese_headings(city):
    text = run(*JANUARY, "--by", "series", "--format", "csv")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["系列课程", "人次"]
    assert {"珍爱生命": "31"}.items() <= {row[0]: row[1] for row in rows[1:]}.items()


def test_xlsx_to_a_file(city, tmp_path):
    target = tmp_path / "reach.xlsx"
    run(
        *JANUARY,
        "--by",
        "school",
        "--district",
        HEPING,
        "--format",
        "xlsx",
        "--output",
        str(target),
    )
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("学校", "学校代码", "所属区县")
    assert rows[-1][0] == "合计"
    assert rows[-1][3] == "<5"  # 3 viewers in the whole district: suppressed like the admin's
    assert any(row[0] == "和平命令校" for row in rows)
    assert {row[2] for row in rows[1:-1]} == {"和平区"}


def test_the_command_is_the_admin_export(city, client):
    """One spreadsheet class for both: the command's CSV is the admin's CSV, byte for byte."""
    from tests.analytics.reports_support import city_staff

    client.force_login(city_staff())
    response = client.get(
        "/admin/reach-school/",
        {"period_from": "2024-01-01", "period_to": "2024-01-31", "export": "csv"},
    )
    admin = b"".join(response.streaming_content).decode("utf-8")
    assert run(*JANUARY, "--by", "school", "--format", "csv") == admin


def test_by_day_and_lesson(city):
    days = json.loads(
        run("--from", "2024-01-21", "--to", "2024-01-23", "--by", "day", "--format", "json")
    )
    assert [row["views"] for row in days["rows"]] == [0, 31, 0]
    lessons = json.loads(run(*JANUARY, "--by", "lesson", "--format", "json"))
    assert {row["label"] for row in lessons["rows"]} >= {"认识情绪", "学会求助"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-02-30"], "日期"),
        (["--district", "999999"], "区县代码"),
        (["--format", "xlsx"], "--output"),
    ],
)
def test_mistakes_are_explained(city, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
