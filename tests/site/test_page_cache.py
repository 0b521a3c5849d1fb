"""Anonymous pages come from the page cache; publishing makes the change visible at once, and
nobody is ever served a page that was built for somebody else."""

import pytest
from django.core.cache import cache
from wagtail.contrib.frontend_cache.backends import BaseBackend
from wagtail.models import Page, Site

from sunshine.cache import GENERATION_KEY
from sunshine.models import SiteSettings
from sunshine.roles.factories import PASSWORD, TeacherFactory

pytestmark = pytest.mark.django_db


def title_of(page):
    Page.objects.filter(pk=page.pk).update(title="改过的标题（未发布）")


def test_a_second_anonymous_visit_is_served_from_the_cache(
    site_pages, client, django_assert_num_queries
):
    url = site_pages.lessons[0].url
    first = client.get(url)
    assert first.status_code == 200
    assert "Cookie" in first["Vary"]
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.content == first.content


def test_publishing_purges_the_cache(site_pages, client):
    lesson = site_pages.lessons[0]
    assert "第1课：认识情绪" in client.get(lesson.url).content.decode()
    title_of(lesson)  # a change without publishing is not seen: the cached page is served
    assert "第1课：认识情绪" in client.get(lesson.url).content.decode()

    lesson = lesson.specific_class.objects.get(pk=lesson.pk)
    lesson.title = "第1课：认识自己的情绪"
    lesson.save_revision().publish()
    assert "第1课：认识自己的情绪" in client.get(lesson.url).content.decode()


def test_unpublishing_moving_and_deleting_purge_too(site_pages, client):
    series_url = site_pages.series.url
    first, second, third = site_pages.lessons
    assert second.title in client.get(series_url).content.decode()

    second.unpublish()
    assert second.title not in client.get(series_url).content.decode()

    third.move(first, pos="left")
    html = client.get(series_url).content.decode()
    assert html.index(third.title) < html.index(first.title)

    Page.objects.get(pk=first.pk).delete()
    assert first.title not in client.get(series_url).content.decode()


def test_saving_site_settings_purges_the_cache(site_pages, client):
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    assert "京ICP备" not in client.get(site_pages.home.url).content.decode()
    settings.icp_number = "京ICP备00000001号"
    settings.save()
    assert "京ICP备00000001号" in client.get(site_pages.home.url).content.decode()


def test_a_purge_leaves_other_cache_users_alone(site_pages, client):
    cache.set("somebody-elses-key", "kept")
    generation = cache.get(GENERATION_KEY)
    site_pages.series.save_revision().publish()
    assert cache.get("somebody-elses-key") == "kept"
    assert cache.get(GENERATION_KEY) != generation


def test_a_signed_in_teacher_never_gets_the_anonymous_copy(site_pages, client):
    lesson = site_pages.lessons[0]
    client.get(lesson.url)  # cached for anonymous visitors
    title_of(lesson)
    teacher = TeacherFactory()
    client.login(username=teacher.username, password=PASSWORD)
    response = client.get(lesson.url)
    assert "改过的标题（未发布）" in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_an_anonymous_visitor_never_gets_the_teachers_copy(site_pages, client):
    lesson = site_pages.lessons[0]
    teacher = TeacherFactory()
    client.login(username=teacher.username, password=PASSWORD)
    client.get(lesson.url)
    client.logout()
    client.cookies.clear()

    title_of(lesson)
    response = client.get(lesson.url)
    assert "改过的标题（未发布）" in response.content.decode()  # built afresh, not the teacher's


def test_pages_with_a_csrf_token_are_not_cached(site_pages, client):
    first = client.get("/accounts/login/")
    assert first.status_code == 200
    token = first.context["csrf_token"]
    client.cookies.clear()
    second = client.get("/accounts/login/")
    assert second.context is not None  # rendered again, not replayed from the cache
    assert second.context["csrf_token"] != token


class RecordingCDN(BaseBackend):
    purged = []

    def purge(self, url):
        self.purged.append(url)


def test_publishing_a_lesson_purges_it_and_the_listings_above_it_from_the_cdn(
    site_pages, settings, django_capture_on_commit_callbacks
):
    settings.WAGTAILFRONTENDCACHE = {"cdn": {"BACKEND": "tests.site.test_page_cache.RecordingCDN"}}
    # Wagtail sends purges through the task queue; run them as they are queued.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "video", "video-hd"],
        }
    }
    RecordingCDN.purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        site_pages.lessons[0].save_revision().publish()
    paths = {url.split("://", 1)[1].split("/", 1)[1] for url in RecordingCDN.purged}
    assert {
        "",
        "courses/",
        f"courses/{site_pages.series.slug}/",
        f"courses/{site_pages.series.slug}/{site_pages.lessons[0].slug}/",
    } <= paths
