"""Factories for videos, for tests and sample content.

`VideoAssetFactory()` is an uploaded video waiting to be processed (no bytes: pass
`source=...`); `ReadyVideoFactory()` is one that looks processed, with a manifest and storage
names, for templates and pages that only need a playable-looking video.
"""

import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory

from .models import VideoAsset, VideoCaption

SHA = "ab" + "0" * 62
PREFIX = f"videos/ab/{SHA}/testprofile"


def ready_manifest(prefix=PREFIX, duration=12.0, captions=()):
    return {
        "version": 1,
        "sha256": SHA,
        "prefix": prefix,
        "master": "master-000000000000.m3u8",
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
        "fallback_mp4": {"path": "fallback.mp4"},
        "audio_only": {"path": "audio.m4a"},
        "hd_pending": False,
    }


class VideoAssetFactory(DjangoModelFactory):
    class Meta:
        model = VideoAsset

    title = factory.Sequence(lambda n: f"第{n}课视频")
    status = VideoAsset.Status.UPLOADED


class ReadyVideoFactory(VideoAssetFactory):
    status = VideoAsset.Status.READY
    progress = 100
    sha256 = SHA
    duration = 12.0
    width = 1280
    height = 720
    has_audio = True
    manifest = factory.LazyFunction(ready_manifest)
    master_playlist = f"{PREFIX}/master-000000000000.m3u8"
    fallback_mp4 = f"{PREFIX}/fallback.mp4"
    audio_playlist = f"{PREFIX}/audio/index.m3u8"
    poster = f"{PREFIX}/poster.jpg"
    storyboard = f"{PREFIX}/storyboard.vtt"


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
