"""The job that takes an uploaded `VideoAsset` to ready: claim it, probe, run the engine's first
pass (`engine/first_pass.py`) once per content, publish, attach. The engine works on files; this
job owns the rows, the leases, the retries and the storage around it.

Guarantees, and how:
- the same bytes uploaded twice reuse the outputs: encodings are keyed by (sha256, profile hash);
- two jobs for the same key encode once: the `VideoEncoding` lease (leases.py); the other job
  waits (it is re-queued) and then finds the video ready;
- a worker killed mid-encode publishes nothing: the engine builds in a scratch folder and
  validates, files are published only after, and the video points at them only after that; its
  claims expire and the video is re-queued (stalled.py);
- transient failures (storage, disk, a worker shutting down) are retried with backoff; a bad
  file fails at once with the engine's reason, in Chinese.
"""

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from . import conf, leases, storage
from .models import InvalidTransition, VideoAsset, VideoEncoding
from .publishing import attach, mark_done, publish_files, workdir

logger = logging.getLogger(__name__)

Status = VideoAsset.Status


@dataclass
class Outcome:
    """What a job ended with; `retry_after` (seconds) asks the task to run again later."""

    state: str  # "ready", "failed", "waiting", "retry", "skipped"
    retry_after: float | None = None
    reason: str = ""


class SourceFile:
    """A local path to the source, fetched on first use: the file itself on local storage, a
    download from S3 (a job that only looks whether another worker finished needs neither)."""

    def __init__(self, video):
        self.video = video
        self.tmp = None
        self._path = None

    @property
    def path(self):
        if self._path is None:
            name = self.video.source.name
            local = storage.local_path(name)
            if local:
                self._path = Path(local)
            else:
                self.tmp = tempfile.mkdtemp(prefix="source-", dir=workdir())
                self._path = Path(self.tmp) / ("source" + Path(name).suffix.lower())
                storage.download_to(name, self._path)
        return self._path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


class EngineProgress:
    """Engine progress → every asset waiting on these bytes (throttled), and the lease."""

    def __init__(self, encoding, keeper):
        self.encoding, self.keeper = encoding, keeper
        self.last_percent = -1
        self.last_beat = 0.0

    def __call__(self, fraction, stage):
        percent = max(0, min(99, int(fraction * 100)))
        now = time.monotonic()
        if percent == self.last_percent and now - self.last_beat < 10:
            return
        self.last_percent, self.last_beat = percent, now
        try:
            if not leases.heartbeat(self.encoding, progress=percent):
                self.keeper.lost = True
                return
            VideoAsset.objects.filter(
                sha256=self.encoding.sha256, status=Status.TRANSCODING
            ).update(progress=percent, updated_at=timezone.now())
        except Exception:  # the callback must not raise (the engine would fail the job)
            logger.exception("progress update failed")

    def cancelled(self):
        return self.keeper.lost


def _profile_hash():
    from .engine.ladder import get_profile, profile_hash

    return profile_hash(get_profile(conf.video_profile()))


def _save_probe(video, info):
    data = info.to_dict()
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
    VideoAsset.objects.filter(pk=video.pk).update(updated_at=timezone.now(), **fields)
    for name, value in fields.items():
        setattr(video, name, value)


def fail(video, reason, encoding=None):
    if encoding is not None:
        leases.release(encoding, status=VideoEncoding.Status.FAILED, error=reason)
    try:
        video.transition(Status.FAILED, failure_reason=reason, progress=0)
    except InvalidTransition:
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
        leases.release(encoding, status=VideoEncoding.Status.PENDING, error=reason)
    attempts = video.attempts + 1
    if attempts >= conf.max_attempts():
        return fail(video, f"多次重试后仍失败：{reason}")
    delay = conf.retry_base_seconds() * 2 ** (attempts - 1)
    video.transition(
        Status.UPLOADED,
        attempts=attempts,
        progress=0,
        failure_reason=f"暂时失败，{int(delay)} 秒后自动重试（第 {attempts} 次）：{reason}",
    )
    return Outcome("retry", retry_after=delay, reason=reason)


def _transient_reason(exc):
    if isinstance(exc, OSError):
        return "服务器存储暂时不可用"
    return "服务器暂时出错"


def process(video_id):
    """Run one video through the pipeline. Never raises for a bad file or a retryable error."""
    from .engine.errors import MediaError

    video = VideoAsset.objects.select_related("encoding").filter(pk=video_id).first()
    if video is None or video.status in (Status.READY, Status.FAILED, Status.PROBING):
        # PROBING: another job has it (if its worker died, stalled.py re-queues the video).
        return Outcome("skipped")
    if not video.source:
        return fail(video, "没有源文件，请重新上传。")
    if video.status == Status.UPLOADED:
        try:  # claim it; a duplicate job for the same video loses here
            video.transition(Status.PROBING, progress=0)
        except InvalidTransition:
            return Outcome("skipped")
    encoding = None
    try:
        with leases.Keeper(video.pk) as keeper, SourceFile(video) as source:
            if video.status == Status.TRANSCODING and video.encoding_id:
                encoding = video.encoding  # a job that waited for another worker looks again
            else:
                encoding = _probe(video, source)
            if encoding.status == VideoEncoding.Status.DONE:
                attach(video, encoding)  # the same bytes were encoded before
                return Outcome("ready")
            if not leases.acquire(encoding):
                # Another worker is encoding these bytes; look again later.
                if video.status != Status.TRANSCODING:
                    video.transition(Status.TRANSCODING, encoding=encoding)
                return Outcome("waiting", retry_after=conf.wait_poll_seconds())
            keeper.hold(encoding)
            if video.status != Status.TRANSCODING:
                video.transition(Status.TRANSCODING, encoding=encoding, progress=0)
            encoding.refresh_from_db()
            result = _encode(video, encoding, source.path, keeper)
        for waiting in VideoAsset.objects.filter(sha256=video.sha256, status=Status.TRANSCODING):
            attach(waiting, encoding)  # this one, and any that waited for the same bytes
        shutil.rmtree(result.root, ignore_errors=True)  # published: free the worker's disk
        return Outcome("ready")
    except MediaError as exc:
        logger.warning("video %s: %s (%s) %s", video.pk, exc.code, exc.reason, exc.detail)
        if exc.transient:
            return _retry(video, exc.reason, encoding)
        return fail(video, exc.reason, encoding)
    except Exception as exc:  # storage, network, database hiccups: not the file's fault
        logger.exception("video %s: transient failure", video.pk)
        return _retry(video, _transient_reason(exc), encoding)


def _probe(video, source):
    """Hash (if not done while receiving) and probe the source; the encoding its bytes need."""
    from .engine.probe import probe_source
    from .engine.workspace import sha256_file

    if not video.sha256:  # S3 uploads, and chunks that arrived at several servers
        video.sha256 = sha256_file(source.path)
        VideoAsset.objects.filter(pk=video.pk).update(sha256=video.sha256)
    _save_probe(video, probe_source(source.path))
    return leases.encoding_for(video.sha256, _profile_hash())


def _encode(video, encoding, source, keeper):
    from .engine.first_pass import run_pipeline

    progress = EngineProgress(encoding, keeper)
    result = run_pipeline(
        source,
        workdir(),
        profile=conf.video_profile(),
        progress=progress,
        cancel=progress.cancelled,
        sha256=video.sha256,
    )
    if keeper.lost:
        raise RuntimeError("lease lost")
    publish_files(result.prefix, result.files, result.manifest["master"])
    mark_done(encoding, result)
    return result


def requeue(video):
    """ "重新处理": back to the queue; the encoding's failure and a dead worker's lease are
    forgotten."""
    video.transition(Status.UPLOADED, progress=0, attempts=0, failure_reason="")
    if video.sha256:
        VideoEncoding.objects.filter(
            sha256=video.sha256, status=VideoEncoding.Status.FAILED
        ).update(status=VideoEncoding.Status.PENDING, error="")
        VideoEncoding.objects.filter(sha256=video.sha256, lease_expires__lt=timezone.now()).update(
            lease_owner="", lease_expires=None
        )
    if video.hd_status == VideoAsset.HDStatus.FAILED:
        VideoAsset.objects.filter(pk=video.pk).update(hd_status=VideoAsset.HDStatus.NOT_NEEDED)
    return video
