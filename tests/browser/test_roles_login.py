"""On a phone, a teacher signs in, changes the initial password and cannot enter the admin."""

import pytest

from sunshine.roles.factories import PASSWORD, TeacherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_teacher_signs_in_changes_the_password_and_is_kept_out_of_the_admin(
    live_server, phone, axe
):
    teacher = TeacherFactory(username="wang", first_name="王老师")

    phone.goto(f"{live_server.url}/accounts/login/?next=/accounts/password/change/")
    assert phone.locator("h1").inner_text() == "登录"
    assert axe(phone) == []
    phone.get_by_label("用户名").fill("wang")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()

    phone.wait_for_url("**/accounts/password/change/")
    assert phone.locator("h1").inner_text() == "修改密码"
    phone.get_by_label("旧密码").fill(PASSWORD)
    phone.get_by_label("新密码", exact=True).fill("Qingtian#2025")
    phone.get_by_label("新密码确认").fill("Qingtian#2025")
    phone.get_by_role("button", name="修改密码").click()

    phone.wait_for_url("**/accounts/password/change/done/")
    assert "密码已修改" in phone.locator("h1").inner_text()
    teacher.refresh_from_db()
    assert teacher.check_password("Qingtian#2025")

    phone.goto(f"{live_server.url}/admin/")
    assert "您没有权限访问管理后台" in phone.content()

    phone.goto(f"{live_server.url}/accounts/logout/")
    phone.get_by_role("button", name="退出登录").click()
    phone.wait_for_url(f"{live_server.url}/")
    phone.goto(f"{live_server.url}/accounts/password/change/")
    assert "/accounts/login/" in phone.url
