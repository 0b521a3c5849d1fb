"""Teachers and staff sign in, sign out and change their password, all in Chinese."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from sunshine.roles.factories import PASSWORD, CityStaffFactory, EditorFactory, TeacherFactory

pytestmark = pytest.mark.django_db


def test_the_login_page_is_in_chinese(client):
    response = client.get("/accounts/login/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html and "登录" in html
    assert "用户名" in html and "密码" in html
    assert "学生观看课程不需要登录" in html
    assert "no-cache" in response["Cache-Control"]


def test_a_wrong_password_gets_a_chinese_error_and_no_session(client):
    TeacherFactory(username="wang")

    response = client.post("/accounts/login/", {"username": "wang", "password": "wrong"})

    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_teacher_lands_back_where_they_were_going(client):
    TeacherFactory(username="wang")

    response = client.post(
        "/accounts/login/?next=/kits/first-kit/",
        {"username": "wang", "password": PASSWORD, "next": "/kits/first-kit/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/kits/first-kit/"
    assert SESSION_KEY in client.session


def test_a_teacher_without_next_goes_home_and_staff_go_to_the_admin(client):
    TeacherFactory(username="wang")
    EditorFactory(username="liu")

    teacher = client.post("/accounts/login/", {"username": "wang", "password": PASSWORD})
    assert teacher["Location"] == "/"

    client.logout()
    staff = client.post("/accounts/login/", {"username": "liu", "password": PASSWORD})
    assert staff["Location"] == reverse("wagtailadmin_home")


def test_login_refuses_to_send_people_to_another_site(client):
    TeacherFactory(username="wang")

    response = client.post(
        "/accounts/login/",
        {"username": "wang", "password": PASSWORD, "next": "https://evil.example.com/"},
    )

    assert response["Location"] == "/"


def test_logout_is_a_post_and_a_get_only_asks_to_confirm(client):
    client.force_login(TeacherFactory(first_name="王老师"))

    confirm = client.get("/accounts/logout/")
    assert confirm.status_code == 200
    assert "确定要退出" in confirm.content.decode() and "王老师" in confirm.content.decode()
    assert SESSION_KEY in client.session

    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert SESSION_KEY not in client.session


def test_password_change_needs_a_login(client):
    response = client.get("/accounts/password/change/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/password/change/"


def test_a_teacher_changes_their_password(client):
    teacher = TeacherFactory(username="wang")
    client.force_login(teacher)

    form = client.get("/accounts/password/change/").content.decode()
    assert "修改密码" in form and "旧密码" in form and "新密码" in form

    mismatch = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "Qingtian#2025", "new_password2": "Other#2025"},
    )
    assert "输入的两个密码不一致" in mismatch.content.decode()

    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Qingtian#2025",
            "new_password2": "Qingtian#2025",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/password/change/done/"
    assert "密码已修改" in response.content.decode()
    teacher.refresh_from_db()
    assert teacher.check_password("Qingtian#2025")
    assert SESSION_KEY in client.session  # still signed in after the change


def test_staff_sign_in_to_the_admin_with_wagtails_own_login(client):
    CityStaffFactory(username="zhao")

    response = client.post(
        reverse("wagtailadmin_login"), {"username": "zhao", "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("wagtailadmin_home")
