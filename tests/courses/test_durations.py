"""A lesson's 时长 is its video's length (probed when transcoded), not a hand-typed figure: a
lesson once said 时长 12分钟 while its video lasted 8 s."""

import datetime

import pytest

from courses.factories import sample_site
from courses.models import LessonPage
from media_pipeline.factories import ReadyVideoFactory, VideoAssetFactory
from media_pipeline.models import VideoAsset

pytestmark = pytest.mark.django_db

TYPED = datetime.timedelta(minutes=12)


@pytest.fixture
def lesson(site_pages):
    lesson = site_pages.lessons[0]
    LessonPage.objects.filter(pk=lesson.pk).update(duration=TYPED, video=None)
    return LessonPage.objects.get(pk=lesson.pk)


@pytest.fixture
def site_pages():
    return sample_site()


def test_the_page_shows_the_videos_length_not_the_typed_one(client, lesson):
    video = ReadyVideoFactory(duration=8.4)
    LessonPage.objects.filter(pk=lesson.pk).update(video=video)  # attached before the rule
    html = client.get(lesson.url).content.decode()
    assert '时长 <time datetime="PT0H0M8S">8秒</time>' in html
    assert "12分钟" not in html


def test_a_video_that_becomes_ready_sets_the_lessons_duration(lesson):
    video = VideoAssetFactory(duration=None)
    lesson.video = video
    lesson.save()
    lesson.refresh_from_db()
    assert lesson.duration == TYPED  # not ready: the typed figure stays
    assert lesson.shown_duration == TYPED

    video.status = VideoAsset.Status.READY
    video.duration = 95.6
    video.save()
    lesson.refresh_from_db()
    assert lesson.duration == datetime.timedelta(seconds=96)


def test_saving_or_publishing_a_lesson_with_a_ready_video_takes_its_length(lesson):
    lesson.video = ReadyVideoFactory(duration=301.0)
    lesson.duration = TYPED
    lesson.save_revision().publish()
    lesson.refresh_from_db()
    assert lesson.duration == datetime.timedelta(minutes=5, seconds=1)


def test_the_series_page_lists_and_adds_up_the_videos_lengths(client, site_pages, lesson):
    video = ReadyVideoFactory(duration=8.0)
    LessonPage.objects.filter(pk=lesson.pk).update(video=video)
    others = [page for page in site_pages.lessons if page.pk != lesson.pk]
    LessonPage.objects.filter(pk__in=[p.pk for p in others]).update(
        duration=datetime.timedelta(minutes=1), video=None
    )
    html = client.get(site_pages.series.url).content.decode()
    assert '<time datetime="PT0H0M8S">8秒</time>' in html
    assert "总时长 2分08秒" in html
