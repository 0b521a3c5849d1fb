"""Is this the start of a real video container? Checked before a byte is kept.

ffmpeg would happily read an HLS playlist or a concat list named `.mp4` and pull local files
or URLs into the output, so only container signatures are accepted, never text.
"""

import os

ALLOWED_EXTENSIONS = {
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts",
    ".mpg", ".mpeg", ".flv", ".wmv", ".3gp",
}  # fmt: skip
SNIFF_BYTES = 512

NOT_VIDEO = "这不是视频文件：请上传 MP4、MOV、MKV、WebM、AVI 等格式的视频。"
TEXT_FILE = "这个文件是文本（可能是播放列表或列表文件），不是视频，已拒绝。"
EMPTY_FILE = "文件是空的（0 字节），请重新选择视频文件。"


def extension_error(filename):
    ext = os.path.splitext(filename or "")[1].lower()
    if ext not in ALLOWED_EXTENSIONS:
        shown = ext or "（无扩展名）"
        return f"不支持 {shown} 文件：请上传 MP4、MOV、MKV、WebM、AVI 等格式的视频。"
    return None


def container_of(head):
    """The container family the first bytes announce, or None."""
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] in (b"AVI ", b"AVIX"):
        return "avi"
    if head.startswith(b"FLV"):
        return "flv"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "asf"
    if head.startswith(b"\x00\x00\x01\xba"):
        return "mpeg-ps"
    if len(head) >= 377 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return "mpeg-ts"
    if len(head) >= 389 and head[4] == 0x47 and head[196] == 0x47 and head[388] == 0x47:
        return "m2ts"
    return None


def sniff_error(head):
    """A Chinese reason to refuse these first bytes, or None if they start a video."""
    if not head:
        return EMPTY_FILE
    if container_of(head):
        return None
    sample = head[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf")
    try:
        sample.decode("utf-8")
        return TEXT_FILE
    except UnicodeDecodeError:
        return NOT_VIDEO
