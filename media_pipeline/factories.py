"""Factories for videos, for tests and sample content.

`VideoAssetFactory()` is an uploaded video waiting to be processed (no bytes: pass
`source=...`); `ReadyVideoFactory()` is one that looks processed, with a manifest and storage
names, for templates and pages that only need a playable-looking video.
"""

import posixpath

import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory

from .models import VideoAsset, VideoCaption

SHA = "ab" + "0" * 62
PREFIX = f"videos/ab/{SHA}/testprofile"
MASTER = "master-000000000000.m3u8"
FALLBACK = "fallback.mp4"


def ready_manifest(prefix=PREFIX, duration=12.0, captions=(), master=MASTER, fallback=FALLBACK):
    """A published-looking manifest; `master` and `fallback` are names relative to `prefix`
    (None: not there)."""
    return {
        "version": 1,
        "sha256": SHA,
        "prefix": prefix,
        "master": master,
        "duration": duration,
        "source": {"duration": duration, "width": 1280, "height": 720, "has_audio": True},
        "variants": [
            {"name": "360p", "width": 640, "height": 360, "playlist": "360p/index.m3u8"},
            {"name": "720p", "width": 1280, "height": 720, "playlist": "720p/index.m3u8"},
        ],
        "audio": {"playlist": "audio/index.m3u8"},
        "captions": list(captions),
        "poster": {"path": "poster.jpg"},
        "storyboard": {"image": "storyboard.jpg", "vtt": "storyboard.vtt"},
        "fallback_mp4": {"path": fallback} if fallback else None,
        "audio_only": {"path": "audio.m4a"},
        "hd_pending": False,
    }


def _manifest_for(video):
    """The manifest for the factory's `master_playlist` / `fallback_mp4` storage names."""
    prefix = PREFIX
    if video.fallback_mp4 and not video.fallback_mp4.startswith(f"{PREFIX}/"):
        prefix = posixpath.dirname(video.fallback_mp4)  # a test's own file elsewhere
    names = [video.master_playlist, video.fallback_mp4]
    master, fallback = (posixpath.relpath(n, prefix) if n else None for n in names)
    return ready_manifest(prefix=prefix, duration=video.duration, master=master, fallback=fallback)


class VideoAssetFactory(DjangoModelFactory):
    class Meta:
        model = VideoAsset

    title = factory.Sequence(lambda n: f"第{n}课视频")
    status = VideoAsset.Status.UPLOADED


class ReadyVideoFactory(VideoAssetFactory):
    """`ReadyVideoFactory(master_playlist="", fallback_mp4="videos/…/clip.webm")` for an MP4-only
    video whose file a test put in storage."""

    class Params:
        master_playlist = f"{PREFIX}/{MASTER}"
        fallback_mp4 = f"{PREFIX}/{FALLBACK}"

    status = VideoAsset.Status.READY
    progress = 100
    sha256 = SHA
    duration = 12.0
    width = 1280
    height = 720
    has_audio = True
    manifest = factory.LazyAttribute(_manifest_for)


class VideoCaptionFactory(DjangoModelFactory):
    class Meta:
        model = VideoCaption

    video = factory.SubFactory(VideoAssetFactory)
    language = "zh-Hans"
    label = "中文"
    file = factory.LazyFunction(
        lambda: ContentFile(
            "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n同学们好\n".encode(), name="zh.vtt"
        )
    )
