"""Issue 11's student journeys at 390×844, in Chromium and with WeChat's user agent: one clean
player, a help strip that stays out of the way, and a school that can be changed.
Screenshots go to var/screenshots/journeys/ (looked at by a person, not compared)."""

import json

import pytest

from sunshine.directory.factories import DistrictFactory, SchoolFactory

from .conftest import lesson_with_clip, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:30.000\n<v 老师>同学们好，</v>\n今天我们认识情绪。\n"
THUMB = 44  # px: the smallest target a thumb hits reliably


@pytest.fixture
def lesson(settings, tmp_path_factory):
    """A lesson with a 4-second clip, typed as 12分30秒, and Chinese captions marked 默认显示."""
    lesson = lesson_with_clip(settings, tmp_path_factory)
    video = lesson.video
    prefix = video.manifest["prefix"]
    vtt = settings.MEDIA_ROOT / prefix / "captions" / "zh.vtt"
    vtt.parent.mkdir(parents=True, exist_ok=True)
    vtt.write_text(CAPTIONS, encoding="utf-8")
    track = {"lang": "zh-Hans", "name": "中文", "vtt": "captions/zh.vtt", "default": True}
    video.manifest = {**video.manifest, "captions": [track]}
    video.save()
    return lesson


def video_js(expression):
    video = "document.querySelector('.sunshine-player video')"
    return f"() => {{ const v = {video}; return {expression}; }}"


def serious(axe, page):
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in axe(page)]


def test_the_player_has_one_set_of_big_accessible_controls_and_legible_captions(
    live_server, phone_or_wechat, lesson, axe
):
    page = phone_or_wechat
    page.goto(live_server.url + lesson.url)
    page.wait_for_load_state("networkidle")
    player = page.locator(".sunshine-player")

    # The video's own length, not the 12分30秒 typed by hand.
    assert page.locator("main .meta", has_text="时长").inner_text() == "时长 4秒"
    # One set of controls: the native ones went when our script ran.
    assert page.evaluate(video_js("v.controls || v.hasAttribute('controls')")) is False
    assert page.get_by_role("button", name="播放", exact=True).count() == 1
    assert page.get_by_role("button", name="全屏").count() == 1
    # Captions marked 默认显示 are on, and the button says so.
    captions_button = player.locator("[data-action=captions]")  # in the closed 设置 menu
    assert captions_button.get_attribute("aria-pressed") == "true"

    # Every control a thumb can hit.
    small = player.evaluate(
        f"""el => [...el.querySelectorAll('.sunshine-player__controls button,'
                + ' .sunshine-player__controls select, .sunshine-player__controls input')]
            .filter(c => c.offsetParent !== null)
            .map(c => [c.getAttribute('aria-label') || c.textContent.trim(),
                       c.getBoundingClientRect().width, c.getBoundingClientRect().height])
            .filter(([, w, h]) => w < {THUMB} || h < {THUMB})"""
    )
    assert small == []

    page.get_by_role("button", name="播放", exact=True).click()
    page.wait_for_function(video_js("v.currentTime > 0.5"), timeout=30_000)
    box = player.locator(".sunshine-player__captions")
    box.wait_for(state="visible")
    assert box.inner_text() == "同学们好，\n今天我们认识情绪。"
    style = box.locator("span").first.evaluate(
        "el => { const s = getComputedStyle(el); return [parseFloat(s.fontSize), s.backgroundColor,"
        " s.color]; }"
    )
    body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert style[0] >= body_size  # at least body text on a phone (was about 10 px)
    assert style[1] == "rgba(0, 0, 0, 0.82)" and style[2] == "rgb(255, 255, 255)"
    page.get_by_role("button", name="暂停").click()
    screenshot(page, "journeys", f"player-captions-{page.browser_name}")

    # 设置 by keyboard: it opens with focus inside, Escape closes it and focus comes back.
    menu = page.get_by_role("button", name="设置")
    assert not page.get_by_label("播放速度").is_visible()
    menu.focus()
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "播放速度"
    assert page.get_by_label("播放速度").is_visible() and captions_button.is_visible()
    screenshot(page, "journeys", f"player-menu-{page.browser_name}")
    assert serious(axe, page) == []
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.textContent") == "设置"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus visible

    # Captions off from the menu: the button and the picture agree.
    menu.click()
    captions_button.click()
    assert captions_button.get_attribute("aria-pressed") == "false"
    assert box.is_hidden()
    assert page.evaluate(video_js("v.textTracks[0].mode")) == "disabled"
    page.keyboard.press("c")  # and back on by keyboard
    assert captions_button.get_attribute("aria-pressed") == "true"

    # On a wide screen the settings sit in the row and need no menu.
    page.set_viewport_size({"width": 1024, "height": 768})
    assert menu.is_hidden()
    assert page.get_by_label("播放速度").is_visible() and captions_button.is_visible()
    screenshot(page, "journeys", f"player-wide-{page.browser_name}")


def test_the_help_strip_is_one_slim_line_that_opens_to_every_line(
    live_server, phone_or_wechat, lesson, axe
):
    page = phone_or_wechat
    response = page.goto(live_server.url + lesson.url)
    assert response.header_value("content-encoding") == "gzip"  # the page, compressed
    icon = page.request.get(live_server.url + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"] == "image/x-icon"
    page.wait_for_load_state("networkidle")
    strip = page.locator(".help-strip")
    height = strip.bounding_box()["height"]
    assert height <= 2 * THUMB + 2, height  # a line or two of the 844 px screen
    for number in ("12356", "12355"):
        call = page.locator(f'.help-strip .help-strip__bar a[href="tel:{number}"]')
        assert call.is_visible()
        assert call.bounding_box()["height"] >= THUMB
    text = page.locator("body").inner_text()
    assert "0000" not in text and "示例" not in text and "替换" not in text
    # The player starts in the first half of the screen, and nothing sticks over it.
    assert page.locator(".sunshine-player").bounding_box()["y"] < 844 / 2
    assert strip.evaluate("el => getComputedStyle(el).position") == "static"
    screenshot(page, "journeys", f"help-strip-{page.browser_name}")

    page.get_by_text("全部求助方式").click()
    listing = page.locator(".help-strip__more ul")
    assert listing.is_visible()
    assert page.get_by_role("link", name="全国心理援助热线 12356", exact=True).is_visible()
    assert listing.get_by_role("link", name="写信给心灵信箱").is_visible()
    assert serious(axe, page) == []
    screenshot(page, "journeys", f"help-strip-open-{page.browser_name}")

    # At the foot of the page too: no scrolling back up for help.
    page.keyboard.press("End")
    foot = page.locator('.help-foot a[href="tel:12356"]')
    foot.scroll_into_view_if_needed()
    assert foot.is_visible()


def test_a_student_who_picked_the_wrong_school_changes_it(
    live_server, phone_or_wechat, lesson, axe
):
    page = phone_or_wechat
    district = DistrictFactory(code="210102")
    wrong = SchoolFactory(district=district, name="和平区第一小学")
    right = SchoolFactory(district=district, name="和平区第二小学")
    stored = {"district": district.code, "school": wrong.code, "via": "picker"}
    page.add_init_script(
        f"if (!sessionStorage.getItem('seeded')) {{ sessionStorage.setItem('seeded', '1');"
        f" localStorage.setItem('sunshine:attribution', {json.dumps(json.dumps(stored))}); }}"
    )
    page.goto(live_server.url + lesson.url)
    chosen = page.locator("#sunshine-picker-chosen")
    chosen.wait_for(state="visible")
    assert "和平区 · 和平区第一小学" in chosen.inner_text()
    change = page.get_by_role("button", name="更改学校")
    assert change.bounding_box()["height"] >= THUMB
    screenshot(page, "journeys", f"school-chosen-{page.browser_name}")

    change.click()
    picker = page.locator("#sunshine-picker")
    picker.wait_for(state="visible")
    assert page.locator("#sunshine-picker-district").input_value() == district.code
    page.wait_for_function(
        f"() => document.getElementById('sunshine-picker-school').value === '{wrong.code}'"
    )
    assert page.get_by_role("button", name="取消").is_visible()
    assert serious(axe, page) == []
    page.locator("#sunshine-picker-school").select_option(right.code)
    screenshot(page, "journeys", f"school-change-{page.browser_name}")
    page.get_by_role("button", name="确定").click()

    picker.wait_for(state="hidden")
    page.wait_for_function(
        "() => document.getElementById('sunshine-picker-chosen').textContent.includes('第二小学')"
    )
    saved = json.loads(page.evaluate("localStorage.getItem('sunshine:attribution')"))
    assert saved == {"district": district.code, "school": right.code, "via": "picker"}
    assert page.evaluate("document.activeElement.textContent").startswith("更改")

    # 取消 keeps the answer; a reload still names the new school.
    change.click()
    page.get_by_role("button", name="取消").click()
    assert json.loads(page.evaluate("localStorage.getItem('sunshine:attribution')")) == saved
    page.reload()
    chosen.wait_for(state="visible")
    assert "和平区第二小学" in chosen.inner_text()
