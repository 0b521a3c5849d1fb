"""The bytes of a kit's "下载全部" zip: one folder of files, names that open everywhere.

- Already-compressed files (video, images, Office's own zips) are stored, the rest deflated.
- Compression and checksums are zlib-ng's (the `zlib-ng` package), called here by name: the same
  deflate format and the same CRC-32 values as zlib, several times faster, and nothing else in
  the process is changed. zipfile cannot be handed another zlib without patching it for the whole
  process, so this module writes the zip format itself (PKWARE APPNOTE 6.3): local headers,
  central directory, zip64 where a size or offset needs it. tests/media/test_bundles.py checks
  the result with `unzip -t`, `7z t` and Python's zipfile.
- Chinese names: the UTF-8 flag (bit 11) for macOS, 7-Zip and `unzip`, and the Info-ZIP
  Unicode Path extra field (0x7075) for tools that ignore the flag (older Windows Explorer).
- Names are sanitised (no path separators or traversal, no characters or device names Windows
  refuses) and de-duplicated, all inside one folder.
- Deterministic (fixed timestamps, entry order): the same entries give the same bytes.
"""

import os
import re
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from zlib_ng import zlib_ng

FIXED_TIME = (2020, 1, 1, 0, 0, 0)
COPY_BUFFER = 1024 * 1024
# Level 1 shrinks documents nearly as much as the default 6, 2–3 times faster.
DEFLATE_LEVEL = 1
# Compressed already: deflating them costs time and saves nothing.
STORED_EXTENSIONS = {
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".mp3", ".m4a", ".aac", ".ogg",
    ".jpg", ".jpeg", ".png", ".gif", ".webp",
    ".zip", ".rar", ".7z", ".gz", ".docx", ".pptx", ".xlsx",
}  # fmt: skip
WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10)),
}  # fmt: skip
BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
MAX_NAME = 80

# The zip format's numbers (APPNOTE 4.3, 4.4, 4.5.3). Sizes and offsets above 2 GiB - 1 go to
# zip64 fields, as Python's zipfile does: some readers take the 32-bit fields as signed.
ZIP64_LIMIT = (1 << 31) - 1
COUNT_LIMIT = 0xFFFF
STORED, DEFLATED = 0, 8
VERSION, ZIP64_VERSION = 20, 45
UTF8_FLAG = 0x800
DOS_ARCHIVE = 0x20  # external attributes: a plain file, nothing host-specific
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
END_RECORD = struct.Struct("<4sHHHHIIH")
ZIP64_END_RECORD = struct.Struct("<4sQHHIIQQQQ")
ZIP64_LOCATOR = struct.Struct("<4sIQI")


@dataclass
class Entry:
    name: str  # inside the folder: sanitised and unique
    size: int
    identity: str  # what the content is (for the bundle's content hash)
    opener: Callable
    compress: bool


def sanitize(name, fallback="未命名"):
    """One safe path component that Windows, macOS and Linux all accept."""
    name = unicodedata.normalize("NFC", str(name))
    name = BAD_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name or set(name) <= {"_", "."}:
        name = fallback
    if name.split(".")[0].strip().upper() in WINDOWS_RESERVED:
        name = f"_{name}"
    return name


def fit_name(stem, ext):
    """`stem + ext`, the stem shortened so the whole name stays within MAX_NAME."""
    stem = stem[: MAX_NAME - len(ext)].rstrip(" .") or "未命名"
    return f"{stem}{ext}"


def unique_names(names):
    """De-duplicate case-insensitively (Windows and macOS folders are), adding (2), (3)…"""
    seen, result = set(), []
    for name in names:
        stem, ext = os.path.splitext(name)
        candidate, n = name, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = fit_name(f"{stem} ({n})", ext)
        seen.add(candidate.casefold())
        result.append(candidate)
    return result


def unicode_path_extra(arcname):
    """Info-ZIP Unicode Path extra field (0x7075): version 1, CRC-32 of the header's name
    bytes, the UTF-8 name. Only needed when the name is not plain ASCII."""
    encoded = arcname.encode("utf-8")
    if encoded.isascii():
        return b""
    body = struct.pack("<BI", 1, zlib_ng.crc32(encoded)) + encoded
    return struct.pack("<HH", 0x7075, len(body)) + body


def _dos_time(date_time):
    year, month, day, hour, minute, second = date_time
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day


@dataclass
class _Written:
    """What the central directory needs to know about an entry already in the file."""

    name: bytes
    flags: int
    method: int
    crc: int
    compressed: int
    size: int
    offset: int
    extra: bytes


def _local_header(item, zip64):
    extra, compressed, size, version = item.extra, item.compressed, item.size, VERSION
    if zip64:  # the real sizes in a zip64 field; 0xFFFFFFFF in the header says "look there"
        extra += struct.pack("<HHQQ", 1, 16, size, compressed)
        compressed = size = 0xFFFFFFFF
        version = ZIP64_VERSION
    time, date = _dos_time(FIXED_TIME)
    header = LOCAL_HEADER.pack(
        b"PK\x03\x04", version, 0, item.flags, item.method, time, date, item.crc,
        compressed, size, len(item.name), len(extra),
    )  # fmt: skip
    return header + item.name + extra


def _copy(src, dst, compress):
    """Stream `src` into `dst`, deflated or not: (CRC-32, bytes written, bytes read)."""
    crc = written = read = 0
    deflater = zlib_ng.compressobj(DEFLATE_LEVEL, zlib_ng.DEFLATED, -15) if compress else None
    while chunk := src.read(COPY_BUFFER):
        read += len(chunk)
        crc = zlib_ng.crc32(chunk, crc)
        out = deflater.compress(chunk) if deflater else chunk
        dst.write(out)
        written += len(out)
    if deflater:
        out = deflater.flush()
        dst.write(out)
        written += len(out)
    return crc, written, read


def _write_entry(fileobj, arcname, entry):
    name = arcname.encode("utf-8")
    item = _Written(
        name=name,
        flags=0 if name.isascii() else UTF8_FLAG,
        method=DEFLATED if entry.compress else STORED,
        crc=0,
        compressed=0,
        size=entry.size,
        offset=fileobj.tell(),
        extra=unicode_path_extra(arcname),
    )
    # The header comes before the data and must have the same length when it is written again
    # with the real sizes, so zip64 is decided now, with room for deflate growing the bytes.
    zip64 = entry.size * 1.05 > ZIP64_LIMIT
    fileobj.write(_local_header(item, zip64))
    with entry.opener() as src:
        item.crc, item.compressed, item.size = _copy(src, fileobj, entry.compress)
    if not zip64 and max(item.size, item.compressed) > ZIP64_LIMIT:
        raise ValueError(f"{arcname}: {item.size} bytes, more than its declared {entry.size}")
    end = fileobj.tell()
    fileobj.seek(item.offset)
    fileobj.write(_local_header(item, zip64))
    fileobj.seek(end)
    return item


def _central_header(item):
    sizes_big = max(item.size, item.compressed) > ZIP64_LIMIT
    offset_big = item.offset > ZIP64_LIMIT
    big = ([item.size, item.compressed] if sizes_big else []) + (
        [item.offset] if offset_big else []
    )
    extra = item.extra
    if big:  # the zip64 field holds what does not fit, in this order (APPNOTE 4.5.3)
        extra = struct.pack(f"<HH{len(big)}Q", 1, 8 * len(big), *big) + extra
    version = ZIP64_VERSION if big else VERSION
    size, compressed = (0xFFFFFFFF, 0xFFFFFFFF) if sizes_big else (item.size, item.compressed)
    offset = 0xFFFFFFFF if offset_big else item.offset
    time, date = _dos_time(FIXED_TIME)
    header = CENTRAL_HEADER.pack(
        b"PK\x01\x02", version, 0, version, 0, item.flags, item.method, time, date, item.crc,
        compressed, size, len(item.name), len(extra), 0, 0, 0, DOS_ARCHIVE, offset,
    )  # fmt: skip
    return header + item.name + extra


def _end_records(count, start, size):
    """The end of the central directory; a field too small for its value says 0xFFFF… and
    the zip64 end record (found through its locator) holds the value (APPNOTE 4.4.1.4)."""
    many, far, long = count > COUNT_LIMIT, start > ZIP64_LIMIT, size > ZIP64_LIMIT
    records = b""
    if many or far or long:
        records += ZIP64_END_RECORD.pack(
            b"PK\x06\x06", 44, ZIP64_VERSION, ZIP64_VERSION, 0, 0, count, count, size, start
        )
        records += ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, start + size, 1)
    count = 0xFFFF if many else count
    records += END_RECORD.pack(
        b"PK\x05\x06", 0, 0, count, count,
        0xFFFFFFFF if long else size, 0xFFFFFFFF if far else start, 0,
    )  # fmt: skip
    return records


def write_zip(fileobj, folder, entries):
    """Write the zip to a seekable binary file, every entry inside `folder/`. Same entries →
    same bytes."""
    written = [_write_entry(fileobj, f"{folder}/{entry.name}", entry) for entry in entries]
    start = fileobj.tell()
    for item in written:
        fileobj.write(_central_header(item))
    fileobj.write(_end_records(len(written), start, fileobj.tell() - start))
