"""On a phone, a student opens the site, picks a series and works through its lessons."""

import pytest

from courses.factories import sample_site

# serialized_rollback: the live server needs committed data, and the page tree's root and the
# grade bands (made by migrations) must be back for the tests that follow.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_student_goes_from_home_to_a_series_and_through_its_lessons(
    live_server, phone, skip_district_picker
):
    site = sample_site()
    phone.goto(live_server.url + "/")
    assert phone.locator("h1").inner_text() == "阳光课堂"
    hotline = phone.locator('.help-strip .help-strip__bar a[href="tel:12356"]')
    assert hotline.is_visible()

    phone.get_by_role("link", name="珍爱生命", exact=True).click()
    phone.wait_for_url(f"**{site.series.url}")
    assert phone.locator("h1").inner_text() == "珍爱生命"
    assert phone.locator(".lesson-list li").count() == 3

    phone.get_by_role("link", name="从第 1 讲开始学习").click()
    phone.wait_for_url(f"**{site.lessons[0].url}")
    skip_district_picker(phone)
    assert phone.locator("h1").inner_text() == "第1课：认识情绪"
    assert "第 1 讲 / 共 3 讲" in phone.locator(".lesson-number").inner_text()
    assert phone.locator("[data-page-id]").first.is_visible()  # the player's place
    # The help strip scrolls away with the page (it never covers the video); the same numbers
    # wait at the foot of the page.
    assert phone.locator(".help-strip").evaluate("el => getComputedStyle(el).position") == "static"
    assert phone.locator('.help-foot a[href="tel:12356"]').count() == 1

    transcript = phone.locator("main details")
    assert not transcript.evaluate("el => el.open")
    transcript.locator("summary").click()
    assert transcript.evaluate("el => el.open")

    phone.get_by_role("link", name="下一讲 › 第2课：学会求助").click()
    phone.wait_for_url(f"**{site.lessons[1].url}")
    assert phone.locator("h1").inner_text() == "第2课：学会求助"

    # Nothing sticks out sideways on a 390-pixel-wide phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_skip_link_takes_a_keyboard_user_to_the_content(live_server, phone):
    site = sample_site()
    phone.goto(live_server.url + site.series.url)
    phone.keyboard.press("Tab")
    focused = phone.evaluate("document.activeElement.textContent")
    assert focused == "跳到主要内容"
    assert phone.locator(".skip-link").is_visible()  # shown when focused
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "main"


def test_a_student_filters_courses_by_track_without_javascript(live_server, chromium):
    site = sample_site()
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(live_server.url + site.courses.url)
        page.get_by_label("课程板块").select_option(label="科学教育")
        page.get_by_role("button", name="筛选").click()
        page.wait_for_url("**track=science**")
        assert page.locator("h1").inner_text() == "科学教育"
        assert "暂时没有符合条件的课程" in page.content()
    finally:
        context.close()
