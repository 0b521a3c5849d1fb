"""Who is working on what, so that two workers never encode the same bytes and a killed worker's
video does not wait forever.

- A `VideoEncoding` row (sha256, profile) is the lease on encoding those bytes: taken by one
  atomic conditional UPDATE, renewed while the engine runs, released at the end. An expired lease
  may be taken by anyone.
- A video a worker is probing or transcoding has its `updated_at` renewed on the same clock, so
  a video whose worker died is recognised (`VideoAsset.is_stalled`) and re-queued (stalled.py).
"""

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import conf
from .models import VideoAsset, VideoEncoding

logger = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
BUSY = (VideoAsset.Status.PROBING, VideoAsset.Status.TRANSCODING)


def _owner(owner):
    return owner or WORKER_ID


def encoding_for(sha256, profile):
    try:
        with transaction.atomic():
            encoding, _ = VideoEncoding.objects.get_or_create(sha256=sha256, profile=profile)
    except IntegrityError:  # created by a concurrent job between our SELECT and INSERT
        encoding = VideoEncoding.objects.get(sha256=sha256, profile=profile)
    return encoding


def acquire(encoding, owner=None):
    """Take the lease if nobody holds a live one. One UPDATE decides, on SQLite and PostgreSQL."""
    owner = _owner(owner)
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
    fields = {"lease_expires": timezone.now() + timedelta(seconds=conf.lease_seconds())}
    if progress is not None:
        fields["progress"] = progress
    return bool(
        VideoEncoding.objects.filter(pk=encoding.pk, lease_owner=_owner(owner)).update(**fields)
    )


def release(encoding, owner=None, **fields):
    VideoEncoding.objects.filter(pk=encoding.pk, lease_owner=_owner(owner)).update(
        lease_owner="", lease_expires=None, **fields
    )


def touch(video_id=None, sha256=None):
    """Show that a worker is alive on a video (and on the videos waiting for the same bytes)."""
    now = timezone.now()
    if video_id is not None:
        VideoAsset.objects.filter(pk=video_id, status__in=BUSY).update(updated_at=now)
    if sha256:
        VideoAsset.objects.filter(sha256=sha256, status=VideoAsset.Status.TRANSCODING).update(
            updated_at=now
        )


class Keeper:
    """Renews a worker's claims on a timer while it works, so a long quiet step (hashing a
    multi-GB source, downloading it from S3, validating a 90-minute recording) does not look
    like a dead worker. Use as a context manager; `hold(encoding)` once the lease is taken."""

    def __init__(self, video_id):
        self.video_id = video_id
        self.encoding = None
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="video-keeper")

    def hold(self, encoding):
        self.encoding = encoding

    def _run(self):
        try:
            while not self._stop.wait(max(1.0, conf.lease_seconds() / 3)):
                try:
                    encoding = self.encoding
                    touch(self.video_id, encoding.sha256 if encoding else None)
                    if encoding is not None and not heartbeat(encoding):
                        self.lost = True  # expired and taken: the engine stops (cancel)
                        return
                except Exception:  # a database hiccup: try again at the next beat
                    logger.exception("lease renewal failed")
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
