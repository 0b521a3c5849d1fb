"""`sunshine reach_report --from 2024-01-15 --to 2024-02-28 --by district --format xlsx`

The admin report's numbers (with the exports' small-cell suppression) as a file, for the bureau's
scheduled jobs. Writes to --output, or to standard output for csv/json.
"""

from django.core.management.base import BaseCommand, CommandError

from analytics.reports.data import build_report
from analytics.reports.files import WRITERS
from analytics.reports.params import BY_CHOICES, ReportParamError, build_request


class Command(BaseCommand):
    help = "导出覆盖统计报表（与管理后台的数据报表相同的数字）"

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="开始日期 YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="结束日期 YYYY-MM-DD")
        parser.add_argument("--by", choices=list(BY_CHOICES), default="district")
        parser.add_argument("--format", choices=list(WRITERS), default="csv")
        parser.add_argument("--district", help="只统计这个区县（6 位行政区划代码）")
        parser.add_argument("--campaign", help="活动预设：winter、summer 或活动编号")
        parser.add_argument("--track", help="课程板块")
        parser.add_argument("--grade", help="学段代码")
        parser.add_argument("--series", help="系列课程页面编号（用于 --by lesson）")
        parser.add_argument("--output", "-o", help="输出文件（默认：标准输出，xlsx 必须指定）")

    def handle(self, *args, **options):
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
        except ReportParamError as error:
            raise CommandError(error.message) from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        data = WRITERS[options["format"]](report)
        output = options["output"]
        if output:
            with open(output, "wb") as handle:
                handle.write(data)
            self.stderr.write(f"已写入 {output}（{request.describe()}，{len(report.rows)} 行）")
        elif options["format"] == "xlsx":
            raise CommandError("xlsx 格式请用 --output 指定文件")
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
