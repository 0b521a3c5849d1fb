"""The Wagtail admin works under the Content-Security-Policy: an editor's round of the screens
they use (dashboard, page tree, the editors of a lesson and a kit, a new lesson, images and
documents with an upload, videos, reports, workflows) shows no CSP violation in the console,
and the fixture that watches for them does catch one."""

import io

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from courses.factories import sample_site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, live_server):
    get_user_model().objects.create_superuser("editor", password="pw-editor-123")
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def test_an_editors_round_of_the_admin_shows_no_csp_violation(live_server, chromium, tmp_path):
    site = sample_site(lessons=1)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server)
    screens = [
        "/admin/",
        f"/admin/pages/{site.home.pk}/",
        f"/admin/pages/{site.lessons[0].pk}/edit/",
        f"/admin/pages/{site.kit.pk}/edit/",  # InlinePanel of materials
        f"/admin/pages/{site.event.pk}/edit/",  # date and time pickers
        f"/admin/pages/add/courses/lessonpage/{site.series.pk}/",
        f"/admin/pages/{site.lessons[0].pk}/history/",
        "/admin/images/",
        "/admin/documents/",
        "/admin/snippets/media_pipeline/videoasset/",
        "/admin/reach-district/",
        "/admin/reports/site-history/",
        "/admin/reports/aging-pages/",
        "/admin/workflows/list/",
        "/admin/users/",
    ]
    for url in screens:
        response = page.goto(live_server.url + url)
        assert response.status < 400, url
        page.wait_for_load_state("networkidle")

    # The page editor's own scripts run: its side panels open.
    page.goto(live_server.url + f"/admin/pages/{site.lessons[0].pk}/edit/")
    page.get_by_role("button", name="切换状态").or_(
        page.locator("[data-side-panel-toggle='status']")
    ).first.click()
    page.wait_for_load_state("networkidle")

    # An image upload, with Wagtail's preview of the file before it is saved.
    picture = tmp_path / "海报.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), "#f5a623").save(buffer, "PNG")
    picture.write_bytes(buffer.getvalue())
    page.goto(live_server.url + "/admin/images/multiple/add/")
    page.set_input_files("input[type=file]", str(picture))
    page.locator(".upload-list li.upload-success").first.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    context.close()


def test_the_journeys_would_see_a_violation(live_server, phone, no_csp_violations):
    """An inline script injected into a public page is blocked, and the fixture sees it."""
    sample_site(lessons=1)
    phone.goto(live_server.url + "/")
    phone.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.injected = true";
          document.body.append(s);
        }"""
    )
    phone.wait_for_timeout(200)
    assert phone.evaluate("() => window.injected") is None
    seen = list(no_csp_violations)
    no_csp_violations.clear()  # seen on purpose: the journey itself must not fail
    assert any("script-src" in line for line in seen), seen
