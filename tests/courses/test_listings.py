"""Students find a series by track and grade band, teachers find a kit by grade band and theme,
and everyone sees which live events are coming, on now, or ready to replay."""

import datetime

import pytest
from django.utils import timezone

from courses.factories import (
    ClassMeetingKitPageFactory,
    CourseSeriesPageFactory,
    LessonPageFactory,
    LiveEventPageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def more_series(site_pages):
    science = CourseSeriesPageFactory(
        parent=site_pages.courses, title="科学小实验", track="science", grade_bands=["senior"]
    )
    LessonPageFactory.create_batch(2, parent=science)
    return science


def test_the_course_listing_filters_by_track_and_grade_band(site_pages, more_series, client):
    listing = site_pages.courses.url
    html = client.get(listing).content.decode()
    assert "珍爱生命" in html and "科学小实验" in html
    assert "共 2 个系列课程" in html
    assert "生命教育 · 共 3 讲" in html and "科学教育 · 共 2 讲" in html

    html = client.get(listing, {"track": "science"}).content.decode()
    assert "<h1>科学教育</h1>" in html
    assert "科学小实验" in html and "珍爱生命" not in html

    html = client.get(listing, {"grade": "junior"}).content.decode()
    assert "珍爱生命" in html and "科学小实验" not in html

    html = client.get(listing, {"track": "science", "grade": "junior"}).content.decode()
    assert "暂时没有符合条件的课程" in html


def test_the_filter_form_speaks_chinese_and_works_without_javascript(site_pages, client):
    html = client.get(site_pages.courses.url, {"track": "life"}).content.decode()
    assert '<form class="filters" method="get"' in html
    assert '<label for="id_track">课程板块</label>' in html
    assert '<label for="id_grade">适用学段</label>' in html
    assert '<option value="life" selected>生命教育</option>' in html
    assert '<option value="junior">初中</option>' in html
    assert '<button type="submit" class="button">筛选</button>' in html
    assert "清除筛选" in html


def test_a_bad_filter_value_is_ignored_with_a_message(site_pages, more_series, client):
    response = client.get(site_pages.courses.url, {"track": "<script>", "grade": "博士"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "课程板块：没有找到这个选项，已显示全部内容。" in html
    assert "适用学段：没有找到这个选项，已显示全部内容。" in html
    assert "<script>" not in html.split("<main", 1)[1].split("</main>")[0]
    assert "珍爱生命" in html and "科学小实验" in html
    for page_number in ("abc", "-1", "99999", "1e9"):
        response = client.get(site_pages.courses.url, {"page": page_number})
        assert response.status_code == 200 and "珍爱生命" in response.content.decode()


def test_draft_lessons_are_not_counted_or_listed(site_pages, client):
    site_pages.lessons[1].unpublish()
    assert "生命教育 · 共 2 讲" in client.get(site_pages.courses.url).content.decode()
    html = client.get(site_pages.series.url).content.decode()
    assert site_pages.lessons[1].title not in html and "共 2 讲" in html


def test_a_series_shows_its_lessons_in_order_with_counts(site_pages, client):
    html = client.get(site_pages.series.url).content.decode()
    titles = [lesson.title for lesson in site_pages.lessons]
    positions = [html.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "共 3 讲，总时长 37分30秒" in html
    assert "初中" in html and "小学高年级" in html
    assert "从第 1 讲开始学习" in html


def test_the_lesson_page_has_everything_a_student_needs(site_pages, client):
    html = client.get(site_pages.lessons[0].url).content.decode()
    assert "珍爱生命 · 第 1 讲 / 共 3 讲" in html
    assert '<a href="/courses/?track=life">生命教育</a>' in html
    assert 'data-page-id="' in html  # the media player include
    assert "想一想，聊一聊" in html and "你会怎样安慰难过的朋友？" in html
    assert "情绪温度计" in html and "PDF" in html
    assert "<details>" in html and "<summary>文字稿</summary>" in html
    assert "<small>下一讲 ›</small>第2课：学会求助" in html
    assert 'rel="prev"' not in html  # the first lesson has no previous one


def test_the_kit_listing_filters_by_grade_band_and_theme(site_pages, client):
    ClassMeetingKitPageFactory(
        parent=site_pages.kits, title="考前减压班会", theme="学习压力", grade_bands=["senior"]
    )
    listing = site_pages.kits.url
    html = client.get(listing).content.decode()
    assert '<option value="学习压力">学习压力</option>' in html
    assert "珍爱生命主题班会" in html and "考前减压班会" in html

    html = client.get(listing, {"theme": "学习压力"}).content.decode()
    assert "考前减压班会" in html and "珍爱生命主题班会" not in html

    html = client.get(listing, {"grade": "junior"}).content.decode()
    assert "珍爱生命主题班会" in html and "考前减压班会" not in html


def test_the_kit_page_puts_the_safety_note_first_and_groups_materials(site_pages, client):
    html = client.get(site_pages.kit.url).content.decode()
    assert html.index("安全提示：请在班会前阅读") < html.index("资源包材料")
    assert "需要关注的信号" in html and "转介步骤" in html
    safety = html[html.index('<section class="safety"') :]
    assert '全国心理援助热线 <a href="tel:12356">12356</a>' in safety[: safety.index("</section>")]
    assert html.index("<h3>教学设计/教案</h3>") < html.index("<h3>致家长的一封信</h3>")
    assert "DOCX" in html and "下载" in html
    assert "约 40 分钟" in html and "主题：珍爱生命" in html


def test_live_events_are_split_into_on_now_upcoming_and_replays(site_pages, client):
    now = timezone.now()
    LiveEventPageFactory(
        parent=site_pages.live,
        title="正在进行的直播",
        starts_at=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(minutes=50),
    )
    LiveEventPageFactory(
        parent=site_pages.live,
        title="上周的直播",
        starts_at=now - datetime.timedelta(days=7),
        ends_at=now - datetime.timedelta(days=7) + datetime.timedelta(hours=1),
    )
    html = client.get(site_pages.live.url).content.decode()
    on_now, upcoming, replays = (
        html.index('<h2 id="live-now-title">正在直播</h2>'),
        html.index('<h2 id="upcoming-title">即将开始</h2>'),
        html.index('<h2 id="replay-title">往期回放</h2>'),
    )
    assert on_now < html.index("正在进行的直播") < upcoming
    assert upcoming < html.index("阳光成长：寒假作息与情绪") < replays
    assert replays < html.index("上周的直播")


def test_a_finished_live_event_without_a_replay_says_so(site_pages, client):
    event = site_pages.event
    event.starts_at = timezone.now() - datetime.timedelta(days=1)
    event.ends_at = event.starts_at + datetime.timedelta(hours=1)
    event.save_revision().publish()
    html = client.get(event.url).content.decode()
    assert "回放将于稍后发布" in html
    assert "已结束" in html and "可看回放" not in html
    assert "直播回放" not in html and "sunshine-player" not in html


def _ended(event, video):
    event.starts_at = timezone.now() - datetime.timedelta(days=1)
    event.ends_at = event.starts_at + datetime.timedelta(hours=1)
    event.video = video
    event.save_revision().publish()


def test_a_finished_live_event_with_its_replay_says_only_that_it_is_online(site_pages, client):
    from media_pipeline.factories import ReadyVideoFactory

    event = site_pages.event
    _ended(event, ReadyVideoFactory(title="直播回放"))
    html = client.get(event.url).content.decode()
    assert '<h2 id="replay-title">直播回放</h2>' in html and "data-hls=" in html
    assert "可看回放" in html and 'data-has-replay="1"' in html
    assert "稍后发布" not in html and "正在处理中" not in html
    listing = client.get(site_pages.live.url).content.decode()
    assert "可看回放" in listing


def test_a_replay_still_being_processed_is_not_announced_as_online(site_pages, client):
    from media_pipeline.factories import VideoAssetFactory

    event = site_pages.event
    _ended(event, VideoAssetFactory(title="处理中的回放"))  # uploaded, not ready yet
    html = client.get(event.url).content.decode()
    assert "回放将于稍后发布" in html
    assert "可看回放" not in html and 'data-has-replay=""' in html
    assert "直播回放" not in html and "data-hls=" not in html


def test_the_lecture_page_names_the_experts(site_pages, client):
    html = client.get(site_pages.lecture.url).content.decode()
    expert = site_pages.lecture.experts.first()
    assert "主讲专家" in html and expert.name in html and expert.institution in html
    assert "录制于" in html and "2024年3月15日" in html
    listing = client.get(site_pages.lectures.url).content.decode()
    assert site_pages.lecture.title in listing and f"主讲：{expert.name}" in listing
