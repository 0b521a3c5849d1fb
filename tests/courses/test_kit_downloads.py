"""Kit materials are for teachers: anonymous visitors are sent to log in, teachers download,
and when the bureau switches the gate off, anyone may download. Other documents stay public."""

from urllib.parse import parse_qs, quote

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import Site

from sunshine.models import SiteSettings
from sunshine.roles.factories import PASSWORD, TeacherFactory, UserFactory

pytestmark = pytest.mark.django_db


def download(client, document):
    response = client.get(document.url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.fixture
def teacher_client(client):
    teacher = TeacherFactory()
    assert teacher.groups.filter(name="教师").exists()
    client.login(username=teacher.username, password=PASSWORD)
    return client


def test_an_anonymous_visitor_is_sent_to_the_login_page(site_pages, client):
    document = site_pages.materials[0].document
    response = client.get(document.url)
    assert response.status_code == 302
    login, query = response["Location"].split("?", 1)
    assert login == reverse("login")
    assert parse_qs(query) == {"next": [document.url]}
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["班会资源包材料仅供教师下载，请先使用教师账号登录。"]


def test_a_teacher_downloads_the_material(site_pages, teacher_client):
    document = site_pages.materials[0].document
    response, body = download(teacher_client, document)
    assert response.status_code == 200
    assert body == b"PK\x03\x04 lesson plan for teachers"


def test_staff_in_other_roles_download_too(site_pages, client):
    editor = UserFactory()
    editor.groups.add(Group.objects.get_or_create(name="编辑")[0])
    client.login(username=editor.username, password=PASSWORD)
    response, _ = download(client, site_pages.materials[1].document)
    assert response.status_code == 200


def test_an_account_without_a_role_is_told_why_it_cannot_download(site_pages, client):
    nobody = UserFactory()
    client.login(username=nobody.username, password=PASSWORD)
    response = client.get(site_pages.materials[0].document.url)
    assert response.status_code == 403
    assert "仅供教师和教育系统工作人员下载" in response.content.decode()


def test_with_the_gate_off_anyone_downloads(site_pages, client):
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.kit_download_requires_login = False
    settings.save()
    response, body = download(client, site_pages.materials[0].document)
    assert response.status_code == 200
    assert body.startswith(b"PK")


def test_lesson_worksheets_stay_public(site_pages, client):
    worksheet = site_pages.lessons[0].worksheets.get()
    response, body = download(client, worksheet.document)
    assert response.status_code == 200
    assert body.startswith(b"%PDF")


def test_the_kit_page_says_downloads_need_a_teacher_login(site_pages, client):
    html = client.get(site_pages.kit.url).content.decode()
    assert "下载材料需要使用教育局发放的教师账号" in html
    assert f"/accounts/login/?next={site_pages.kit.url}" in html
    # A gated link must be free to lead to the login page, not save it as the file.
    material_link = f'href="{site_pages.materials[0].document.url}"'
    assert f"{material_link} data-file-download>" in html
    assert f"{material_link} download" not in html


def test_chinese_file_names_survive_the_download_for_windows(site_pages, teacher_client):
    """Browsers on Windows read the RFC 5987 `filename*`; older clients get an ASCII name."""
    document = site_pages.materials[0].document
    response, _ = download(teacher_client, document)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=UTF-8''{quote('珍爱生命教学设计.docx')}" in disposition
    ascii_part = disposition.split("filename=", 1)[1].split(";")[0]
    assert ascii_part.isascii() and ascii_part.strip('"').endswith(".docx")
