"""A teacher signs in on a phone, finds a class-meeting kit and downloads a material; the file
keeps its Chinese name."""

import re

import pytest

from courses.factories import sample_site
from sunshine.roles.factories import PASSWORD, TeacherFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_teacher_logs_in_opens_a_kit_and_downloads_a_material(
    live_server, phone, tmp_path, skip_district_picker
):
    site = sample_site()
    TeacherFactory(username="li", first_name="李老师")

    phone.goto(live_server.url + "/accounts/login/")
    phone.get_by_label("用户名").fill("li")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(live_server.url + "/")

    phone.get_by_role("navigation", name="主导航").get_by_role("link", name="班会资源包").click()
    phone.wait_for_url(f"**{site.kits.url}")
    phone.get_by_role("link", name="珍爱生命主题班会").click()
    phone.wait_for_url(f"**{site.kit.url}")
    skip_district_picker(phone)
    assert phone.locator(".safety h2").inner_text() == "安全提示：请在班会前阅读"

    with phone.expect_download() as download_info:
        phone.get_by_role("link", name=re.compile(r"^下载\s*：教学设计$")).click()
    download = download_info.value
    assert download.suggested_filename == "珍爱生命教学设计.docx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes() == b"PK\x03\x04 lesson plan for teachers"


def test_an_anonymous_visitor_is_asked_to_log_in_then_gets_the_file(
    live_server, phone, tmp_path, skip_district_picker
):
    site = sample_site()
    TeacherFactory(username="zhao")

    phone.goto(live_server.url + site.kit.url)
    skip_district_picker(phone)
    phone.get_by_role("link", name=re.compile(r"^下载\s*：教学设计$")).click()
    phone.wait_for_url("**/accounts/login/?next=**")
    assert "班会资源包材料仅供教师下载，请先使用教师账号登录。" in phone.content()

    phone.get_by_label("用户名").fill("zhao")
    phone.get_by_label("密码").fill(PASSWORD)
    with phone.expect_download() as download_info:
        phone.get_by_role("button", name="登录").click()
    download = download_info.value
    assert download.suggested_filename == "珍爱生命教学设计.docx"
    saved = tmp_path / "plan.docx"
    download.save_as(saved)
    assert saved.read_bytes() == b"PK\x03\x04 lesson plan for teachers"
