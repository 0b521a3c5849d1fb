"""`sunshine reach_report --from 2024-01-15 --to 2024-02-28 --by district --format xlsx -o out.xlsx`

The admin report's numbers (with the exports' small-cell suppression) as a file, for the bureau's
scheduled jobs. Writes to --output, or to standard output for csv/json.

An operator's tool: whoever can run commands on the server can read the whole database, so it
has no user and no district scope of its own. `--district` narrows the report to one district
exactly as a district officer's reports are narrowed (same rows, same suppression), for
producing one district's file; it is a filter, not a permission.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from analytics.api.reach import payload
from analytics.reports.data import build_report
from analytics.reports.exports import ReachSpreadsheet
from analytics.reports.params import BY_CHOICES, build_request

FORMATS = ("xlsx", "csv", "json")


def render(report, fmt):
    if fmt == "json":
        return json.dumps(payload(report), ensure_ascii=False, indent=2).encode("utf-8")
    spreadsheet = ReachSpreadsheet(report)
    return spreadsheet.xlsx() if fmt == "xlsx" else spreadsheet.csv()


class Command(BaseCommand):
    help = (
        "导出覆盖统计报表（与管理后台的数据报表相同的数字和小单元格隐藏）。"
        "运维工具：不按账号限定区县，--district 只是筛选。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="开始日期 YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="结束日期 YYYY-MM-DD")
        parser.add_argument("--by", choices=list(BY_CHOICES), default="district")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument(
            "--district",
            help="只统计这个区县（6 位行政区划代码），与区县管理员看到的报表相同",
        )
        parser.add_argument("--campaign", help="活动预设：winter、summer 或活动编号")
        parser.add_argument("--track", help="课程板块")
        parser.add_argument("--grade", help="学段代码")
        parser.add_argument("--series", help="系列课程页面编号（用于 --by lesson）")
        parser.add_argument("--output", "-o", help="输出文件（默认：标准输出，xlsx 必须指定）")

    def handle(self, *args, **options):
        if options["format"] == "xlsx" and not options["output"]:
            raise CommandError("xlsx 格式请用 --output 指定文件")
        try:
            request = build_request(
                by=options["by"],
                date_from=options["date_from"],
                date_to=options["date_to"],
                campaign=options["campaign"],
                district=options["district"],
                track=options["track"],
                grade_band=options["grade"],
                series=options["series"],
            )
            report = build_report(request)
        except ValueError as error:  # ReportParamError and the store's QueryError
            raise CommandError(getattr(error, "message", str(error))) from error
        data = render(report, options["format"])
        output = options["output"]
        if output:
            with open(output, "wb") as handle:
                handle.write(data)
            self.stderr.write(f"已写入 {output}（{request.describe()}，{len(report.rows)} 行）")
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
