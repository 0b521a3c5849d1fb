"""A reach report as a spreadsheet: Wagtail's SpreadsheetExportMixin (xlsx, and CSV with the
UTF-8 byte order mark of `sunshine.exports` so Excel on Windows reads the Chinese), set up once
for the admin report view and for the `reach_report` command. Every value goes out through
`suppression.published`."""

from collections import OrderedDict
from io import BytesIO

from wagtail.admin.views.mixins import SpreadsheetExportMixin

from analytics.reports.suppression import published
from sunshine.exports import ExcelFriendlyCSVMixin

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
