"""On a phone, a demo lesson plays its own narrated video: slides of its sentences, the voice,
and the caption of the sentence being said. Screenshots go to var/screenshots/demo/ (looked at
by a person, not compared)."""

import io
import os
from pathlib import Path

import pytest
from wagtail.models import Site

from courses.factories import CourseSeriesPageFactory, LessonPageFactory
from media_pipeline import demo, demo_clip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots/demo"))
TRANSCRIPT = (
    "考试焦虑几乎每个同学都经历过，今天我们来学习怎样和它相处。"
    "试试腹式呼吸：用鼻子慢慢吸气四秒，再用嘴巴慢慢呼气六秒。"
    "如果焦虑一直困扰你，记得找老师、家长聊一聊。"
)


@pytest.fixture
def lesson(settings, tmp_path, tmp_path_factory):
    settings.SUNSHINE_VIDEO_WORKDIR = str(tmp_path / "work")
    settings.SUNSHINE_VIDEO_PROFILE = "fast"
    settings.SUNSHINE_DEMO_LESSON_VIDEOS = True
    settings.SUNSHINE_DEMO_VIDEO_CACHE = str(tmp_path_factory.getbasetemp() / "demo-videos")
    series = CourseSeriesPageFactory(parent=Site.objects.get(is_default_site=True).root_page)
    lesson = LessonPageFactory(
        parent=series, title="如何应对考试焦虑情绪", transcript=TRANSCRIPT, duration=None
    )
    lesson.save_revision().publish()
    demo.seed(io.StringIO())
    lesson.refresh_from_db()
    assert lesson.video and lesson.video.is_ready
    return lesson


def video_js(expression):
    video = "document.querySelector('.sunshine-player video')"
    return f"() => {{ const v = {video}; return {expression}; }}"


def test_a_demo_lesson_plays_its_narrated_slides_with_the_sentence_as_caption(
    live_server, phone, lesson, skip_district_picker
):
    lines = demo_clip.narration(lesson.title, TRANSCRIPT)
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.goto(live_server.url + lesson.url)
    skip_district_picker(phone)
    # Muted, so headless Chromium lets it play without a tap (the player fetches the stream
    # only once asked to play).
    assert not phone.evaluate("'Hls' in window")  # nothing fetched before anyone asked
    phone.evaluate(video_js("(v.muted = true, v.play(), 1)"))
    phone.wait_for_function(video_js("v.readyState >= 1"), timeout=30_000)
    phone.evaluate(video_js("(v.pause(), 1)"))
    # The video lasts as long as its narration, and its captions are one cue per sentence.
    duration = phone.evaluate(video_js("v.duration"))
    assert abs(duration - lesson.video.duration) < 0.5 and 20 < duration < 90
    phone.evaluate(video_js("(v.textTracks[0].mode = 'showing', true)"))
    phone.wait_for_function(video_js("v.textTracks[0].cues && v.textTracks[0].cues.length > 0"))
    assert phone.evaluate(video_js("v.textTracks[0].cues.length")) == len(lines)

    # Into the second sentence.
    second = demo_clip.parse_cues(lesson.video.captions.get().file.read().decode())[2]
    phone.evaluate(video_js(f"(v.currentTime = {second.start + 1}, v.play(), 1)"))
    phone.wait_for_function(video_js(f"v.currentTime > {second.start + 1.5}"), timeout=30_000)
    phone.evaluate(video_js("(v.pause(), 1)"))
    active = phone.evaluate(
        video_js("Array.from(v.textTracks[0].activeCues || []).map(c => c.text)")
    )
    assert active == [lines[2]]
    phone.locator(".sunshine-player").scroll_into_view_if_needed()
    phone.screenshot(path=str(SHOTS / "lesson-playing.png"))
    phone.screenshot(path=str(SHOTS / "lesson-full.png"), full_page=True)
