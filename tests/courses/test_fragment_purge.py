"""Pages built from kept fragments (sunshine.cache, `{% pagefragment %}`) never show anything a
publish has changed: every purge of the page cache drops them too. Seen by the visitors the page
cache never serves (a signed-in teacher) and with the page cache off, so that what is checked is
the fragments, not whole cached pages."""

import pytest
from django.test import Client
from wagtail.models import PageViewRestriction

from courses.factories import LessonPageFactory
from sunshine.models import SiteSettings
from sunshine.roles.factories import TeacherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitors(site_pages, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    teacher = Client()
    teacher.force_login(TeacherFactory())
    return {"anonymous, page cache off": Client(), "teacher": teacher}


def pages(visitors, *urls):
    """Each visitor's pages twice (the second from the fragments the first kept)."""
    seen = {}
    for name, client in visitors.items():
        for _ in range(2):
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, (name, url)
                seen[name, url] = response.content.decode()
    return seen


def shows(visitors, text, *urls):
    return {key: text in html for key, html in pages(visitors, *urls).items()}


def everywhere(visitors, *urls):
    return {(name, url): True for name in visitors for url in urls}


def test_a_published_title_and_body_show_on_the_lesson_its_series_and_its_neighbour(
    site_pages, visitors
):
    first, second, _ = site_pages.lessons
    urls = (first.url, second.url, site_pages.series.url)
    assert not any(shows(visitors, "新的标题", *urls).values())

    second.title = "新的标题"
    second.body = [("paragraph", "<p>改过的正文</p>")]
    second.save_revision().publish()

    # The lesson itself, the series' list, and the first lesson's "next" link.
    assert shows(visitors, "新的标题", *urls) == everywhere(visitors, *urls)
    assert shows(visitors, "改过的正文", second.url) == everywhere(visitors, second.url)


def test_a_published_series_title_shows_on_its_lessons(site_pages, visitors):
    lesson = site_pages.lessons[1]
    pages(visitors, lesson.url)
    series = site_pages.series
    series.title = "改名的系列"
    series.save_revision().publish()
    assert shows(visitors, "改名的系列 · 第 2 讲 / 共 3 讲", lesson.url) == everywhere(
        visitors, lesson.url
    )


def test_a_lesson_published_in_the_series_changes_every_lesson_count(site_pages, visitors):
    urls = (site_pages.lessons[0].url, site_pages.series.url)
    assert shows(visitors, "第 1 讲 / 共 3 讲", urls[0]) == everywhere(visitors, urls[0])
    new = LessonPageFactory(parent=site_pages.series, title="新加的一课", live=False)
    new.save_revision().publish()
    assert shows(visitors, "第 1 讲 / 共 4 讲", urls[0]) == everywhere(visitors, urls[0])
    assert shows(visitors, "新加的一课", *urls[1:]) == everywhere(visitors, *urls[1:])


def test_an_unpublished_lesson_leaves_its_series_and_its_address(site_pages, visitors):
    lesson = site_pages.lessons[2]
    pages(visitors, lesson.url, site_pages.series.url)
    lesson.unpublish()
    assert not any(shows(visitors, lesson.title, site_pages.series.url).values())
    for client in visitors.values():
        assert client.get(lesson.url).status_code == 404


def test_a_moved_lesson_is_served_at_its_new_address_only(site_pages, visitors):
    from courses.factories import CourseSeriesPageFactory

    lesson = site_pages.lessons[2]
    old_url = lesson.url
    pages(visitors, old_url)
    other = CourseSeriesPageFactory(parent=site_pages.courses, title="另一个系列", slug="other")
    lesson.move(other, pos="last-child")
    lesson.refresh_from_db()
    assert lesson.url != old_url
    for client in visitors.values():
        # Wagtail's automatic redirect, not the lesson from the old, kept route.
        old = client.get(old_url)
        assert old.status_code == 301 and old["Location"].endswith(lesson.url)
        assert "另一个系列" in client.get(lesson.url).content.decode()


def test_new_hotlines_show_at_once(site_pages, visitors):
    url = site_pages.lessons[0].url
    pages(visitors, url)
    site_settings = SiteSettings.for_site(site_pages.home.get_site())
    site_settings.hotlines = [
        ("hotline", {"name": "本市心理援助热线", "number": "024-2381 3000", "hours": "24小时"})
    ]
    site_settings.save()
    assert shows(visitors, "本市心理援助热线 024-2381 3000", url) == everywhere(visitors, url)


def test_a_new_view_restriction_applies_at_once(site_pages, visitors):
    lesson = site_pages.lessons[0]
    pages(visitors, lesson.url)
    PageViewRestriction.objects.create(page=lesson, restriction_type=PageViewRestriction.LOGIN)
    response = visitors["anonymous, page cache off"].get(lesson.url)
    assert response.status_code == 302 and "login" in response["Location"]
    assert visitors["teacher"].get(lesson.url).status_code == 200


def test_a_preview_shows_the_draft_not_the_kept_fragment(site_pages, visitors, rf):
    lesson = site_pages.lessons[0]
    pages(visitors, lesson.url)
    lesson.title = "草稿里的标题"
    response = lesson.make_preview_request()
    assert "草稿里的标题" in response.content.decode()
    # …and the draft never reaches the live page.
    assert not any(shows(visitors, "草稿里的标题", lesson.url).values())
