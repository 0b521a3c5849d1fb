"""From an uploaded source to a ready `VideoAsset`: probe, encode once per content, validate
(the engine), publish to storage, attach.

Guarantees, and how:
- the same bytes uploaded twice reuse the outputs: encodings are keyed by (sha256, profile hash);
- two jobs for the same key encode once: the `VideoEncoding` row is a lease taken by one atomic
  conditional UPDATE; the other job waits (it is re-queued) and then attaches the result;
- a worker killed mid-encode publishes nothing: the engine builds in a scratch directory and
  validates, files are published only after, the master playlist last, and the asset points at
  them only after that; its lease expires and the job can run again;
- transient failures (storage, disk, a worker shutting down) are retried with backoff; a bad
  file fails at once with the engine's reason, in Chinese.
"""

import logging
import os
import shutil
import socket
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import conf, storage
from .models import VideoAsset, VideoEncoding

logger = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
HD_SUFFIX = "+1080p"
Status = VideoAsset.Status


@dataclass
class Outcome:
    """What a job ended with; `retry_after` (seconds) asks the task to run again later."""

    state: str  # "ready", "failed", "waiting", "retry", "skipped"
    retry_after: float | None = None
    reason: str = ""


# -- the lease --------------------------------------------------------------------------------
def encoding_for(sha256, profile):
    try:
        with transaction.atomic():
            encoding, _ = VideoEncoding.objects.get_or_create(sha256=sha256, profile=profile)
    except IntegrityError:  # created by a concurrent job between our SELECT and INSERT
        encoding = VideoEncoding.objects.get(sha256=sha256, profile=profile)
    return encoding


def acquire(encoding, owner=None):
    """Take the lease if nobody holds a live one. One UPDATE decides, on SQLite and PostgreSQL."""
    owner = owner or WORKER_ID
    now = timezone.now()
    taken = (
        VideoEncoding.objects.filter(pk=encoding.pk)
        .exclude(status=VideoEncoding.Status.DONE)
        .filter(Q(lease_owner="") | Q(lease_expires__lt=now) | Q(lease_owner=owner))
        .update(
            lease_owner=owner,
            lease_expires=now + timedelta(seconds=conf.lease_seconds()),
            status=VideoEncoding.Status.RUNNING,
            attempts=F("attempts") + 1,
            error="",
        )
    )
    return bool(taken)


def heartbeat(encoding, owner=None, progress=None):
    """Extend the lease; False means it was lost (expired and taken by another worker)."""
    owner = owner or WORKER_ID
    fields = {"lease_expires": timezone.now() + timedelta(seconds=conf.lease_seconds())}
    if progress is not None:
        fields["progress"] = progress
    return bool(VideoEncoding.objects.filter(pk=encoding.pk, lease_owner=owner).update(**fields))


def release(encoding, owner=None, **fields):
    owner = owner or WORKER_ID
    VideoEncoding.objects.filter(pk=encoding.pk, lease_owner=owner).update(
        lease_owner="", lease_expires=None, **fields
    )


def is_stalled(video):
    """Transcoding, but whoever held the lease stopped renewing it (a killed worker)."""
    encoding = video.encoding
    if video.status != Status.TRANSCODING or encoding is None:
        return False
    return bool(encoding.lease_expires and encoding.lease_expires < timezone.now())


# -- publishing -------------------------------------------------------------------------------
def publish_files(prefix, files, master):
    """Put each output under `prefix`; the master playlist last, so whatever a master names
    already exists. manifest.json stays out (it is the app's copy, kept in the database)."""
    for item in sorted(files, key=lambda f: f.relpath == master):
        if item.relpath == "manifest.json":
            continue
        storage.put_file(item.path, f"{prefix}/{item.relpath}")


def _path(prefix, relpath):
    return f"{prefix}/{relpath}" if relpath else ""


def _captions_for(video):
    from .captions import CaptionInput

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
    """The manifest with this asset's captions in its master playlist (published here).
    Assets share an encoding by content, but each has its own captions and so its own master."""
    from .pipeline import update_captions

    captions = _captions_for(video)
    if not captions and not manifest.get("captions"):
        return manifest
    with tempfile.TemporaryDirectory(prefix="captions-", dir=_workdir()) as root:
        manifest, files = update_captions(Path(root), manifest, captions)
        publish_files(manifest["prefix"], files, manifest["master"])
    return manifest


def manifest_fields(manifest):
    prefix = manifest["prefix"]
    source = manifest.get("source") or {}
    fallback = manifest.get("fallback_mp4") or {}
    audio = manifest.get("audio") or {}
    poster = manifest.get("poster") or {}
    storyboard = manifest.get("storyboard") or {}
    return {
        "manifest": manifest,
        "master_playlist": _path(prefix, manifest["master"]),
        "fallback_mp4": _path(prefix, fallback.get("path")),
        "audio_playlist": _path(prefix, audio.get("playlist")),
        "poster": _path(prefix, poster.get("path")),
        "storyboard": _path(prefix, storyboard.get("vtt")),
        "duration": manifest.get("duration") or source.get("duration"),
    }


def set_page_fields(page, **values):
    """Set fields on a page's row and in its latest revision, without publishing anything or
    touching its schedule: the editor opens the revision, so both must agree."""
    type(page).objects.filter(pk=page.pk).update(**values)
    revision = page.latest_revision
    if revision is None:
        return
    from modelcluster.models import get_field_value

    for name, value in values.items():
        setattr(page, name, value)
        # Serialised the way Wagtail serialises a revision (modelcluster).
        revision.content[name] = get_field_value(page._meta.get_field(name), page)
    revision.save(update_fields=["content"])


def fill_lesson_durations(video):
    """Lessons showing this video and with no duration typed in get the measured one."""
    from courses.models import LessonPage

    if not video.duration:
        return
    for page in LessonPage.objects.filter(video=video, duration__isnull=True):
        set_page_fields(page, duration=timedelta(seconds=round(video.duration)))


def pages_changed(video):
    """Pages showing this video now render differently (playable, new master): purge them
    from the page cache and, when one is configured, the CDN."""
    from django.conf import settings

    try:
        from sunshine.cache import purge_page_cache

        purge_page_cache(f"video {video.pk} changed")
        if getattr(settings, "WAGTAILFRONTENDCACHE", None):
            from wagtail.contrib.frontend_cache.utils import purge_pages_from_cache

            from courses.models import ClassMeetingKitPage, LecturePage, LessonPage, LiveEventPage

            pages = [
                *LessonPage.objects.live().filter(video=video),
                *LecturePage.objects.live().filter(video=video),
                *LiveEventPage.objects.live().filter(video=video),
                *ClassMeetingKitPage.objects.live().filter(materials__video=video).distinct(),
            ]
            if pages:
                purge_pages_from_cache(pages)
    except Exception:  # a purge must never undo a finished encode
        logger.exception("could not purge pages for video %s", video.pk)


def attach(video, encoding):
    """Point a waiting asset at a finished encoding and mark it ready."""
    manifest = with_captions(video, encoding.manifest)
    hd_status = (
        VideoAsset.HDStatus.PENDING
        if manifest.get("hd_pending")
        else (VideoAsset.HDStatus.READY if _has_hd(manifest) else VideoAsset.HDStatus.NOT_NEEDED)
    )
    video.transition(
        Status.READY,
        encoding=encoding,
        progress=100,
        failure_reason="",
        ready_at=timezone.now(),
        hd_status=hd_status,
        **manifest_fields(manifest),
    )
    fill_lesson_durations(video)
    pages_changed(video)
    return video


def _has_hd(manifest):
    return any(v.get("hd") for v in manifest.get("variants", []))


def _workdir():
    path = conf.workdir()
    os.makedirs(path, exist_ok=True)
    return path


def _save_probe(video, info):
    data = info.to_dict() if hasattr(info, "to_dict") else dict(info)
    fields = {
        "duration": data.get("duration"),
        "width": data.get("display_width") or data.get("width"),
        "height": data.get("display_height") or data.get("height"),
        "rotation": int(data.get("rotation") or 0),
        "fps": data.get("fps"),
        "video_codec": data.get("video_codec") or "",
        "audio_codec": data.get("audio_codec") or "",
        "has_audio": data.get("has_audio"),
    }
    VideoAsset.objects.filter(pk=video.pk).update(**fields)
    for name, value in fields.items():
        setattr(video, name, value)


class _Source:
    """A local path to the source: the file itself on local storage, a download from S3."""

    def __init__(self, video):
        self.video = video
        self.tmp = None

    def __enter__(self):
        path = storage.local_path(self.video.source.name)
        if path:
            return Path(path)
        self.tmp = tempfile.mkdtemp(prefix="source-", dir=_workdir())
        target = Path(self.tmp) / ("source" + Path(self.video.source.name).suffix.lower())
        storage.download_to(self.video.source.name, target)
        return target

    def __exit__(self, *exc):
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


class _Progress:
    """Engine progress → the asset row (throttled) and the lease heartbeat."""

    def __init__(self, video, encoding):
        self.video, self.encoding = video, encoding
        self.last_percent = -1
        self.last_beat = 0.0
        self.lost = False

    def __call__(self, fraction, stage):
        import time

        percent = max(0, min(99, int(fraction * 100)))
        now = time.monotonic()
        if percent == self.last_percent and now - self.last_beat < 10:
            return
        self.last_percent, self.last_beat = percent, now
        try:
            if not heartbeat(self.encoding, progress=percent):
                self.lost = True
                return
            # Every asset waiting on these bytes shows the same progress.
            VideoAsset.objects.filter(
                sha256=self.encoding.sha256, status=Status.TRANSCODING
            ).update(progress=percent, updated_at=timezone.now())
        except Exception:  # the callback must not raise (the engine would fail the job)
            logger.exception("progress update failed")

    def cancelled(self):
        return self.lost


def _profile_hash():
    from .ladder import get_profile, profile_hash

    return profile_hash(get_profile(conf.video_profile()))


def _fail(video, reason, encoding=None):
    if encoding is not None:
        release(encoding, status=VideoEncoding.Status.FAILED, error=reason)
    try:
        video.transition(Status.FAILED, failure_reason=reason, progress=0)
    except Exception:
        logger.info("video %s left %s before failing", video.pk, video.status)
    # Assets waiting on the same bytes will not get them either.
    if encoding is not None:
        for other in VideoAsset.objects.filter(
            sha256=encoding.sha256, status=Status.TRANSCODING
        ).exclude(pk=video.pk):
            other.transition(Status.FAILED, failure_reason=reason, progress=0)
    return Outcome("failed", reason=reason)


def _retry(video, reason, encoding=None):
    if encoding is not None:
        release(encoding, status=VideoEncoding.Status.PENDING, error=reason)
    attempts = video.attempts + 1
    if attempts >= conf.max_attempts():
        return _fail(video, f"多次重试后仍失败：{reason}", None)
    delay = conf.retry_base_seconds() * 2 ** (attempts - 1)
    video.transition(
        Status.UPLOADED,
        attempts=attempts,
        progress=0,
        failure_reason=f"暂时失败，{int(delay)} 秒后自动重试（第 {attempts} 次）：{reason}",
    )
    return Outcome("retry", retry_after=delay, reason=reason)


def process(video_id):
    """Run one video through the pipeline. Never raises for a bad file or a retryable error."""
    from .errors import MediaError

    video = VideoAsset.objects.filter(pk=video_id).first()
    if video is None or video.status in (Status.READY, Status.FAILED):
        return Outcome("skipped")
    if not video.source:
        return _fail(video, "没有源文件，请重新上传。")
    encoding = None
    try:
        with _Source(video) as source:
            if video.status == Status.UPLOADED:
                video.transition(Status.PROBING, progress=0)
            if not video.sha256:
                from .pipeline import sha256_file

                video.sha256 = sha256_file(source)
                VideoAsset.objects.filter(pk=video.pk).update(sha256=video.sha256)
            from .probe import probe_source

            _save_probe(video, probe_source(source))

            encoding = encoding_for(video.sha256, _profile_hash())
            if encoding.status == VideoEncoding.Status.DONE:
                attach(video, encoding)  # the same bytes were encoded before
                return Outcome("ready")
            if not acquire(encoding):
                # Another worker is encoding these bytes; look again later.
                if video.status != Status.TRANSCODING:
                    video.transition(Status.TRANSCODING, encoding=encoding)
                return Outcome("waiting", retry_after=conf.wait_poll_seconds())
            if video.status != Status.TRANSCODING:
                video.transition(Status.TRANSCODING, encoding=encoding, progress=0)
            else:
                VideoAsset.objects.filter(pk=video.pk).update(encoding=encoding)
            encoding.refresh_from_db()
            result = _encode(video, encoding, source)
        attach(video, encoding)
        for other in VideoAsset.objects.filter(
            sha256=video.sha256, status=Status.TRANSCODING
        ).exclude(pk=video.pk):
            attach(other, encoding)
        _cleanup(result)
        return Outcome("ready")
    except MediaError as exc:
        logger.warning("video %s: %s (%s) %s", video.pk, exc.code, exc.reason, exc.detail)
        if exc.transient:
            return _retry(video, exc.reason, encoding)
        return _fail(video, exc.reason, encoding)
    except Exception as exc:  # storage, network, database hiccups: not the file's fault
        logger.exception("video %s: transient failure", video.pk)
        return _retry(video, _transient_reason(exc), encoding)


class _Heartbeat:
    """Renews the lease on a timer while the engine runs, so a long stage that reports no
    progress (validating a 90-minute recording) does not look like a dead worker."""

    def __init__(self, encoding, progress):
        import threading

        self.encoding, self.progress = encoding, progress
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True, name="lease-heartbeat")

    def run(self):
        from django.db import connection

        try:
            while not self.stop.wait(max(1.0, conf.lease_seconds() / 3)):
                if not heartbeat(self.encoding):
                    self.progress.lost = True
                    return
        except Exception:
            logger.exception("lease heartbeat failed")
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)


def _encode(video, encoding, source):
    from .pipeline import run_pipeline

    progress = _Progress(video, encoding)
    with _Heartbeat(encoding, progress):
        result = run_pipeline(
            source,
            _workdir(),
            profile=conf.video_profile(),
            progress=progress,
            cancel=progress.cancelled,
            sha256=video.sha256,
        )
    if progress.lost:
        raise RuntimeError("lease lost")
    publish_files(result.prefix, result.files, result.manifest["master"])
    manifest = {**result.manifest, "prefix": result.prefix}
    VideoEncoding.objects.filter(pk=encoding.pk).update(
        status=VideoEncoding.Status.DONE,
        manifest=manifest,
        prefix=result.prefix,
        progress=100,
        finished_at=timezone.now(),
        lease_owner="",
        lease_expires=None,
    )
    encoding.refresh_from_db()
    return result


def _cleanup(result):
    # Published now; the scratch copy would only fill the worker's disk.
    shutil.rmtree(result.root, ignore_errors=True)


def _transient_reason(exc):
    if isinstance(exc, OSError):
        return "服务器存储暂时不可用"
    return "服务器暂时出错"


def process_hd(video_id):
    """The 1080p second pass for sources at least 1080 tall, after the video is already
    playable; it adds a rung and a new master, and never takes the video out of `ready`."""
    from .errors import MediaError
    from .pipeline import run_hd_pass

    video = VideoAsset.objects.select_related("encoding").filter(pk=video_id).first()
    if video is None or video.status != Status.READY or video.encoding is None:
        return Outcome("skipped")
    if video.hd_status not in (VideoAsset.HDStatus.PENDING, VideoAsset.HDStatus.TRANSCODING):
        return Outcome("skipped")
    base = video.encoding
    hd = encoding_for(base.sha256, base.profile + HD_SUFFIX)
    try:
        if hd.status != VideoEncoding.Status.DONE:
            if not acquire(hd):
                return Outcome("waiting", retry_after=conf.wait_poll_seconds())
            VideoAsset.objects.filter(pk=video.pk).update(hd_status=VideoAsset.HDStatus.TRANSCODING)
            with _Source(video) as source:
                progress = _Progress(video, hd)
                with _Heartbeat(hd, progress):
                    result = run_hd_pass(
                        source,
                        _workdir(),
                        base.manifest,
                        progress=progress,
                        cancel=progress.cancelled,
                    )
            prefix = base.manifest["prefix"]
            publish_files(prefix, result.files, result.manifest["master"])
            VideoEncoding.objects.filter(pk=hd.pk).update(
                status=VideoEncoding.Status.DONE,
                manifest={**result.manifest, "prefix": prefix},
                prefix=prefix,
                progress=100,
                finished_at=timezone.now(),
                lease_owner="",
                lease_expires=None,
            )
            hd.refresh_from_db()
            shutil.rmtree(result.root, ignore_errors=True)
        for asset in VideoAsset.objects.filter(
            encoding=base, status=Status.READY, hd_status__in=["pending", "transcoding"]
        ):
            manifest = with_captions(asset, hd.manifest)
            VideoAsset.objects.filter(pk=asset.pk).update(
                hd_status=VideoAsset.HDStatus.READY, **manifest_fields(manifest)
            )
            pages_changed(asset)
        return Outcome("ready")
    except MediaError as exc:
        release(hd, status=VideoEncoding.Status.FAILED, error=exc.reason)
        if exc.transient:
            return Outcome("retry", retry_after=conf.retry_base_seconds(), reason=exc.reason)
        VideoAsset.objects.filter(pk=video.pk).update(
            hd_status=VideoAsset.HDStatus.FAILED, hd_failure_reason=exc.reason
        )
        return Outcome("failed", reason=exc.reason)
    except Exception as exc:
        logger.exception("video %s: 1080p pass failed", video.pk)
        release(hd, status=VideoEncoding.Status.PENDING)
        return Outcome("retry", retry_after=conf.retry_base_seconds(), reason=str(exc))


def refresh_captions(video_id):
    """Captions changed on a ready video: a new master with the new subtitle group."""
    video = VideoAsset.objects.select_related("encoding").filter(pk=video_id).first()
    if video is None or video.status != Status.READY or video.encoding is None:
        return Outcome("skipped")
    base = video.encoding
    hd = VideoEncoding.objects.filter(
        sha256=base.sha256, profile=base.profile + HD_SUFFIX, status=VideoEncoding.Status.DONE
    ).first()
    manifest = with_captions(video, (hd or base).manifest)
    VideoAsset.objects.filter(pk=video.pk).update(**manifest_fields(manifest))
    pages_changed(video)
    return Outcome("ready")


def requeue(video):
    """An editor's "重新处理": back to the queue, the encoding's failure forgotten."""
    video.transition(Status.UPLOADED, progress=0, attempts=0, failure_reason="")
    if video.sha256:
        VideoEncoding.objects.filter(
            sha256=video.sha256, status=VideoEncoding.Status.FAILED
        ).update(status=VideoEncoding.Status.PENDING, error="")
        # A killed worker's lease: the editor has decided it is not coming back.
        VideoEncoding.objects.filter(sha256=video.sha256, lease_expires__lt=timezone.now()).update(
            lease_owner="", lease_expires=None
        )
    if video.hd_status == VideoAsset.HDStatus.FAILED:
        VideoAsset.objects.filter(pk=video.pk).update(hd_status=VideoAsset.HDStatus.NOT_NEEDED)
    return video
