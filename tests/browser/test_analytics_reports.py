"""A student follows a district's share link to a lesson and watches it; the district officer
then sees that view in 数据报表 and downloads the report as Excel. A student who came without a
link answers the one-time picker once."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from analytics.reports.factories import ensure_report_permissions
from sunshine.directory.factories import SchoolFactory
from sunshine.directory.models import District
from tests.browser.conftest import PHONE, lesson_with_clip

# serialized_rollback, like the other live-server journeys: the database is flushed after the
# test and what the data migrations made is loaded back before the next one.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
HEPING = "210102"


def ensure_base_data():
    """What migrate's data migrations made (page tree root, locale, districts, grade bands, the
    roles' groups), back again if an earlier live-server test flushed the database and the
    serialized rollback could not restore it."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.sql import emit_post_migrate_signal
    from wagtail.models import Collection, Locale, Page

    from courses.models.taxonomy import GRADE_BANDS, GradeBand
    from sunshine.directory.districts import load_districts

    if Page.get_first_root_node() is not None:
        return
    ContentType.objects.clear_cache()
    Locale.objects.get_or_create(language_code="zh-hans")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    Page.add_root(
        instance=Page(
            title="Root", slug="root", content_type=ContentType.objects.get_for_model(Page)
        )
    )
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    load_districts()
    for order, (code, name) in enumerate(GRADE_BANDS):
        GradeBand.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


@pytest.fixture
def lesson_with_video(transactional_db, settings, tmp_path_factory):
    ensure_base_data()
    return lesson_with_clip(settings, tmp_path_factory)


def sign_in(context, live_server, user):
    """Gives the browser context a session of `user` (the login form is the roles' own test)."""
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def stored(phone):
    return phone.evaluate("() => JSON.parse(localStorage.getItem('sunshine:attribution'))")


SENT_EVERYTHING = """() => {
  window.sunshineBeacon.flush();
  return window.sunshineBeacon.queued() === 0;
}"""
START_VIDEO = "() => { const v = document.querySelector('video'); v.muted = true; v.play(); }"


def play(phone):
    """Starts the video (muted: autoplay rules) and waits for the play the beacon starts."""
    phone.wait_for_selector(".sunshine-player video")
    with phone.expect_response(lambda r: r.url.endswith("/api/v1/plays")) as started:
        phone.evaluate(START_VIDEO)
    return started.value


def play_again(phone):
    """Starts the video after a reload: the beacon continues this tab's play of today (no new
    view is counted), so the only sign is the play id it restored on the player."""
    phone.wait_for_selector(".sunshine-player video")
    assert phone.get_attribute(".sunshine-player", "data-analytics-play")
    phone.evaluate(START_VIDEO)
    phone.wait_for_function("() => document.querySelector('video').currentTime > 0")


def picker_layout(phone):
    return phone.evaluate(
        """() => {
            const picker = document.getElementById('sunshine-picker');
            const player = picker.previousElementSibling;
            return {
                underPlayer: player.classList.contains('sunshine-player'),
                position: getComputedStyle(picker).position,
                top: picker.getBoundingClientRect().top,
                playerBottom: player.getBoundingClientRect().bottom,
            };
        }"""
    )


def test_attribution_then_a_view_in_the_districts_report_and_its_excel_export(
    live_server, chromium, phone, lesson_with_video
):
    """One journey (a live-server test flushes the database, so it is one test)."""
    from analytics.ingest import flush_spool
    from analytics.stores import get_store
    from sunshine.roles.factories import DistrictStaffFactory

    school = SchoolFactory(district=District.objects.get(code=HEPING), name="和平阳光小学")
    lesson_url = live_server.url + lesson_with_video.url
    picker = phone.locator("#sunshine-picker")
    asked = []
    phone.on("request", lambda r: asked.append(r.url) if "/r/places.json" in r.url else None)

    # 1. No link, no account: nothing asks before the child chooses to watch.
    phone.goto(lesson_url)
    phone.wait_for_selector(".sunshine-player video")
    assert picker.is_hidden() and not asked
    play(phone)
    picker.wait_for(state="visible")
    # Inline right under the player, in the reading and focus order, covering nothing.
    layout = picker_layout(phone)
    assert layout["underPlayer"] and layout["position"] == "static", layout
    assert layout["top"] >= layout["playerBottom"] - 1, layout
    phone.wait_for_function(
        "() => document.getElementById('sunshine-picker-announce').textContent.includes('区县')"
    )
    assert picker.get_by_role("link", name="统计说明").get_attribute("href") == (
        "/privacy/statistics/"
    )

    # Submitting without a district says why, on the field, and puts focus there.
    picker.get_by_role("button", name="确定").click()
    district = phone.locator("#sunshine-picker-district")
    assert phone.locator("#sunshine-picker-error").is_visible()
    assert district.get_attribute("aria-invalid") == "true"
    assert "sunshine-picker-error" in district.get_attribute("aria-describedby")
    assert phone.evaluate("() => document.activeElement.id") == "sunshine-picker-district"

    # Skipping is remembered: the next play on this device asks nothing.
    picker.get_by_role("button", name="跳过").click()
    assert picker.is_hidden()
    # Focus goes back to the player the child was using: its play button.
    assert phone.evaluate("() => document.activeElement.dataset.action") == "play"
    phone.reload()
    asked.clear()
    play_again(phone)
    assert picker.is_hidden() and not asked
    assert stored(phone) is None

    # 2. Asked again on a fresh device, the student picks district then school.
    phone.context.close()
    phone = chromium.new_context(viewport=PHONE, locale="zh-CN").new_page()
    picker = phone.locator("#sunshine-picker")
    phone.goto(lesson_url)
    play(phone)
    picker.wait_for(state="visible")
    phone.select_option("#sunshine-picker-district", HEPING)
    assert phone.locator("#sunshine-picker-error").is_hidden()
    phone.wait_for_selector(
        f"#sunshine-picker-school option[value='{school.code}']", state="attached"
    )
    phone.select_option("#sunshine-picker-school", school.code)
    picker.get_by_role("button", name="确定").click()
    assert picker.is_hidden()
    assert stored(phone) == {"district": HEPING, "school": school.code, "via": "picker"}

    # 3. A district's share link (the newest wins) leads to the lesson; the student watches.
    phone.goto(f"{live_server.url}/r/d/{HEPING}/?to={lesson_with_video.url}")
    phone.wait_for_url(f"**{lesson_with_video.url}")
    assert stored(phone) == {"district": HEPING, "school": None, "via": "link"}
    assert play(phone).status == 201
    # The four-second clip ends and the player's "ended" sends the last beat. (A beat response
    # alone proves nothing: the beacon also resends what the picker's page left queued.)
    phone.wait_for_function("() => document.querySelector('video').ended", timeout=15000)
    phone.wait_for_function(SENT_EVERYTHING, polling=500, timeout=30000)
    assert picker.is_hidden()

    # What the scheduler does every few seconds: accepted beats into plays, plays into rollups.
    flush_spool()
    get_store().flush()

    # 4. The district officer, on a desktop, sees the view and downloads the Excel file.
    ensure_report_permissions()
    officer = DistrictStaffFactory(district=District.objects.get(code=HEPING))
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        sign_in(context, live_server, officer)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/reach-district/")
        views = page.locator(f'tr[data-key="{HEPING}"] td[data-field="views"]')
        assert views.inner_text().strip() == "1"
        assert page.locator("svg.reach-chart").count() == 1
        assert page.locator("tr[data-key='210103']").count() == 0  # not their district

        page.get_by_role("button", name="动作").click()
        with page.expect_download() as download:
            page.locator('a[href*="export=xlsx"]').first.click()
        assert download.value.suggested_filename.endswith(".xlsx")
        with open(download.value.path(), "rb") as handle:
            workbook = load_workbook(io.BytesIO(handle.read()))
        rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
        assert rows[0][:3] == ["区县", "行政区划代码", "人次"]
        assert rows[1][:3] == ["和平区", HEPING, "<5"]  # one viewer: suppressed in the file
        assert rows[-1][0] == "合计"
    finally:
        context.close()
        phone.context.close()
