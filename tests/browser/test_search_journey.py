"""On a phone, a student searches for a two-character word and opens the lesson it finds."""

import pytest

from courses.factories import sample_site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _index_on_save(settings):
    # Wagtail indexes saved pages from a background task; run it at once, as a worker would.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "video", "video-hd"],
        }
    }


def test_a_student_searches_from_the_home_page_and_opens_the_lesson(live_server, phone, axe):
    site = sample_site()
    phone.goto(live_server.url + "/")
    phone.get_by_role("navigation", name="主导航").get_by_role("link", name="搜索").click()
    phone.wait_for_url("**/search/")

    # 求助 sits inside the longer run 学会求助 in the lesson's title.
    phone.get_by_label("搜索课程、讲座、班会资源包和直播").fill("求助")
    phone.get_by_role("button", name="搜索").click()
    phone.wait_for_url("**/search/?q=%E6%B1%82%E5%8A%A9")

    results = phone.locator(".search__results")
    lesson_link = results.get_by_role("link", name="第2课：学会求助")
    assert lesson_link.is_visible()
    assert "系列：珍爱生命 · 生命教育" in results.inner_text()
    violations = axe(phone)
    assert violations == [], [(v["id"], [node["html"] for node in v["nodes"]]) for v in violations]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    lesson_link.click()
    phone.wait_for_url(f"**{site.lessons[1].url}")
    assert phone.locator("h1").inner_text() == "第2课：学会求助"


def test_a_search_with_only_punctuation_explains_itself(live_server, phone):
    sample_site()
    phone.goto(live_server.url + "/search/")
    phone.get_by_label("搜索课程、讲座、班会资源包和直播").fill("？！")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/search/?q=*")
    notice = phone.get_by_role("status")
    assert "关键词里没有可以搜索的文字" in notice.inner_text()
