"""Keeping derived files in step: captions edited on a ready video get a new master playlist;
a kit published with changed materials gets its "下载全部" zip and its previews built ahead of
the first click."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from wagtail.signals import page_published

from .models import VideoAsset, VideoCaption

logger = logging.getLogger(__name__)

# Sent when a kit's whole zip is handed to someone (like Wagtail's document_served), with
# `kit` and `request`: the app that keeps a teacher's recent downloads listens, this one does not
# need to know it exists.
kit_bundle_served = Signal()


def _refresh_captions(video_id):
    from .tasks import refresh_video_captions

    if VideoAsset.objects.filter(pk=video_id, status=VideoAsset.Status.READY).exists():
        refresh_video_captions.enqueue(video_id)


def captions_changed(sender, instance, **kwargs):
    video_id = instance.video_id
    transaction.on_commit(lambda: _refresh_captions(video_id))


def kit_published(sender, instance, **kwargs):
    from courses.models import ClassMeetingKitPage

    if isinstance(instance, ClassMeetingKitPage):
        from .bundles import current_bundle
        from .previews import queue_for_kit

        try:
            current_bundle(instance)
            queue_for_kit(instance)
        except Exception:  # building ahead is a courtesy; publishing must never fail for it
            logger.exception("could not queue the bundle or previews of kit %s", instance.pk)


def connect():
    """Called from MediaPipelineConfig.ready(): importing this module connects nothing."""
    post_save.connect(captions_changed, sender=VideoCaption, dispatch_uid="media.captions_saved")
    post_delete.connect(
        captions_changed, sender=VideoCaption, dispatch_uid="media.captions_deleted"
    )
    page_published.connect(kit_published, dispatch_uid="media.kit_published")
