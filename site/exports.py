"""CSV exports that Excel on Chinese Windows opens correctly."""

import codecs
import itertools


class ExcelFriendlyCSVMixin:
    """For a view with Wagtail's SpreadsheetExportMixin (an index view with `list_export`, a
    ReportView): the CSV starts with a UTF-8 byte order mark.

    Without it, Excel reads UTF-8 as the system code page (GBK on Chinese Windows) and garbles
    every Chinese heading and name. Put it before the view class:
    `class IndexView(ExcelFriendlyCSVMixin, generic.IndexView)`.
    """

    def write_csv_response(self, queryset):
        response = super().write_csv_response(queryset)
        response.streaming_content = itertools.chain([codecs.BOM_UTF8], response.streaming_content)
        response["Content-Type"] = "text/csv; charset=utf-8"
        return response
