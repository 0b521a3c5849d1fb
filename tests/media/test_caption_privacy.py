"""Captions, tried as an anonymous visitor would: an editor's caption file is private until its
video is published, and public after, the way renditions are (a checked WebVTT copy under
`videos/`, published with the video); the uploaded file itself is never served."""

import re

import pytest
from django.core.files.base import ContentFile
from wagtail.models import Site

from courses.factories import CourseSeriesPageFactory, LessonPageFactory
from media_pipeline import tasks
from media_pipeline.models import VideoCaption
from tests.media.app_support import uploaded_video

pytestmark = pytest.mark.django_db

SRT = "1\n00:00:00,500 --> 00:00:01,800\n同学们好，今天聊聊情绪\n".encode()
TRACK = re.compile(r'<track kind="subtitles"[^>]* src="([^"]+)"')


def fetch(client, url):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def add_caption(video, django_capture_on_commit_callbacks, language="zh-Hans", label="中文"):
    caption = VideoCaption(video=video, language=language, label=label, is_default=True)
    caption.file = ContentFile(SRT, name="第一课.srt")
    with django_capture_on_commit_callbacks(execute=True):
        caption.save()
    return caption


@pytest.fixture
def lesson():
    series = CourseSeriesPageFactory(parent=Site.objects.get(is_default_site=True).root_page)
    return LessonPageFactory(parent=series)


@pytest.mark.slow
def test_a_caption_is_private_until_its_video_is_published_and_public_after(
    client, clips, video_settings, lesson, django_capture_on_commit_callbacks
):
    video = uploaded_video(clips.video(width=640, height=360, seconds=2), with_sha=False)
    caption = add_caption(video, django_capture_on_commit_callbacks)
    upload_url = caption.file.url
    assert upload_url.startswith("/media/video-captions/")
    lesson.video = video
    lesson.save_revision().publish()

    # Before: the video is still being processed. The upload is not served, the page names no
    # caption file at all.
    assert fetch(client, upload_url)[0] == 404
    page = client.get(lesson.url).content.decode()
    assert "video-captions/" not in page and not TRACK.search(page)

    assert tasks.process_video.call(video.pk) == "ready"

    # After: the page's track is the copy published with the renditions, and anyone gets it.
    page = client.get(lesson.url).content.decode()
    [track_url] = TRACK.findall(page)
    video.refresh_from_db()
    prefix = video.manifest["prefix"]
    assert track_url.startswith(f"/media/{prefix}/captions/")
    status, body = fetch(client, track_url)
    assert status == 200 and body.startswith(b"WEBVTT") and "同学们好".encode() in body
    assert client.get(track_url)["Cache-Control"] == client.get(video.master_url)["Cache-Control"]
    assert fetch(client, upload_url)[0] == 404  # the editor's upload stays private
    assert "video-captions/" not in page

    # Unpublished: the page is gone; the caption copy stays exactly like the renditions do
    # (content-addressed, cached forever by the CDN), and the upload is still not served.
    lesson.unpublish()
    assert client.get(lesson.url).status_code == 404
    assert fetch(client, track_url)[0] == fetch(client, video.master_url)[0] == 200
    assert fetch(client, upload_url)[0] == 404


def test_a_caption_added_to_a_ready_video_shows_only_once_it_is_published(
    client, fake_engine, task_queue, lesson, django_capture_on_commit_callbacks
):
    video = uploaded_video(b"\x00\x00\x00\x18ftypisom" + b"lesson bytes" * 100)
    tasks.process_video.call(video.pk)
    lesson.video = video
    lesson.save_revision().publish()
    assert not TRACK.search(client.get(lesson.url).content.decode())

    caption = add_caption(video, django_capture_on_commit_callbacks, language="en", label="English")
    # The refresh job is queued, not run yet: the upload is not offered in its place.
    assert [r.args for r in task_queue.results if r.task.name == "refresh_video_captions"] == [
        [video.pk]
    ]
    page = client.get(lesson.url).content.decode()
    assert not TRACK.search(page) and "video-captions/" not in page
    assert fetch(client, caption.file.url)[0] == 404

    tasks.refresh_video_captions.call(video.pk)

    [track_url] = TRACK.findall(client.get(lesson.url).content.decode())
    video.refresh_from_db()
    assert track_url.startswith(f"/media/{video.manifest['prefix']}/")
    status, body = fetch(client, track_url)
    assert status == 200 and "同学们好".encode() in body
    assert fetch(client, caption.file.url)[0] == 404
