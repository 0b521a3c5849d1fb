"""Videos whose worker died (killed, out of memory, the machine rebooted) go back to the queue.

A worker renews its claim on a video while it probes or transcodes it (leases.py). The database
task queue does not run a task again when the worker running it dies, so without this a video
would stay "正在分析视频" or "正在转码" forever. The scheduler runs `requeue_stalled` every
minute (registered in apps.py); each stall counts as an attempt, and after the last one the video
fails with a reason, so a file that kills its worker every time cannot loop.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import conf
from .models import VideoAsset, VideoEncoding

logger = logging.getLogger(__name__)

REQUEUED = "处理中断（处理进程意外停止），已自动重新排队（第 {} 次）。"
GAVE_UP = "处理多次中断（处理进程意外停止），已停止自动重试。请检查视频文件后点击“重新处理”。"


def requeue_stalled(now=None):
    """Re-queue (or, after too many attempts, fail) every stalled video; returns their ids."""
    from .tasks import process_video

    now = now or timezone.now()
    candidates = VideoAsset.objects.filter(
        status__in=[VideoAsset.Status.PROBING, VideoAsset.Status.TRANSCODING],
        updated_at__lt=now - timedelta(seconds=conf.lease_seconds()),
    ).select_related("encoding")
    handled = []
    for video in candidates:
        if not video.is_stalled(now):
            continue
        attempts = video.attempts + 1
        if attempts >= conf.max_attempts():
            fields = {"status": VideoAsset.Status.FAILED, "failure_reason": GAVE_UP}
        else:
            fields = {
                "status": VideoAsset.Status.UPLOADED,
                "attempts": attempts,
                "failure_reason": REQUEUED.format(attempts),
            }
        # Only if nothing moved since we looked: a slow worker that came back keeps its video.
        moved = VideoAsset.objects.filter(
            pk=video.pk, status=video.status, updated_at=video.updated_at
        ).update(progress=0, updated_at=timezone.now(), **fields)
        if not moved:
            continue
        logger.warning("video %s stalled in %s: %s", video.pk, video.status, fields["status"])
        handled.append(video.pk)
        if video.encoding_id:  # its worker's lease is as dead as its worker
            VideoEncoding.objects.filter(pk=video.encoding_id, lease_expires__lt=now).update(
                lease_owner="", lease_expires=None, status=VideoEncoding.Status.PENDING
            )
        if fields["status"] == VideoAsset.Status.UPLOADED:
            transaction.on_commit(lambda pk=video.pk: process_video.enqueue(pk))
    return handled
