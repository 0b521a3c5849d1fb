"""Anonymous pages come from the page cache; publishing makes the change visible at once, and
nobody is ever served a page that was built for somebody else."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.contrib.frontend_cache.backends import BaseBackend
from wagtail.models import Page, Site

from sunshine.cache import GENERATION_KEY, purge_page_cache
from sunshine.models import SiteSettings
from sunshine.roles.factories import PASSWORD, TeacherFactory

pytestmark = pytest.mark.django_db

CHANGED = "改过的标题（未发布）"


def title_of(page):
    Page.objects.filter(pk=page.pk).update(title=CHANGED)


def from_cache(client, url, params=None):
    """Whether the page came out of the page cache (no database query was needed)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries) == 0


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
    assert CHANGED in response.content.decode()
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
    assert CHANGED in response.content.decode()  # built afresh, not the teacher's


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


def test_cookies_that_say_nothing_about_the_visitor_do_not_defeat_the_cache(site_pages):
    url = site_pages.lessons[0].url
    Client().get(url)  # the first student fills the cache

    # A classroom PC keeps the csrftoken the login page set for a year after the teacher left;
    # other cookies (a WeChat or statistics cookie) come and go.
    classroom_pc = Client()
    classroom_pc.get("/accounts/login/")
    assert "csrftoken" in classroom_pc.cookies
    classroom_pc.cookies["wx_channel"] = "moments"
    assert from_cache(classroom_pc, url)
    response = classroom_pc.get(url)
    assert "Cookie" in response["Vary"]  # browsers and CDNs still keep it apart


def test_a_visitor_with_a_session_cookie_is_neither_served_nor_stored(site_pages):
    url = site_pages.lessons[0].url
    Client().get(url)
    title_of(site_pages.lessons[0])

    stale = Client()
    stale.cookies["sessionid"] = "a-session-that-has-ended"
    assert CHANGED in stale.get(url).content.decode()  # built for this request
    # …and not stored: everybody else still gets the shared copy.
    assert CHANGED not in Client().get(url).content.decode()


def test_a_login_page_is_never_shared_even_with_a_csrf_cookie_already_set(site_pages):
    returning = Client()
    returning.get("/accounts/login/")
    first = returning.get("/accounts/login/")  # the request carries its csrftoken cookie
    second = Client().get("/accounts/login/")
    assert second.context is not None  # rendered, not replayed from the cache
    assert second.context["csrf_token"] != first.context["csrf_token"]


def all_public_pages(site):
    return [
        site.home,
        site.courses,
        site.series,
        *site.lessons,
        site.lectures,
        site.lecture,
        site.kits,
        site.kit,
        site.live,
        site.event,
        site.privacy,
    ]


def test_every_public_page_is_shared_and_holds_nothing_about_its_visitor(site_pages, client):
    for page in all_public_pages(site_pages):
        response = client.get(page.url)
        html = response.content.decode()
        assert not response.cookies, page
        assert "csrfmiddlewaretoken" not in html and 'name="csrf' not in html, page
        assert "userbar" not in html, page
        assert from_cache(Client(), page.url), page


def test_a_listings_own_filters_and_pages_are_cached(site_pages, client):
    courses = site_pages.courses.url
    for params in ({"track": "life"}, {"track": "", "grade": "junior"}, {"page": "1"}):
        client.get(courses, params)
        assert from_cache(client, courses, params), params
    client.get(site_pages.kits.url, {"grade": "junior", "theme": site_pages.kit.theme})
    assert from_cache(client, site_pages.kits.url, {"grade": "junior"}) is False  # not yet
    assert from_cache(
        client, site_pages.kits.url, {"grade": "junior", "theme": site_pages.kit.theme}
    )


@pytest.mark.parametrize(
    "query",
    [
        "utm_source=wechat",  # not a parameter of this page
        "track=life&x=1",
        "track=not-a-track",  # not a valid choice
        "page=99",  # a page that does not exist (the last one is shown)
        "page=abc",
        "page=1&page=1",  # the same parameter twice
        "from=somewhere-else",  # not one of WeChat's values
    ],
)
def test_other_query_strings_are_served_fresh_and_not_stored(site_pages, client, query):
    url = f"{site_pages.courses.url}?{query}"
    client.get(url)
    assert not from_cache(client, url)


def test_a_lesson_shared_in_a_wechat_chat_is_served_from_the_cache(site_pages, client):
    lesson = site_pages.lessons[0].url
    client.get(lesson, {"from": "singlemessage", "isappinstalled": "0"})
    assert from_cache(client, lesson, {"from": "singlemessage", "isappinstalled": "0"})
    client.get(lesson, {"t": "1700000000"})
    assert not from_cache(client, lesson, {"t": "1700000000"})


def test_a_purge_inside_a_transaction_is_repeated_when_it_commits(
    site_pages, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        purge_page_cache("test")
        # A page rendered now still sees the old committed content, under this generation.
        during = cache.get(GENERATION_KEY)
    assert cache.get(GENERATION_KEY) != during


def test_bulk_deletes_elsewhere_keep_djangos_fast_path(db, django_assert_num_queries):
    """No receiver listens to every model's deletes: expired rows (sessions here, analytics
    events in retention) go in one DELETE, not row by row with signals."""
    for n in range(5):
        Session.objects.create(
            session_key=f"expired{n}", session_data="", expire_date=timezone.now()
        )
    with django_assert_num_queries(1):
        Session.objects.filter(expire_date__lte=timezone.now()).delete()


class DatabaseDown:
    def __call__(self, execute, sql, params, many, context):
        raise OperationalError("connection to server failed: Connection refused")


def an_hour_later(monkeypatch):
    """Every fresh copy (PAGE_CACHE_SECONDS) has expired; the last good copies have not."""
    import django.core.cache.backends.locmem as locmem

    later = time.time() + 3600
    monkeypatch.setattr(locmem.time, "time", lambda: later)


def test_with_the_database_down_a_page_seen_before_is_served_from_its_last_good_copy(
    site_pages, client, monkeypatch
):
    seen, unseen = site_pages.lessons[0].url, site_pages.lessons[1].url
    assert client.get(seen).status_code == 200
    title = site_pages.lessons[0].title
    an_hour_later(monkeypatch)
    with connection.execute_wrapper(DatabaseDown()):
        response = client.get(seen)
        assert response.status_code == 200 and title in response.content.decode()
        # A page nobody opened before the outage: the Chinese 503 page with the hotlines.
        response = client.get(unseen)
        assert response.status_code == 503 and "tel:12356" in response.content.decode()
        # A signed-in visitor (a session cookie) is never given a shared copy.
        client.cookies["sessionid"] = "x"
        assert client.get(seen).status_code == 503
    del client.cookies["sessionid"]
    # Back: the page is built afresh (the old copy was not stored again as a fresh one).
    title_of(site_pages.lessons[0])
    assert CHANGED in client.get(seen).content.decode()


def test_a_purge_hides_the_last_good_copies_too(site_pages, client, monkeypatch):
    url = site_pages.lessons[0].url
    assert client.get(url).status_code == 200
    purge_page_cache("unpublished")  # e.g. the lesson was taken down
    an_hour_later(monkeypatch)
    with connection.execute_wrapper(DatabaseDown()):
        assert client.get(url).status_code == 503
