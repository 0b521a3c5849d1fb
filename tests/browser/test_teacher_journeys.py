"""A teacher on a phone (390×844), and in WeChat: signed in, they see their name and school in the
header; 我的 lists their class meetings and downloads; the class-meeting form takes a date from the
browser's Chinese date picker; a material is previewed in the kit page; inside WeChat a download
explains how to open the page in the system browser and copies the link.

Screenshots go to var/screenshots/teacher/ (looked at by a person, not compared)."""

import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from analytics.models import ClassMeeting
from courses.demo import files as demo_files
from courses.factories import DocumentFactory, KitMaterialFactory, sample_site
from courses.models import KitMaterial
from media_pipeline import previews
from sunshine.directory.factories import DistrictFactory, SchoolFactory
from sunshine.roles.factories import PASSWORD, TeacherFactory
from tests.browser.conftest import PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots")) / "teacher"
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2203A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160117 "
    "MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.50.2701(0x28003253) WeChat/arm64 "
    "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)


def shot(page, name, full_page=True):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def a_teacher():
    school = SchoolFactory(district=DistrictFactory(code="210102"), name="和平实验小学")
    return TeacherFactory(username="li", first_name="李老师", school=school)


def log_in(page, live_server, next_url="/"):
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.get_by_label("用户名").fill("li")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}{next_url}")


def test_signed_in_header_my_page_class_meeting_and_logout(
    live_server, phone, axe, skip_district_picker
):
    site = sample_site()
    a_teacher()
    log_in(phone, live_server, site.kit.url)
    skip_district_picker(phone)

    header = phone.locator(".site-header")
    assert "李老师" in header.inner_text() and "和平实验小学" in header.inner_text()
    assert header.get_by_role("button", name="退出").is_visible()
    assert "下载材料需要使用教育局发放的教师账号" not in phone.content()
    # The header stays small: brand, navigation and the account line in under a fifth of 844.
    assert header.bounding_box()["height"] < PHONE["height"] / 5
    shot(phone, "01-kit-signed-in", full_page=False)
    assert axe(phone) == []

    phone.get_by_role("link", name="登记“班会已开展”").click()
    phone.wait_for_url("**/class-meetings/**")
    date_input = phone.get_by_label("开展日期")
    assert date_input.get_attribute("type") == "date"
    assert date_input.get_attribute("lang") == "zh-CN"
    phone.get_by_role("button", name="登记").click()  # nothing filled in but the date
    assert phone.get_by_text("请填写班级").is_visible()
    assert phone.get_by_text("请填写参加学生数").is_visible()
    shot(phone, "02-class-meeting-errors")
    assert axe(phone) == []
    yesterday = timezone.localdate() - timedelta(days=1)
    phone.get_by_label("开展日期").fill(yesterday.isoformat())
    readout = phone.locator("output[data-date-readout]")
    assert readout.inner_text().startswith(
        f"{yesterday.year}年{yesterday.month}月{yesterday.day}日 星期"
    )
    phone.get_by_label("班级").fill("三年级2班")
    phone.get_by_label("参加学生数").fill("41")
    phone.get_by_role("button", name="登记").click()
    phone.wait_for_url("**?recorded=**")
    assert "已登记" in phone.locator(".class-meeting__done").inner_text()
    shot(phone, "03-class-meeting-recorded")
    assert ClassMeeting.objects.get().held_on == yesterday

    phone.goto(live_server.url + site.kit.url)
    with phone.expect_download():
        phone.get_by_role("link", name=re.compile(r"^下载\s*：教学设计$")).click()

    phone.locator(".site-header").get_by_role("link", name="我的").click()
    phone.wait_for_url(f"{live_server.url}/accounts/")
    page_text = phone.locator("main").inner_text()
    assert "三年级2班" in page_text and "41 名学生" in page_text
    assert "教学设计" in page_text  # the download just made
    assert phone.get_by_role("link", name="修改密码").is_visible()
    shot(phone, "04-my-page")
    assert axe(phone) == []

    phone.locator(".site-header").get_by_role("button", name="退出").click()
    phone.wait_for_url(f"{live_server.url}/")
    assert "李老师" not in phone.locator(".site-header").inner_text()
    phone.goto(f"{live_server.url}/accounts/")
    phone.wait_for_url("**/accounts/login/**")


def test_password_change_in_chinese(live_server, phone, axe):
    sample_site()
    a_teacher()
    log_in(phone, live_server, "/accounts/")
    phone.get_by_role("link", name="修改密码").click()
    phone.wait_for_url("**/accounts/password/change/")
    phone.get_by_label("旧密码").fill("wrong")
    phone.get_by_role("button", name="修改密码").click()
    assert "旧密码" in phone.locator(".account-card").inner_text()
    assert "Your old password" not in phone.content()
    shot(phone, "05-password-change")
    assert axe(phone) == []


def kit_with_previews(site):
    """The sample kit with a real PDF and a real DOCX, their previews drawn (as the worker
    would), and a file with no preview."""
    letter = site.materials[1]
    letter.document.file.save(
        "致家长的一封信.pdf",
        io.BytesIO(demo_files.pdf_bytes("致家长的一封信", [("p", "亲爱的家长：本周班会……" * 20)])),
    )
    letter.document.file_hash = ""
    letter.document.save()
    docx = demo_files.docx_bytes(
        "课件说明：珍爱生命", [("h", "活动过程"), ("p", "一、生命的奇迹（8 分钟）" * 6)]
    )
    plan = KitMaterialFactory(
        page=site.kit,
        kind=KitMaterial.Kind.WORKSHEET,
        title="学习任务单",
        document=DocumentFactory(file__filename="学习任务单.docx", file__data=docx),
    )
    KitMaterialFactory(
        page=site.kit,
        kind=KitMaterial.Kind.OTHER,
        title="图片素材包",
        document=DocumentFactory(file__filename="图片素材包.zip", file__data=b"PK\x05\x06"),
    )
    for material in (letter, plan):
        assert previews.build(material.document_id).status == "ready"
    return letter, plan


def test_a_teacher_previews_materials_in_the_kit_page(
    live_server, phone, axe, skip_district_picker
):
    site = sample_site()
    a_teacher()
    kit_with_previews(site)
    log_in(phone, live_server, site.kit.url)
    skip_district_picker(phone)

    phone.get_by_role("link", name=re.compile(r"^预览\s*：学习任务单$")).click()
    image = phone.get_by_role("img", name="学习任务单 第 1 页")
    image.wait_for()
    phone.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.bounding_box()["width"] <= PHONE["width"]
    image.scroll_into_view_if_needed()
    shot(phone, "06-preview-docx-inline", full_page=False)

    phone.get_by_role("link", name=re.compile(r"^预览\s*：致家长的一封信$")).click()
    phone.get_by_role("img", name="致家长的一封信 第 1 页").wait_for()
    archive = phone.locator(".downloads li", has_text="图片素材包")
    assert "不支持在线预览" in archive.inner_text()
    assert archive.get_by_role("link", name=re.compile("预览")).count() == 0
    shot(phone, "07-preview-kit-page")
    assert axe(phone) == []

    # Without the script's help too: the preview page itself.
    href = phone.get_by_role("link", name=re.compile(r"^预览\s*：学习任务单$")).get_attribute(
        "href"
    )
    phone.goto(live_server.url + href)
    phone.get_by_role("img", name="学习任务单 第 1 页").wait_for()
    shot(phone, "08-preview-page")
    assert axe(phone) == []


def test_an_anonymous_visitor_sees_no_preview_images(live_server, phone, skip_district_picker):
    site = sample_site()
    letter, _ = kit_with_previews(site)
    response = phone.request.get(
        f"{live_server.url}/media-pipeline/kits/materials/{letter.pk}/preview/1.jpg"
    )
    assert response.status == 401
    phone.goto(live_server.url + site.kit.url)
    skip_district_picker(phone)
    phone.get_by_role("link", name=re.compile(r"^预览\s*：致家长的一封信$")).click()
    phone.wait_for_url("**/accounts/login/**")


def test_in_wechat_a_download_explains_how_to_open_the_browser_and_copies_the_link(
    live_server, chromium, axe, skip_district_picker
):
    site = sample_site()
    a_teacher()
    context = chromium.new_context(
        viewport=PHONE, locale="zh-CN", user_agent=WECHAT_UA, accept_downloads=True
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    try:
        log_in(page, live_server, site.kit.url)
        skip_district_picker(page)
        link = page.get_by_role("link", name=re.compile(r"^下载\s*：教学设计$"))
        href = link.get_attribute("href")
        link.click()
        dialog = page.get_by_role("dialog", name="请在浏览器中打开后下载")
        dialog.wait_for()
        assert "点右上角 ··· 选择「在浏览器打开」" in dialog.inner_text()
        assert dialog.get_by_label("下载链接").input_value() == live_server.url + href
        dialog.get_by_role("button", name="复制链接").click()
        dialog.get_by_text("链接已复制").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == live_server.url + href
        shot(page, "09-wechat-download-help", full_page=False)
        assert axe(page) == []
        dialog.get_by_role("button", name="知道了").click()
        assert not dialog.is_visible()

        page.get_by_role("link", name="下载全部").click()  # the zip too
        dialog.wait_for()
        assert (
            dialog.get_by_label("下载链接")
            .input_value()
            .endswith(f"/media-pipeline/kits/{site.kit.pk}/bundle/")
        )
        page.wait_for_timeout(300)
        assert downloads == []  # WeChat would have dropped them: none was started
    finally:
        context.close()


def test_in_wechat_without_the_clipboard_api_the_copy_falls_back(
    live_server, chromium, skip_district_picker
):
    site = sample_site()
    a_teacher()
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", user_agent=WECHAT_UA)
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page = context.new_page()
    try:
        log_in(page, live_server, site.kit.url)
        skip_district_picker(page)
        page.get_by_role("link", name=re.compile(r"^下载\s*：教学设计$")).click()
        dialog = page.get_by_role("dialog", name="请在浏览器中打开后下载")
        dialog.get_by_role("button", name="复制链接").click()
        status = dialog.locator(".wechat-help__status")
        status.filter(has_text=re.compile("已复制|长按")).wait_for()
    finally:
        context.close()
