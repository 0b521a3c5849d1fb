"""What a video is doing, in words an editor understands; captions always stored as WebVTT."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from media_pipeline.factories import ReadyVideoFactory, VideoAssetFactory, ready_manifest
from media_pipeline.models import InvalidTransition, VideoAsset, VideoCaption

pytestmark = pytest.mark.django_db


def test_a_video_moves_uploaded_probing_transcoding_ready():
    video = VideoAssetFactory()
    assert video.status == "uploaded" and video.is_busy

    video.transition(VideoAsset.Status.PROBING)
    video.transition(VideoAsset.Status.TRANSCODING, progress=42)
    assert video.status_text() == "正在转码 42%"
    video.transition(VideoAsset.Status.READY, progress=100)

    video.refresh_from_db()
    assert video.status == "ready" and video.is_ready and not video.is_busy


def test_a_step_the_state_machine_does_not_allow_is_refused():
    video = VideoAssetFactory()
    with pytest.raises(InvalidTransition):
        video.transition(VideoAsset.Status.READY)  # never ready without being processed
    video.refresh_from_db()
    assert video.status == "uploaded"


def test_the_loser_of_a_race_gets_invalid_transition():
    video = VideoAssetFactory()
    stale_copy = VideoAsset.objects.get(pk=video.pk)
    video.transition(VideoAsset.Status.FAILED, failure_reason="文件为空（0 字节），请重新上传。")
    with pytest.raises(InvalidTransition):
        stale_copy.transition(VideoAsset.Status.PROBING)


def test_a_failed_video_says_why():
    video = VideoAssetFactory(status="failed", failure_reason="视频文件不完整，可能上传中断。")
    assert video.status_text() == "处理失败：视频文件不完整，可能上传中断。"
    assert video.status_json()["failure_reason"] == "视频文件不完整，可能上传中断。"


def test_published_files_and_their_urls_come_from_the_manifest():
    video = ReadyVideoFactory()
    prefix = video.manifest["prefix"]
    assert video.master_playlist == f"{prefix}/master-000000000000.m3u8"
    assert video.poster_url == f"/media/{prefix}/poster.jpg"
    assert video.storyboard_url == f"/media/{prefix}/storyboard.vtt"
    assert video.fallback_url == f"/media/{prefix}/fallback.mp4"
    assert video.duration_text == "0:12"
    assert VideoAssetFactory().master_url == ""  # nothing published yet


def test_published_captions_are_the_player_tracks():
    captions = [
        {"lang": "zh-Hans", "name": "中文", "vtt": "captions/zh-Hans-1.vtt", "default": True}
    ]
    video = ReadyVideoFactory(manifest=ready_manifest(captions=captions))
    [track] = video.caption_tracks()
    assert track["label"] == "中文" and track["default"] is True
    assert track["url"].endswith("/testprofile/captions/zh-Hans-1.vtt")


def test_an_srt_upload_is_stored_as_webvtt():
    video = VideoAssetFactory()
    srt = "1\n00:00:01,000 --> 00:00:02,500\n同学们好\n\n"
    caption = VideoCaption(video=video, language="zh-Hans", label="中文")
    caption.file = ContentFile(srt.encode(), name="第一课.srt")
    caption.save()

    caption.refresh_from_db()
    assert caption.file.name.endswith(".vtt")
    text = caption.file.read().decode()
    assert text.startswith("WEBVTT") and "00:00:01.000 --> 00:00:02.500" in text


def test_a_broken_caption_file_is_a_form_error_not_a_crash():
    video = VideoAssetFactory()
    caption = VideoCaption(video=video, language="zh-Hans", label="中文")
    caption.file = ContentFile(b"\xff\xfe\x00garbage", name="bad.srt")
    with pytest.raises(ValidationError):
        caption.clean()
