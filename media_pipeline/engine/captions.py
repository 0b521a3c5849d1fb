"""Captions: SRT → WebVTT, WebVTT checks, and HLS subtitle media playlists.

Editors bring SRT files saved by Chinese Windows tools (often GBK) as well as UTF-8 WebVTT; the
format is decided by the content, not the file name. Players get clean WebVTT. No
X-TIMESTAMP-MAP header: our media timeline starts at 0, which is what the HLS spec assumes
without one.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import CaptionError
from .hls import subtitle_playlist

CAPTIONS_DIR = "captions"
_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*"
    r"(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(?P<settings>[^\n]*)$"
)
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_ALLOWED_TAGS = re.compile(r"</?(?:b|i|u)>")


@dataclass(frozen=True)
class CaptionInput:
    lang: str  # BCP 47, e.g. "zh-Hans", "en"
    name: str  # shown in the player's menu, e.g. "中文"
    path: str | Path | None = None
    text: str | bytes | None = None
    default: bool = False

    def read(self) -> bytes | str:
        if self.text is not None:
            return self.text
        if self.path is None:
            raise CaptionError("empty")
        return Path(self.path).read_bytes()


def decode_text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    encodings = (
        ("utf-16",) if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "gb18030")
    )
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CaptionError("encoding")


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    if len(parts) == 2:
        parts.insert(0, "0")
    hours, minutes, seconds = parts
    if int(minutes) > 59 or float(seconds) >= 60:
        raise CaptionError("bad_timing", detail=stamp)
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _clean_cue_text(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    text = re.sub(r"</?font[^>]*>", "", text, flags=re.IGNORECASE)  # SRT colours: not WebVTT
    text = text.replace("-->", "→").replace("&", "&amp;")
    # Escape every "<" except the few tags WebVTT and SRT share.
    pieces = _ALLOWED_TAGS.split(text)
    tags = _ALLOWED_TAGS.findall(text)
    escaped = [p.replace("<", "&lt;").replace(">", "&gt;") for p in pieces]
    out = escaped[0]
    for tag, piece in zip(tags, escaped[1:], strict=True):
        out += tag + piece
    return out


def _cues(blocks: list[list[str]]) -> list[tuple[float, float, str, str]]:
    cues = []
    for block in blocks:
        timing_at = next((i for i, line in enumerate(block) if "-->" in line), None)
        if timing_at is None:
            continue  # SRT counters on their own, NOTE/STYLE blocks in VTT
        match = _TIMING.match(block[timing_at])
        if not match:
            raise CaptionError("bad_timing", detail=block[timing_at])
        start, end = _seconds(match["start"]), _seconds(match["end"])
        if end <= start:
            raise CaptionError("bad_timing", detail=block[timing_at])
        text = _clean_cue_text(block[timing_at + 1 :])
        if text:
            cues.append((start, end, match["settings"].strip(), text))
    if not cues:
        raise CaptionError("no_cues")
    return cues


def _blocks(text: str) -> list[list[str]]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [block.split("\n") for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def _render(cues, *, keep_settings: bool) -> str:
    out = ["WEBVTT", ""]
    for start, end, settings, text in cues:
        timing = f"{_stamp(start)} --> {_stamp(end)}"
        if keep_settings and settings:
            timing += " " + settings
        out += [timing, text, ""]
    return "\n".join(out)


def srt_to_vtt(text: str) -> str:
    blocks = _blocks(text)
    if not blocks:
        raise CaptionError("empty")
    return _render(_cues(blocks), keep_settings=False)


def validate_vtt(text: str) -> str:
    """A cleaned WebVTT file (header, timings, escaped text) or CaptionError."""
    blocks = _blocks(text)
    if not blocks:
        raise CaptionError("empty")
    header = blocks[0][0].strip()
    if not (header == "WEBVTT" or header.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise CaptionError("format", detail=header[:40])
    body = blocks[1:] if "-->" not in "\n".join(blocks[0]) else [blocks[0][1:]]
    return _render(_cues(body), keep_settings=True)


def to_webvtt(data: bytes | str) -> str:
    """Whatever the editor uploaded (SRT or WebVTT, UTF-8/UTF-16/GBK) as clean WebVTT."""
    text = decode_text(data)
    if not text.strip():
        raise CaptionError("empty")
    if text.lstrip().startswith("WEBVTT"):
        return validate_vtt(text)
    if "-->" not in text:
        raise CaptionError("format")
    return srt_to_vtt(text)


def check_caption(caption: CaptionInput) -> str:
    """The caption as clean WebVTT, or CaptionError (bad language code, encoding, format…)."""
    if not _LANG.match(caption.lang or ""):
        raise CaptionError("language", detail=repr(caption.lang))
    return to_webvtt(caption.read())


def write_caption_files(root: Path, caption: CaptionInput, duration: float) -> dict:
    """Write captions/<lang>-<hash>.vtt and its subtitle playlist; return the manifest entry."""
    vtt = check_caption(caption)
    digest = hashlib.sha256(vtt.encode()).hexdigest()[:8]
    stem = f"{caption.lang}-{digest}"
    folder = Path(root) / CAPTIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.vtt").write_text(vtt, encoding="utf-8")
    # The playlist sits beside the VTT, so it names it relatively.
    (folder / f"{stem}.m3u8").write_text(
        subtitle_playlist(f"{stem}.vtt", duration), encoding="utf-8"
    )
    return {
        "lang": caption.lang,
        "name": caption.name or caption.lang,
        "vtt": f"{CAPTIONS_DIR}/{stem}.vtt",
        "playlist": f"{CAPTIONS_DIR}/{stem}.m3u8",
        "default": bool(caption.default),
    }
