"""The job around the engine's 1080p pass (`engine/hd_pass.py`) for sources at least 1080 tall,
after the video is already playable (queue `video-hd`, lower priority): it leases the work,
publishes the new rung and master playlist, and never takes the video out of `ready`."""

import logging
import shutil

from django.utils import timezone

from . import conf, leases
from .models import VideoAsset, VideoEncoding
from .publishing import HD_SUFFIX, mark_done, publish_files, with_captions, workdir
from .purge import pages_changed
from .transcode_job import EngineProgress, Outcome, SourceFile

logger = logging.getLogger(__name__)

HD_BUSY = [VideoAsset.HDStatus.PENDING, VideoAsset.HDStatus.TRANSCODING]


def process_hd(video_id):
    from .engine.errors import MediaError
    from .engine.hd_pass import run_hd_pass

    video = VideoAsset.objects.select_related("encoding").filter(pk=video_id).first()
    if video is None or video.status != VideoAsset.Status.READY or video.encoding is None:
        return Outcome("skipped")
    if video.hd_status not in HD_BUSY:
        return Outcome("skipped")
    base = video.encoding
    hd = leases.encoding_for(base.sha256, base.profile + HD_SUFFIX)
    try:
        if hd.status != VideoEncoding.Status.DONE:
            if not leases.acquire(hd):
                return Outcome("waiting", retry_after=conf.wait_poll_seconds())
            VideoAsset.objects.filter(pk=video.pk).update(hd_status=VideoAsset.HDStatus.TRANSCODING)
            with leases.Keeper(None) as keeper, SourceFile(video) as source:
                keeper.hold(hd)
                progress = EngineProgress(hd, keeper)
                result = run_hd_pass(
                    source.path,
                    workdir(),
                    base.manifest,
                    progress=progress,
                    cancel=progress.cancelled,
                )
            prefix = base.manifest["prefix"]
            publish_files(prefix, result.files, result.manifest["master"])
            mark_done(hd, result, prefix)
            shutil.rmtree(result.root, ignore_errors=True)
        for asset in VideoAsset.objects.filter(
            encoding=base, status=VideoAsset.Status.READY, hd_status__in=HD_BUSY
        ):
            manifest = with_captions(asset, hd.manifest)
            VideoAsset.objects.filter(pk=asset.pk).update(
                hd_status=VideoAsset.HDStatus.READY, manifest=manifest, updated_at=timezone.now()
            )
            pages_changed(asset)
        return Outcome("ready")
    except MediaError as exc:
        leases.release(hd, status=VideoEncoding.Status.FAILED, error=exc.reason)
        if exc.transient:
            return Outcome("retry", retry_after=conf.retry_base_seconds(), reason=exc.reason)
        VideoAsset.objects.filter(pk=video.pk).update(
            hd_status=VideoAsset.HDStatus.FAILED, hd_failure_reason=exc.reason
        )
        return Outcome("failed", reason=exc.reason)
    except Exception as exc:
        logger.exception("video %s: 1080p pass failed", video.pk)
        leases.release(hd, status=VideoEncoding.Status.PENDING)
        return Outcome("retry", retry_after=conf.retry_base_seconds(), reason=str(exc))
