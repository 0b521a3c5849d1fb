"""Putting finished outputs where players find them, and pointing videos at them.

Files go to the public storage, the master playlist last, so whatever a master names already
exists; a video points at a master only after it is published. Assets share an encoding by
content but each has its own captions, so each gets its own master (a new file: every
published name is immutable).
"""

import logging
import os
import tempfile
from pathlib import Path

from django.utils import timezone

from . import conf, storage
from .models import VideoAsset, VideoEncoding
from .purge import pages_changed

logger = logging.getLogger(__name__)

HD_SUFFIX = "+1080p"


def workdir():
    path = conf.workdir()
    os.makedirs(path, exist_ok=True)
    return path


def publish_files(prefix, files, master):
    for item in sorted(files, key=lambda f: f.relpath == master):
        storage.publish_file(item.path, f"{prefix}/{item.relpath}")


def mark_done(encoding, result, prefix=None):
    """The encoding's outputs are published: record its manifest and free the lease."""
    prefix = prefix or result.prefix
    VideoEncoding.objects.filter(pk=encoding.pk).update(
        status=VideoEncoding.Status.DONE,
        manifest={**result.manifest, "prefix": prefix},
        prefix=prefix,
        progress=100,
        finished_at=timezone.now(),
        lease_owner="",
        lease_expires=None,
    )
    encoding.refresh_from_db()


def _caption_inputs(video):
    from .engine.captions import CaptionInput

    inputs = []
    for caption in video.captions.all():
        with caption.file.open("rb") as handle:
            text = handle.read().decode("utf-8-sig")
        inputs.append(
            CaptionInput(
                lang=caption.language, name=caption.label, text=text, default=caption.is_default
            )
        )
    return inputs


def with_captions(video, manifest):
    """The manifest with this asset's captions in its own master playlist (published here)."""
    from .engine.first_pass import update_captions

    captions = _caption_inputs(video)
    if not captions and not manifest.get("captions"):
        return manifest
    with tempfile.TemporaryDirectory(prefix="captions-", dir=workdir()) as root:
        manifest, files = update_captions(Path(root), manifest, captions)
        publish_files(manifest["prefix"], files, manifest["master"])
    return manifest


def _hd_status(manifest):
    if manifest.get("hd_pending"):
        return VideoAsset.HDStatus.PENDING
    if any(v.get("hd") for v in manifest.get("variants", [])):
        return VideoAsset.HDStatus.READY
    return VideoAsset.HDStatus.NOT_NEEDED


def current_manifest(encoding):
    """The base encoding's manifest, or its 1080p version once that pass is done."""
    hd = VideoEncoding.objects.filter(
        sha256=encoding.sha256,
        profile=encoding.profile + HD_SUFFIX,
        status=VideoEncoding.Status.DONE,
    ).first()
    return (hd or encoding).manifest


def attach(video, encoding):
    """Point a processed asset at a finished encoding and mark it ready."""
    manifest = with_captions(video, current_manifest(encoding))
    video.transition(
        VideoAsset.Status.READY,
        encoding=encoding,
        manifest=manifest,
        duration=manifest.get("duration") or video.duration,
        progress=100,
        failure_reason="",
        ready_at=timezone.now(),
        hd_status=_hd_status(manifest),
    )
    pages_changed(video)
    return video


def refresh_captions(video_id):
    """Captions changed on a ready video: a new master with the new subtitle group."""
    video = VideoAsset.objects.select_related("encoding").filter(pk=video_id).first()
    if video is None or video.status != VideoAsset.Status.READY or video.encoding is None:
        return "skipped"
    manifest = with_captions(video, current_manifest(video.encoding))
    VideoAsset.objects.filter(pk=video.pk).update(manifest=manifest, updated_at=timezone.now())
    pages_changed(video)
    return "ready"
