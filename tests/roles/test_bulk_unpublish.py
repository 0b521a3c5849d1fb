"""Wagtail's bulk action "unpublish" asks for a reason and logs it on every page it takes down,
as the single-page unpublish does; it stays immediate for city staff, and only for those who may
unpublish. Tried through the admin's own bulk-action URL."""

import pytest
from django.urls import reverse
from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.models import PageLogEntry

from courses.workflow import ensure_review_workflow
from sunshine.home.factories import InfoPageFactory, site_with_home
from sunshine.roles.factories import (
    CityStaffFactory,
    DistrictStaffFactory,
    EditorFactory,
    ReviewerFactory,
)
from sunshine.roles.publishing import UNPUBLISH_REASON
from sunshine.roles.unpublish import ReasonedUnpublishBulkAction

pytestmark = pytest.mark.django_db

REASON = "发现内容有误，先下线核实"


@pytest.fixture
def live_pages():
    home = site_with_home()
    ensure_review_workflow(home)
    pages = []
    for slug in ("first", "second"):
        page = InfoPageFactory(parent=home, title=f"已上线{slug}", slug=slug)
        page.save_revision().publish()
        pages.append(page)
    child = InfoPageFactory(parent=pages[0], title="子页面", slug="child")
    child.save_revision().publish()
    return pages, child


def bulk_url(pages):
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "unpublish"])
    return url + "?" + "&".join(f"id={page.pk}" for page in pages)


def live(page):
    page.refresh_from_db()
    return page.live


def test_the_admin_uses_the_bulk_action_that_asks_for_a_reason():
    # Wagtail registers its own UnpublishBulkAction under the same action_type.
    found = bulk_action_registry.get_bulk_action_class("wagtailcore", "page", "unpublish")
    assert found is ReasonedUnpublishBulkAction


def test_city_staff_bulk_unpublish_only_with_a_reason_logged_on_every_page(client, live_pages):
    pages, child = live_pages
    city = CityStaffFactory()
    client.force_login(city)
    url = bulk_url(pages)

    confirm = client.get(url)
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert 'name="unpublish_reason"' in body and "下线原因" in body

    for data in ({}, {"unpublish_reason": "   "}, {"include_descendants": "on"}):
        refused = client.post(url, data)
        assert refused.status_code == 200
        assert "请填写下线原因" in refused.content.decode()
        assert all(live(page) for page in [*pages, child])
    assert not PageLogEntry.objects.filter(action=UNPUBLISH_REASON).exists()

    done = client.post(url, {"unpublish_reason": REASON, "include_descendants": "on"})
    assert done.status_code == 302
    assert not any(live(page) for page in [*pages, child])
    entries = PageLogEntry.objects.filter(action=UNPUBLISH_REASON)
    assert sorted(entry.page_id for entry in entries) == sorted(p.pk for p in [*pages, child])
    assert {entry.data["reason"] for entry in entries} == {REASON}
    assert {entry.user for entry in entries} == {city}
    # Wagtail's own "unpublished" entries carry the person too, sub-page included.
    unpublished = PageLogEntry.objects.filter(action="wagtail.unpublish", page=child).get()
    assert unpublished.user == city

    # Reviewers read it in the page's history (city staff have no edit permission for it).
    # Every page's own history keeps both entries, not only the last page's.
    client.force_login(ReviewerFactory())
    for page in [*pages, child]:
        history = client.get(reverse("wagtailadmin_pages:history", args=[page.pk]))
        assert history.status_code == 200
        assert REASON in history.content.decode(), page
        assert "wagtail.unpublish" in {entry.action for entry in history.context["object_list"]}


def test_a_reason_longer_than_the_limit_is_refused_in_chinese(client, live_pages):
    pages, _ = live_pages
    client.force_login(CityStaffFactory())
    response = client.post(bulk_url(pages), {"unpublish_reason": "长" * 501})
    assert response.status_code == 200
    assert "下线原因最多 500 个字" in response.content.decode()
    assert all(live(page) for page in pages)


@pytest.mark.parametrize(
    "role", [EditorFactory, ReviewerFactory, DistrictStaffFactory], ids=lambda f: f.__name__
)
def test_roles_that_cannot_unpublish_cannot_bulk_unpublish(client, live_pages, role):
    pages, child = live_pages
    client.force_login(role())
    url = bulk_url(pages)
    confirm = client.get(url)
    assert confirm.status_code in (200, 302, 403)
    response = client.post(url, {"unpublish_reason": REASON, "include_descendants": "on"})
    assert response.status_code in (200, 302, 403)
    assert all(live(page) for page in [*pages, child])
    assert not PageLogEntry.objects.filter(action=UNPUBLISH_REASON).exists()
