"""Caption files as editors upload them: SRT is converted to WebVTT (by the engine's parser)
before it is stored, so every stored caption is WebVTT."""

import os

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile


def ensure_webvtt(caption):
    """Convert the caption's uploaded file to WebVTT in place (before it is saved)."""
    from .engine.captions import srt_to_vtt, validate_vtt
    from .engine.errors import CaptionError

    upload = caption.file
    if not upload or getattr(upload, "_committed", True):
        return  # nothing new was uploaded
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")  # subtitle files from Chinese tools often are
        except UnicodeDecodeError as exc:
            raise ValidationError("字幕文件编码无法识别，请另存为 UTF-8 后上传。") from exc
    base = os.path.splitext(os.path.basename(upload.name))[0] or "captions"
    try:
        vtt = validate_vtt(text) if text.lstrip().startswith("WEBVTT") else srt_to_vtt(text)
    except CaptionError as exc:
        raise ValidationError(exc.reason) from exc
    caption.file.save(f"{base}.vtt", ContentFile(vtt.encode("utf-8")), save=False)
