"""Share links and the one-time picker: attribution lives on the viewer's device, never on the
server, and a link can only continue to a page of this site."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from analytics.attribution import safe_target, share_url
from tests.analytics.reports_support import HEPING, SHENHE, district, school

pytestmark = pytest.mark.django_db


def stored_attribution(response):
    """What the landing page's script writes to localStorage (its json_script payload)."""
    html = response.content.decode()
    payload = re.search(
        r'<script id="sunshine-attribution" type="application/json">(.*?)</script>', html
    )
    return json.loads(payload.group(1))


def continue_target(response):
    return re.search(r'<a href="([^"]*)" id="continue"', response.content.decode()).group(1)


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("/courses/life/", "/courses/life/"),
        ("/courses/?track=life", "/courses/?track=life"),
        ("https://evil.example.com/", "/"),
        ("//evil.example.com/path", "/"),
        ("/\\evil.example.com", "/"),
        ("javascript:alert(1)", "/"),
        ("courses/", "/"),
        ("/r/s/123/", "/"),
        ("/courses/\nSet-Cookie: x", "/"),
        ("", "/"),
        (None, "/"),
        ("/" + "a" * 600, "/"),
    ],
)
def test_a_share_link_only_continues_to_a_page_of_this_site(to, expected):
    assert safe_target(to) == expected


def test_a_school_link_stores_the_school_and_its_district_then_continues(client):
    pupil_school = school(HEPING, code="HP001", name="和平一校")
    response = client.get("/r/s/HP001/", {"to": "/courses/"})

    assert response.status_code == 200
    assert stored_attribution(response) == {"district": HEPING, "school": "HP001", "via": "link"}
    assert continue_target(response) == "/courses/"
    # The page's module (no inline script: the CSP) writes the key the beacon reads, then
    # replaces the location.
    html = response.content.decode()
    assert re.search(
        r'<script type="module" src="/static/analytics/share_landing\.js" '
        r'data-storage-key="sunshine:attribution"></script>',
        html,
    )
    assert "<script>" not in html
    module = finders.find("analytics/share_landing.js")
    source = Path(module).read_text(encoding="utf-8")
    assert "localStorage.setItem(script.dataset.storageKey" in source
    assert "location.replace" in source
    assert pupil_school.name not in response.headers.get("Set-Cookie", "")


def test_a_district_link_stores_only_the_district(client):
    response = client.get(f"/r/d/{SHENHE}/")
    assert stored_attribution(response) == {"district": SHENHE, "school": None, "via": "link"}
    assert continue_target(response) == "/"


def test_a_poster_link_is_marked_as_a_qr_scan(client):
    school(HEPING, code="HP002")
    assert stored_attribution(client.get("/r/s/HP002/?via=qr"))["via"] == "qr"


def test_a_link_to_another_site_goes_home_instead(client):
    response = client.get(f"/r/d/{HEPING}/", {"to": "https://evil.example.com/"})
    assert continue_target(response) == "/"


def test_an_old_poster_of_a_removed_school_still_reaches_the_courses(client):
    response = client.get("/r/s/GONE123/", {"to": "/courses/"})
    assert response.status_code == 200
    assert stored_attribution(response) is None
    assert continue_target(response) == "/courses/"


def test_the_landing_page_is_the_same_for_everyone_and_may_be_cached(client):
    response = client.get(f"/r/d/{HEPING}/")
    assert "public" in response["Cache-Control"]
    assert not response.cookies  # no session, no per-visitor state


def test_the_picker_lists_districts_then_a_districts_schools(client):
    school(HEPING, code="HP003", name="和平三校")
    school(SHENHE, code="SH001", name="沈河一校")

    districts = client.get("/r/places.json").json()["districts"]
    assert len(districts) == 13
    assert {"code": HEPING, "name": district(HEPING).name} in districts

    schools = client.get("/r/places.json", {"district": HEPING}).json()["schools"]
    assert schools == [{"code": "HP003", "name": "和平三校"}]


def test_the_picker_is_on_pages_with_a_player_only(client):
    """Decided on the server from the page alone (so the page cache may keep it): a lesson,
    lecture or live replay with a video has it; a kit page, a lesson without a video and the
    home page do not."""
    from media_pipeline.factories import ReadyVideoFactory
    from tests.analytics.reports_support import catalogue

    site = catalogue()
    watched, without_video = site.lessons[0], site.lessons[1]
    watched.video = ReadyVideoFactory()
    watched.save_revision().publish()

    def has_picker(page):
        response = client.get(page.url)
        assert response.status_code == 200
        return 'id="sunshine-picker"' in response.content.decode()

    assert has_picker(watched)
    assert not has_picker(without_video)
    assert not has_picker(site.kit)
    assert not has_picker(site.home)


def test_the_picker_markup_is_accessible_and_links_the_privacy_notice(rf):
    from types import SimpleNamespace

    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = AnonymousUser()
    html = render_to_string(
        "analytics/attribution_picker.html", {"page": SimpleNamespace(video_id=7)}, request
    )
    assert 'id="sunshine-picker"' in html and " hidden" in html  # shown by the script
    assert "/r/places.json" in html
    assert 'href="/privacy/statistics/"' in html
    assert 'role="status"' in html  # where the script announces it
    assert 'id="sunshine-picker-error"' in html
    assert 'aria-describedby="sunshine-picker-hint"' in html
    assert "novalidate" in html  # our own Chinese error, not the browser's bubble


def test_signed_in_accounts_never_get_the_picker(rf):
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    from sunshine.roles.factories import TeacherFactory

    request = rf.get("/")
    request.user = TeacherFactory()
    html = render_to_string(
        "analytics/attribution_picker.html", {"page": SimpleNamespace(video_id=7)}, request
    )
    assert "sunshine-picker" not in html


def test_poster_links_point_at_the_public_site(settings):
    settings.ANALYTICS_SHARE_BASE_URL = "https://kt.example.edu.cn"
    pupil_school = school(HEPING, code="HP004")
    assert share_url(pupil_school, via="qr") == "https://kt.example.edu.cn/r/s/HP004/?via=qr"
    assert share_url(district(HEPING)) == f"https://kt.example.edu.cn/r/d/{HEPING}/"
