"""Reading the bureau's spreadsheets: XLSX, or CSV in UTF-8 (with or without BOM), GB18030/GBK
(what Excel on Chinese Windows saves) or UTF-16 ("Unicode 文本").

Rows keep the line number the user sees in Excel (the header is line 1), so errors can point
at them.
"""

import codecs
import csv
import datetime
import io
import logging
from dataclasses import dataclass

from openpyxl import load_workbook

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024


class TableError(ValueError):
    """The file as a whole cannot be read; the message is for the user, in Chinese."""


@dataclass
class Row:
    line: int
    values: dict

    def get(self, key):
        return self.values.get(key, "")


def _clean_header(value):
    # "学校代码*" and "学校代码（必填）" are how people mark required columns.
    text = _clean_cell(value).replace(" ", "").replace("*", "").replace("＊", "")
    for marker in ("（必填）", "(必填)", "（选填）", "(选填)", "（可选）", "(可选)"):
        text = text.replace(marker, "")
    return text.lower()


def _clean_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        # A code or phone number typed into a number cell comes back as 210102001.0.
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").replace("\ufeff", "").strip()


def decode_csv(data):
    """Text of a CSV file in any encoding Excel or WPS writes for Chinese."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        # Chinese text in GBK is almost never valid UTF-8, so trying UTF-8 first is safe.
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("无法识别文件编码。请在 Excel 中另存为“CSV UTF-8”或 .xlsx 文件后重新上传。")


def _csv_rows(data):
    text = decode_csv(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:
        raise TableError(f"CSV 文件格式有误（第 {reader.line_num} 行）：{error}") from error


def _xlsx_rows(data):
    """Every row of the first sheet, read now: openpyxl's read-only mode parses the sheet only
    while its rows are iterated, so a damaged file fails there, not in load_workbook."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return list(workbook.worksheets[0].iter_rows(values_only=True))
        finally:
            workbook.close()
    except Exception as error:
        # A damaged or truncated upload makes openpyxl raise almost anything: BadZipFile,
        # zlib.error, EOFError, XML ParseError/XMLSyntaxError, KeyError, IndexError (no sheet),
        # TypeError, NotImplementedError… (seen by truncating and corrupting real files). Only
        # openpyxl runs in here, so each of them means the file cannot be read.
        logger.info("unreadable xlsx upload: %r", error)
        raise TableError(
            "无法读取该 Excel 文件，文件可能已损坏、不完整或已加密。"
            "请在 Excel 中重新保存为 .xlsx 后上传。"
        ) from error


def read_table(data, filename, columns):
    """Rows of the first sheet (or the CSV) as `Row`s keyed by canonical column names.

    `columns` maps each canonical name to the header spellings accepted for it, e.g.
    {"code": ("学校代码", "学校编码")}. Unknown columns are ignored. Blank rows are skipped but
    still counted, so line numbers match the spreadsheet.
    """
    if len(data) > MAX_FILE_BYTES:
        raise TableError(f"文件太大（上限 {MAX_FILE_BYTES // (1024 * 1024)} MB），请拆分后上传。")
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise TableError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后上传。")
    if not data.strip():
        raise TableError("文件是空的。")
    rows = iter(_xlsx_rows(data)) if data.startswith(b"PK\x03\x04") else _csv_rows(data)

    aliases = {_clean_header(alias): key for key, names in columns.items() for alias in names}
    header = next(rows, None)
    if header is None:
        raise TableError("文件是空的。")
    positions = {}
    for index, cell in enumerate(header):
        key = aliases.get(_clean_header(cell))
        if key and key not in positions:
            positions[key] = index
    if not positions:
        expected = "、".join(names[0] for names in columns.values())
        raise TableError(f"第 1 行应为表头（{expected}），请使用下载的模板。")

    result = []
    for line, cells in enumerate(rows, start=2):
        values = {
            key: _clean_cell(cells[index]) if index < len(cells) else ""
            for key, index in positions.items()
        }
        if any(values.values()):
            result.append(Row(line=line, values=values))
    return result, set(positions)
