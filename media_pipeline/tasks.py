"""Background jobs (the Django Tasks API): SD ladder on `video`, the 1080p second pass on the
lower-priority `video-hd`, kit zips, material previews and caption refreshes on `default`."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import hd_job, publishing, transcode_job

logger = logging.getLogger(__name__)


def _again(task_obj, delay, *args):
    """Run the task again later, if the backend can defer (the database queue can)."""
    backend = task_obj.get_backend()
    if not backend.supports_defer:
        logger.warning("%s: backend cannot defer; not rescheduling", task_obj.name)
        return None
    return task_obj.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(*args)


@task(queue_name="video")
def process_video(video_id):
    outcome = transcode_job.process(video_id)
    if outcome.retry_after is not None:
        _again(process_video, outcome.retry_after, video_id)
    elif outcome.state == "ready":
        queue_hd_if_needed(video_id)
    return outcome.state


@task(queue_name="video-hd", priority=-10)
def process_video_hd(video_id):
    outcome = hd_job.process_hd(video_id)
    if outcome.retry_after is not None:
        _again(process_video_hd, outcome.retry_after, video_id)
    return outcome.state


@task()
def refresh_video_captions(video_id):
    return publishing.refresh_captions(video_id)


@task()
def build_kit_bundle(page_id):
    from .bundles import build_for_kit

    bundle = build_for_kit(page_id)
    return bundle.status if bundle else "skipped"


@task()
def build_document_preview(document_id):
    from .previews import build

    preview = build(document_id)
    return preview.status if preview else "skipped"


def queue_video(video):
    return process_video.enqueue(video.pk)


def queue_hd_if_needed(video_id):
    from .models import VideoAsset

    if VideoAsset.objects.filter(pk=video_id, hd_status=VideoAsset.HDStatus.PENDING).exists():
        return process_video_hd.enqueue(video_id)
    return None


def requeue_video(video):
    transcode_job.requeue(video)
    return queue_video(video)
