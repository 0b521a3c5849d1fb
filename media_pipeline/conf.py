"""The media app's settings: Django settings when set there, else the defaults below.

Read when used (sunshine.app_settings), so tests change them with `settings`. The environment
variables of the same names reach Django settings through sunshine.environment.
"""

import os
import tempfile

from sunshine.app_settings import AppSettings

GIB = 1024**3
MIB = 1024**2

DEFAULTS = {
    # The largest video upload, in bytes.
    "SUNSHINE_VIDEO_MAX_UPLOAD_SIZE": 20 * GIB,
    # The resumable upload's chunk size.
    "SUNSHINE_UPLOAD_CHUNK_SIZE": 8 * MIB,
    # S3 wants parts of at least 5 MiB (except the last) and at most 10,000 of them.
    "SUNSHINE_S3_PART_SIZE": 16 * MIB,
    # How long a worker's claim on an encoding lasts without a heartbeat.
    "SUNSHINE_VIDEO_LEASE_SECONDS": 120,
    # Retries of a transient transcoding failure, and the base delay between them.
    "SUNSHINE_VIDEO_MAX_ATTEMPTS": 5,
    "SUNSHINE_VIDEO_RETRY_SECONDS": 30,
    # How soon a job that found another worker encoding the same file looks again.
    "SUNSHINE_VIDEO_WAIT_SECONDS": 15,
    # The engine's encoding profile: "standard", or "fast" (same ladder, quicker) in tests.
    "SUNSHINE_VIDEO_PROFILE": "standard",
    # Local scratch space for the worker (sources fetched from S3, outputs before publishing).
    # Empty: a folder in the system's temporary folder.
    "SUNSHINE_VIDEO_WORKDIR": "",
    # `seed_demo`: each demo lesson, lecture and replay gets its own narrated slides video
    # (media_pipeline.demo_clip). False: one short test pattern for all of them (the tests).
    "SUNSHINE_DEMO_LESSON_VIDEOS": True,
    # Where those clips are kept between runs. Empty: var/demo-videos.
    "SUNSHINE_DEMO_VIDEO_CACHE": "",
}

get = AppSettings("media_pipeline", DEFAULTS).get


def max_upload_size():
    return get("SUNSHINE_VIDEO_MAX_UPLOAD_SIZE")


def chunk_size():
    return get("SUNSHINE_UPLOAD_CHUNK_SIZE")


def s3_part_size():
    return get("SUNSHINE_S3_PART_SIZE")


def lease_seconds():
    """How long a worker's claim on an encoding lasts without a heartbeat."""
    return get("SUNSHINE_VIDEO_LEASE_SECONDS")


def max_attempts():
    return get("SUNSHINE_VIDEO_MAX_ATTEMPTS")


def retry_base_seconds():
    return get("SUNSHINE_VIDEO_RETRY_SECONDS")


def wait_poll_seconds():
    """How soon a job that found another worker encoding the same file looks again."""
    return get("SUNSHINE_VIDEO_WAIT_SECONDS")


def video_profile():
    """The engine's encoding profile: "standard", or "fast" (same ladder, quicker) in tests."""
    return get("SUNSHINE_VIDEO_PROFILE")


def workdir():
    """Local scratch space for the worker: sources fetched from S3 and outputs before publishing."""
    return get("SUNSHINE_VIDEO_WORKDIR") or os.path.join(
        tempfile.gettempdir(), "sunshine-media-work"
    )


def demo_lesson_videos():
    return get("SUNSHINE_DEMO_LESSON_VIDEOS")


def demo_video_cache():
    from django.conf import settings

    return get("SUNSHINE_DEMO_VIDEO_CACHE") or os.path.join(settings.VAR_DIR, "demo-videos")
