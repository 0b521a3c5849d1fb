"""Is this a file name we can keep? Checked before an upload session is created.

The name is stored (255 characters at most), shown to editors, and is the name teachers may get
a file under on Windows. A name a real file picker could not give (a NUL, other control
characters) is refused rather than cleaned, and so is one too long for its column: cutting it
short or dropping characters silently would keep a name nobody chose.
"""

import os
import re
import unicodedata

MAX_FILENAME_LENGTH = 255  # UploadSession.filename and VideoAsset.source_name
MAX_TITLE_LENGTH = 200  # UploadSession.title and VideoAsset.title

# Device names Windows reserves with any extension ("con.mp4" cannot be saved there).
WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{device}{n}" for device in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]]
)
WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _has_control_characters(text):
    # Cc: NUL, tab, newline, DEL, C1…; Cf would include the RTL override that disguises
    # "gpj.exe" but also joiners in real names, so only the bidirectional controls are refused.
    return any(unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS for char in text)


def filename_error(filename, max_length=MAX_FILENAME_LENGTH):
    """A Chinese reason to refuse this file name, or None."""
    if len(filename) > max_length:
        return (
            f"文件名太长（{len(filename)} 个字符），最多 {max_length} 个字符，"
            "请把文件改个短一些的名字再上传。"
        )
    if _has_control_characters(filename):
        return "文件名中含有控制字符（例如空字符或换行），请重命名文件后再上传。"
    if match := WINDOWS_FORBIDDEN.search(filename):
        return f"文件名中不能有字符 {match.group()}（Windows 不允许），请重命名文件后再上传。"
    if filename.endswith((".", " ")):
        return "文件名不能以点或空格结尾（Windows 不允许），请重命名文件后再上传。"
    stem = filename.split(".", 1)[0].rstrip(" ").upper()
    if stem in WINDOWS_RESERVED:
        return f"{stem} 是 Windows 保留的设备名，不能作为文件名，请重命名文件后再上传。"
    return None


def title_error(title):
    if len(title) > MAX_TITLE_LENGTH:
        return f"标题太长（{len(title)} 个字符），最多 {MAX_TITLE_LENGTH} 个字符。"
    if _has_control_characters(title.replace("\t", " ")):
        return "标题中含有控制字符，请修改后再上传。"
    return None


def default_title(filename):
    """The title an upload gets when the editor gives none: the name without its extension."""
    return os.path.splitext(filename)[0].strip()[:MAX_TITLE_LENGTH]
