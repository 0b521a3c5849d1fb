"""On a phone, a student plays a lesson's video (HLS through hls.js in Chromium), picks a
quality and a speed, turns the captions on, and after a reload continues where she stopped.
Without MediaSource (iOS WeChat) the same page plays the stream natively."""

import pytest
from django.core.files.base import ContentFile
from wagtail.models import Site

from courses.factories import CourseSeriesPageFactory, LessonPageFactory
from media_pipeline import tasks
from media_pipeline.models import VideoCaption
from tests.media.app_support import uploaded_video
from tests.media.clips import ClipMaker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:20.000\n同学们好，今天我们认识情绪。\n"


@pytest.fixture
def lesson(settings, tmp_path, tmp_path_factory):
    settings.SUNSHINE_VIDEO_WORKDIR = str(tmp_path / "work")
    settings.SUNSHINE_VIDEO_PROFILE = "fast"
    clip = ClipMaker.for_session(tmp_path_factory).video(width=960, height=540, seconds=16)
    video = uploaded_video(clip, title="认识情绪")
    caption = VideoCaption(video=video, language="zh-Hans", label="中文")
    caption.file.save("zh.vtt", ContentFile(CAPTIONS.encode()), save=False)
    caption.save()
    assert tasks.process_video.call(video.pk) == "ready"
    series = CourseSeriesPageFactory(parent=Site.objects.get(is_default_site=True).root_page)
    return LessonPageFactory(parent=series, title="第1课：认识情绪", video=video)


def video_js(expression):
    """A function for page.evaluate/wait_for_function with the player's <video> as `v`."""
    video = "document.querySelector('.sunshine-player video')"
    return f"() => {{ const v = {video}; return {expression}; }}"


def skip_district_picker(page):
    page.wait_for_load_state("networkidle")
    picker = page.locator("#sunshine-picker")
    if picker.count() and picker.is_visible():
        picker.get_by_role("button", name="跳过").click()


def test_a_lesson_plays_shows_captions_and_resumes_after_a_reload(
    live_server, phone, lesson, axe, chromium
):
    phone.goto(live_server.url + lesson.url)
    skip_district_picker(phone)
    in_player = [
        v["id"]
        for v in axe(phone)
        if any("sunshine-player" in " ".join(map(str, n["target"])) for n in v["nodes"])
    ]
    assert in_player == []  # labelled controls, enough contrast, nothing for axe to flag
    player = phone.locator(".sunshine-player")
    player.evaluate(
        """el => { window.playerEvents = [];
        for (const name of ['play', 'progress', 'pause', 'ended'])
          el.addEventListener('sunshine:' + name,
                              e => window.playerEvents.push([name, e.detail])); }"""
    )

    # One set of controls, ours: the native ones are only for a page without JavaScript.
    assert phone.evaluate(video_js("v.controls || v.hasAttribute('controls')")) is False
    assert phone.get_by_role("button", name="播放", exact=True).count() == 1
    phone.get_by_role("button", name="播放", exact=True).click()
    phone.wait_for_function(video_js("v.currentTime > 3"), timeout=30_000)
    assert player.get_attribute("data-engine") == "hls.js"  # Chromium has MediaSource
    assert player.get_attribute("data-page-id") == str(lesson.pk)

    # On a phone, quality, speed and captions are in the 设置 menu.
    menu = phone.get_by_role("button", name="设置")
    assert not phone.get_by_label("播放速度").is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    quality = phone.get_by_label("清晰度", exact=True)
    assert [o.strip() for o in quality.locator("option").all_inner_texts()] == [
        "自动",
        "540p",
        "360p",
    ]
    quality.select_option(label="360p")
    assert player.evaluate("el => el.sunshinePlayer.hls.currentLevel") == 0  # the lowest
    phone.get_by_label("播放速度").select_option("1.5")
    assert phone.evaluate(video_js("v.playbackRate")) == 1.5

    captions = phone.get_by_role("button", name="字幕开关")
    captions.click()
    assert captions.get_attribute("aria-pressed") == "true"
    assert phone.evaluate(video_js("v.textTracks[0].mode")) == "hidden"  # drawn by the player
    phone.wait_for_function(video_js("v.textTracks[0].activeCues.length > 0"), timeout=10_000)
    assert phone.locator(".sunshine-player__status").inner_text() == "字幕已开启"
    drawn = player.locator(".sunshine-player__captions").inner_text()
    assert drawn == "同学们好，今天我们认识情绪。"

    # Pointing at three quarters of the seek bar shows the storyboard tile for 0:12 (2 s tiles of
    # 160×90 in one row: the seventh, 960 px in).
    seek = phone.get_by_label("播放进度")
    box = seek.bounding_box()
    seek.hover(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
    thumb = player.locator(".sunshine-player__thumb")
    thumb.wait_for(state="visible")
    phone.wait_for_function(
        "() => document.querySelector('.sunshine-player__thumb').style.backgroundImage"
        ".includes('storyboard.jpg')"
    )
    assert thumb.evaluate("el => el.style.backgroundPosition") == "-960px 0px"
    assert thumb.inner_text() == "0:12"
    phone.mouse.move(0, 0)
    thumb.wait_for(state="hidden")

    phone.wait_for_function(video_js("v.currentTime > 7"), timeout=30_000)
    phone.get_by_role("button", name="暂停").click()
    phone.wait_for_function("() => window.playerEvents.some(([name]) => name === 'pause')")
    stopped_at = phone.evaluate(video_js("v.currentTime"))
    events = phone.evaluate("window.playerEvents")
    names = [name for name, _ in events]
    assert names[0] == "play" and "progress" in names and names[-1] == "pause"
    progress = next(detail for name, detail in events if name == "progress")
    assert progress["watched"] > 3 and progress["duration"] == pytest.approx(16, abs=1)

    phone.reload()
    skip_district_picker(phone)
    phone.wait_for_function(video_js("v.readyState >= 1 && v.currentTime > 5"), timeout=30_000)
    resumed_at = phone.evaluate(video_js("v.currentTime"))
    assert abs(resumed_at - int(stopped_at)) < 1.5
    assert "已从上次看到的" in phone.locator(".sunshine-player__status").inner_text()

    # iOS WeChat has no MediaSource: the same page plays the stream natively instead.
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    no_mse = context.new_page()
    no_mse.add_init_script("delete window.MediaSource; delete window.ManagedMediaSource;")
    no_mse.goto(live_server.url + lesson.url)
    skip_district_picker(no_mse)
    no_mse.get_by_role("button", name="播放", exact=True).click()
    no_mse.wait_for_function(video_js("v.currentTime > 1"), timeout=30_000)
    assert no_mse.locator(".sunshine-player").get_attribute("data-engine") == "native"
    assert not no_mse.evaluate("'Hls' in window")  # hls.js was never downloaded
    context.close()
