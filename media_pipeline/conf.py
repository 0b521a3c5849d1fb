"""The media app's settings, each overridable in Django settings or the environment."""

import os

from django.conf import settings

GIB = 1024**3
MIB = 1024**2


def _get(name, default, cast=int):
    if hasattr(settings, name):
        return getattr(settings, name)
    value = os.environ.get(name)
    return cast(value) if value is not None else default


def max_upload_size():
    return _get("SUNSHINE_VIDEO_MAX_UPLOAD_SIZE", 20 * GIB)


def chunk_size():
    return _get("SUNSHINE_UPLOAD_CHUNK_SIZE", 8 * MIB)


def s3_part_size():
    # S3 wants parts of at least 5 MiB (except the last) and at most 10,000 of them.
    return _get("SUNSHINE_S3_PART_SIZE", 16 * MIB)


def lease_seconds():
    """How long a worker's claim on an encoding lasts without a heartbeat."""
    return _get("SUNSHINE_VIDEO_LEASE_SECONDS", 120)


def max_attempts():
    return _get("SUNSHINE_VIDEO_MAX_ATTEMPTS", 5)


def retry_base_seconds():
    return _get("SUNSHINE_VIDEO_RETRY_SECONDS", 30)


def wait_poll_seconds():
    """How soon a job that found another worker encoding the same file looks again."""
    return _get("SUNSHINE_VIDEO_WAIT_SECONDS", 15)


def video_profile():
    """The engine's encoding profile: "standard", or "fast" (same ladder, quicker) in tests."""
    return _get("SUNSHINE_VIDEO_PROFILE", "standard", str)


def workdir():
    """Local scratch space for the worker: sources fetched from S3 and outputs before publishing."""
    import tempfile

    return _get(
        "SUNSHINE_VIDEO_WORKDIR", os.path.join(tempfile.gettempdir(), "sunshine-media-work"), str
    )
