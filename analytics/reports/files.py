"""Writing a report as xlsx, CSV (UTF-8 with BOM) or JSON outside a request, for the
`reach_report` command. Same columns, headings and suppression as the admin exports."""

import csv
import io
import json

from openpyxl import Workbook

from analytics.api.reach import NOTES, _row
from analytics.reports.suppression import published
from analytics.reports.views import BOM, KEY_HEADINGS, MEASURE_HEADINGS, OFFLINE_HEADINGS


def columns(report):
    fields = list(KEY_HEADINGS[report.request.by]) + list(MEASURE_HEADINGS.items())
    if report.with_offline:
        fields += list(OFFLINE_HEADINGS.items())
    return fields


def table(report):
    """Heading row, then one row per report row and the total, as exports publish them."""
    fields = columns(report)
    rows = [[heading for _, heading in fields]]
    for row in report.all_rows:
        values = [published(row, name) for name, _ in fields]
        rows.append(["" if value is None else value for value in values])
    return rows


def to_xlsx(report):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="覆盖统计")
    for values in table(report):
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_csv(report):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(table(report))
    return (BOM + out.getvalue()).encode("utf-8")


def to_json(report):
    request = report.request
    data = {
        "by": request.by,
        "date_from": request.date_from.isoformat(),
        "date_to": request.date_to.isoformat(),
        "district": request.district.code if request.district else None,
        "campaign": request.campaign.name if request.campaign else None,
        "track": request.track,
        "grade": request.grade_band.code if request.grade_band else None,
        "rows": [_row(row) for row in report.rows],
        "total": _row(report.total),
        "notes": NOTES,
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


WRITERS = {"xlsx": to_xlsx, "csv": to_csv, "json": to_json}
