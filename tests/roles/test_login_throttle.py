"""Passwords cannot be guessed: logins are throttled per account and client address (django-axes),
passwords follow Django's validators, and the bureau's initial passwords are replaced first."""

import ipaddress

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import RequestFactory, override_settings
from django.urls import reverse

from sunshine.clientip import client_address
from sunshine.directory.factories import SchoolFactory
from sunshine.directory.imports import import_teachers
from sunshine.roles.factories import (
    PASSWORD,
    CityStaffFactory,
    DistrictStaffFactory,
    TeacherFactory,
)
from tests.directory.helpers import csv_bytes

pytestmark = pytest.mark.django_db

SCHOOL_ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.9"
LOGIN_FORMS = ["/accounts/login/", "/admin/login/"]


def attempt(client, url, username, password, address=SCHOOL_ADDRESS):
    return client.post(
        url,
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone) MicroMessenger/8.0",
    )


def logged_in(response):
    return response.status_code == 302 and "login" not in response["Location"]


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_five_wrong_passwords_lock_the_account_from_that_address_with_a_chinese_message(
    client, url
):
    teacher = TeacherFactory()
    for _ in range(4):
        assert attempt(client, url, teacher.username, "wrong-password").status_code == 200
    locked = attempt(client, url, teacher.username, "wrong-password")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "15 分钟" in text and "暂停" in text

    # The right password does not help while the lockout lasts.
    again = attempt(client, url, teacher.username, PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_nobody_can_lock_out_a_whole_school_or_an_account_everywhere(client, url):
    victim, colleague = TeacherFactory(), TeacherFactory()
    for _ in range(6):
        attempt(client, url, victim.username, "wrong-password", address=OTHER_ADDRESS)

    # The victim, at school, still logs in; so does every colleague behind the same address.
    assert logged_in(attempt(client, url, victim.username, PASSWORD))
    client.logout()
    assert logged_in(attempt(client, url, colleague.username, PASSWORD))


def test_what_axes_stores_is_neither_the_address_nor_the_user_agent(client):
    teacher = TeacherFactory()
    attempt(client, "/accounts/login/", teacher.username, "wrong-password")
    stored = AccessAttempt.objects.get(username=teacher.username)
    assert stored.ip_address != SCHOOL_ADDRESS
    assert ipaddress.ip_address(stored.ip_address) in ipaddress.ip_network("2001:db8::/32")
    assert stored.user_agent == ""
    assert logged_in(attempt(client, "/accounts/login/", teacher.username, PASSWORD))
    assert not AccessLog.objects.exists()
    assert not AccessFailureLog.objects.exists()


def test_city_staff_unlock_an_account_in_the_admin(client):
    teacher = TeacherFactory()
    for _ in range(5):
        attempt(client, "/accounts/login/", teacher.username, "wrong-password")
    assert attempt(client, "/accounts/login/", teacher.username, PASSWORD).status_code == 429
    locked = AccessAttempt.objects.get(username=teacher.username)

    client.force_login(CityStaffFactory())
    listing = client.get(reverse("login-lockouts:index"))
    assert listing.status_code == 200
    assert teacher.username in listing.content.decode()
    assert SCHOOL_ADDRESS not in listing.content.decode()
    response = client.post(reverse("login-lockouts:delete", args=[locked.pk]))
    assert response.status_code == 302
    client.logout()

    assert logged_in(attempt(client, "/accounts/login/", teacher.username, PASSWORD))


def test_district_staff_do_not_see_the_lockouts(client):
    teacher = TeacherFactory()
    attempt(client, "/accounts/login/", teacher.username, "wrong-password")
    client.force_login(DistrictStaffFactory())
    response = client.get(reverse("login-lockouts:index"))
    assert response.status_code in (302, 403)
    assert teacher.username not in response.content.decode()


def test_a_weak_new_password_is_refused_in_chinese(client):
    teacher = TeacherFactory()
    client.force_login(teacher)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "密码" in text and ("常见" in text or "数字" in text)
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)


def test_an_imported_initial_password_must_be_changed_at_first_login(client):
    school = SchoolFactory(code="2101020009")
    header = ["用户名/工号", "姓名", "学校代码", "手机号", "初始密码"]
    rows = [header, ["T900", "张老师", school.code, "", "Yangguang#2024"]]
    assert import_teachers(csv_bytes(rows), "教师.csv").created == 1

    assert logged_in(attempt(client, "/accounts/login/", "T900", "Yangguang#2024"))
    home = client.get("/", follow=True)
    assert home.redirect_chain[-1][0] == reverse("password_change")
    assert "首次登录请先修改" in home.content.decode()
    assert client.get("/admin/").status_code == 302

    new_password = "Qingchun-Yangguang-77"
    client.post(
        reverse("password_change"),
        {
            "old_password": "Yangguang#2024",
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    school_account = school.members.get().user
    assert school_account.check_password(new_password)
    assert not school_account.profile.must_change_password
    assert client.get("/").status_code == 200


# --- the client address -------------------------------------------------------------------


def request_from(peer, forwarded=None):
    meta = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@override_settings(TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address(request_from("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    # Peer is our proxy: the right-most address that is not ours is the client; what the client
    # wrote itself further left is ignored.
    assert client_address(request_from("10.0.0.2", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    assert client_address(request_from("10.0.0.2", "203.0.113.7, 10.0.0.9")) == "203.0.113.7"
    # Peer is not our proxy: its header is ignored.
    assert client_address(request_from("198.51.100.1", "203.0.113.7")) == "198.51.100.1"
    # A malformed entry stops the walk at the last address our proxies vouched for.
    assert client_address(request_from("10.0.0.2", "203.0.113.7, bogus")) == "10.0.0.2"
    assert client_address(request_from("not-an-address")) is None
