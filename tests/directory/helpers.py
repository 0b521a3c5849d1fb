"""Spreadsheets as the bureau's staff make them, built in memory for the import tests."""

import io
import zipfile

from openpyxl import Workbook, load_workbook


def csv_bytes(rows, encoding="utf-8", bom=False):
    text = "\r\n".join(",".join(str(cell) for cell in row) for row in rows) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def read_xlsx(data):
    """All rows of the first sheet, as lists of cell values."""
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def errors_by_line(result):
    return {error.line: error.message for error in result.errors}


def damaged_xlsx(rows, damage):
    """An .xlsx whose zip is sound but whose parts were damaged on the way: `damage(name, data)`
    returns a part's new bytes, or None to leave the part out."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = damage(name, source.read(name))
            if data is not None:
                target.writestr(name, data)
    return output.getvalue()


def cut_sheet_in_half(name, data):
    return data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data


def without_sheets(name, data):
    return None if name.startswith("xl/worksheets/") else data
