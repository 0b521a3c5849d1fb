"""The demo's lesson videos: slides narrated by espeak-ng with one caption cue per sentence, each
page its own, different lengths, through the real pipeline, and made once."""

import io
from datetime import timedelta

import av
import pytest
from django.utils import timezone

from media_pipeline import demo, demo_clip
from media_pipeline.models import VideoAsset, VideoEncoding

TITLE = "认识我的情绪"
TRANSCRIPT = "情绪没有好坏之分。生气的时候，可以先深深地吸一口气！拨打12355。"


def probe(path):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return {
            "duration": container.duration / 1_000_000,
            "audio": len(container.streams.audio),
            "size": (video.codec_context.width, video.codec_context.height),
        }


def test_a_transcript_is_cut_into_sentences_and_numbers_are_read_digit_by_digit():
    assert demo_clip.sentences(TRANSCRIPT) == [
        "情绪没有好坏之分。",
        "生气的时候，可以先深深地吸一口气！",
        "拨打12355。",
    ]
    assert demo_clip.narration(TITLE, "") == [TITLE]
    assert demo_clip.speakable("拨打12355或110。") == "拨打一二三五五或一一零。"
    # A comma never starts a slide's line: it stays at the end of the line before.
    assert demo_clip.wrap("一二三四五，六七", width=5) == "一二三四五，\n六七"


def test_a_demo_clip_lasts_as_long_as_its_narration_with_sound_and_a_cue_per_sentence(tmp_path):
    lines = demo_clip.narration(TITLE, TRANSCRIPT)
    clip = demo_clip.cached_clip(tmp_path, TITLE, lines)

    found = probe(clip.path)
    assert found["audio"] == 1 and found["size"] == (640, 360)
    assert abs(found["duration"] - clip.duration) < 0.25
    # espeak-ng speaks about three characters a second: each cue lasts as long as its words.
    cues = demo_clip.parse_cues(clip.captions)
    assert [cue.text for cue in cues] == lines
    assert clip.captions.startswith("WEBVTT\n")
    for cue, following in zip(cues, cues[1:], strict=False):
        assert cue.start < cue.end < following.start
        assert len(cue.text) / 6 < cue.end - cue.start < len(cue.text)
    assert cues[-1].end < clip.duration
    assert sorted(path.name for path in clip.path.parent.iterdir()) == ["captions.vtt", "clip.mp4"]

    made = clip.path.stat().st_mtime_ns
    again = demo_clip.cached_clip(tmp_path, TITLE, lines)
    assert again.path == clip.path and again.path.stat().st_mtime_ns == made  # from the cache
    other = demo_clip.cached_clip(tmp_path, TITLE, lines[:2])
    assert other.path != clip.path and other.duration < clip.duration


@pytest.mark.slow
@pytest.mark.django_db
def test_each_demo_page_gets_its_own_narrated_video_once(video_settings, settings, tmp_path):
    from wagtail.models import Site

    from courses.factories import (
        CourseSeriesPageFactory,
        LessonPageFactory,
        LiveEventIndexPageFactory,
        LiveEventPageFactory,
    )

    settings.SUNSHINE_DEMO_VIDEO_CACHE = str(tmp_path / "demo-videos")
    root = Site.objects.get(is_default_site=True).root_page
    series = CourseSeriesPageFactory(parent=root)
    short = LessonPageFactory(parent=series, title="短课", transcript="大家好。", duration=None)
    long = LessonPageFactory(parent=series, title="长一点的课", transcript=TRANSCRIPT)
    ended = timezone.now() - timedelta(days=2)
    live = LiveEventPageFactory(
        parent=LiveEventIndexPageFactory(parent=root),
        title="上周的直播",
        summary="寒假里怎样和家人好好说话？",
        starts_at=ended,
        ends_at=ended + timedelta(hours=1),
    )
    for page in (short, long, live):
        page.save_revision().publish()

    settings.SUNSHINE_DEMO_LESSON_VIDEOS = False
    demo.seed(io.StringIO())  # an earlier demo: one test pattern on every page
    for page in (short, long, live):
        page.refresh_from_db()
        assert page.video.title == demo.TITLE

    settings.SUNSHINE_DEMO_LESSON_VIDEOS = True
    out = io.StringIO()
    demo.seed(out)  # each page its own, in place of the test pattern

    videos = {}
    for page in (short, long, live):
        page.refresh_from_db()
        assert page.live and not page.has_unpublished_changes
        videos[page.title] = page.video
    assert len({video.pk for video in videos.values()}) == 3
    assert all(video.is_ready for video in videos.values())
    assert videos["短课"].duration < videos["长一点的课"].duration
    [track] = videos["长一点的课"].caption_tracks()
    assert track["label"] == "中文" and track["default"]
    caption = videos["长一点的课"].captions.get()
    with caption.file.open() as handle:
        cues = demo_clip.parse_cues(handle.read().decode())
    assert len(cues) == 1 + len(demo_clip.sentences(TRANSCRIPT))
    assert videos["上周的直播"].title == "演示视频：上周的直播"
    assert "新关联 3 个" in out.getvalue()

    encodings = VideoEncoding.objects.count()
    demo.seed(out)  # again: nothing new
    assert VideoEncoding.objects.count() == encodings == 4  # the test pattern's and three
    assert VideoAsset.objects.count() == 4
    assert "新关联 0 个" in out.getvalue().splitlines()[-1]
