"""A reach report as a spreadsheet: Wagtail's SpreadsheetExportMixin (xlsx, and CSV with the
UTF-8 byte order mark of `sunshine.exports` so Excel on Windows reads the Chinese), set up once
for the admin report view and for the `reach_report` command. Every value goes out through
`suppression.published`."""

from collections import OrderedDict
from io import BytesIO

from wagtail.admin.views.mixins import ExcelDateFormatter, SpreadsheetExportMixin

from analytics.reports.suppression import HELP_TEXT, published
from sunshine.exports import ExcelFriendlyCSVMixin

NOTES_SHEET = "说明"
HOTLINES = "需要帮助：全国心理援助热线 12356（24 小时），青少年服务台 12355。"

MEASURE_HEADINGS = OrderedDict(
    [
        ("views", "人次"),
        ("viewers", "人数"),
        ("viewers_note", "人数说明"),
        ("watch_hours", "观看时长（小时）"),
        ("completions", "完成人次"),
        ("completion_rate", "完成率（%）"),
    ]
)
OFFLINE_HEADINGS = OrderedDict(
    [
        ("class_meetings", "班会场次"),
        ("class_meeting_students", "班会参加学生数"),
        ("live_participants", "直播参与人次（导入数据）"),
    ]
)
KEY_HEADINGS = {
    "district": [("label", "区县"), ("code", "行政区划代码")],
    "school": [("label", "学校"), ("code", "学校代码"), ("group", "所属区县")],
    "series": [("label", "系列课程")],
    "lesson": [("label", "课程"), ("group", "所属系列")],
    "day": [("label", "日期")],
}


class ReachSpreadsheetMixin(ExcelFriendlyCSVMixin, SpreadsheetExportMixin):
    """Columns, headings, values and file name of `self.report` (an `analytics.reports.data.Report`)
    as Wagtail's exports write them; the rows are `report.all_rows`."""

    @property
    def list_export(self):
        fields = [name for name, _ in KEY_HEADINGS[self.report.request.by]]
        fields += list(MEASURE_HEADINGS)
        if self.report.with_offline:
            fields += list(OFFLINE_HEADINGS)
        return fields

    @property
    def export_headings(self):
        return {
            **dict(KEY_HEADINGS[self.report.request.by]),
            **MEASURE_HEADINGS,
            **OFFLINE_HEADINGS,
        }

    def to_row_dict(self, item):
        values = OrderedDict()
        for name in self.list_export:
            value = published(item, name)
            values[name] = "" if value is None else value
        return values

    def notes(self):
        """What the file's numbers mean, inside the file: the 说明 sheet of the xlsx (a CSV stays
        plain data for the systems that read it; the API carries the same notes)."""
        report = self.report
        lines = [
            f"统计范围：{report.request.describe()}",
            "人次：观看至少 10 秒（或短视频的一半）的次数；完成：观看达到时长的 90%。"
            "人数说明为“按日累计，跨天未去重”时，同一人在多天观看会重复计数。",
            "为保护未成年人隐私：" + HELP_TEXT,
            "本文件中的数字与报表页面一致，只有上述单元格不显示具体数字。",
        ]
        if report.held:
            lines.append(
                "“待核实（不计入合计）”各行：市级管理员在数据核查后标记的学校和日期，"
                "其数据不计入各行和合计；解除标记后恢复计入。"
            )
        if report.with_offline:
            lines.append(
                "班会场次由教师登记；直播参与人次为会议平台导出后由工作人员导入的数据（导入数据）。"
            )
        lines.append(HOTLINES)
        return lines

    def write_xlsx(self, queryset, output):
        # Wagtail's sheet, then a second one with the notes (write-only workbooks cannot be
        # reopened, so it is written again here with the notes sheet added).
        from openpyxl import Workbook

        workbook = Workbook(write_only=True, iso_dates=True)
        sheet = workbook.create_sheet(title="报表")
        sheet.append([self.get_heading(queryset, field) for field in self.list_export])
        date_format = ExcelDateFormatter().get()
        for item in queryset:
            sheet.append(
                self.generate_xlsx_row(sheet, self.to_row_dict(item), date_format=date_format)
            )
        notes = workbook.create_sheet(title=NOTES_SHEET)
        for line in self.notes():
            notes.append([line])
        workbook.save(output)

    def get_filename(self):
        request = self.report.request
        return f"reach-{request.by}-{request.date_from:%Y%m%d}-{request.date_to:%Y%m%d}"


class ReachSpreadsheet(ReachSpreadsheetMixin):
    """The same files outside a request (`sunshine reach_report`)."""

    def __init__(self, report):
        self.report = report

    def xlsx(self) -> bytes:
        out = BytesIO()
        self.write_xlsx(self.report.all_rows, out)
        return out.getvalue()

    def csv(self) -> bytes:
        response = self.write_csv_response(self.report.all_rows)
        return b"".join(response.streaming_content)
