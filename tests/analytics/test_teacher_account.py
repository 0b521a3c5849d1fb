""" "我的" and the signed-in header: a teacher sees who they are signed in as, their class meetings
and their own recent downloads; nobody else sees them, and nothing per person reaches the shared
page cache."""

import pytest
from django.core.files.storage import default_storage

from analytics.models import ClassMeeting, TeacherDownload
from analytics.models.downloads import KEEP_PER_TEACHER, record
from courses.factories import sample_site
from sunshine.roles.factories import TeacherFactory
from tests.analytics.reports_support import HEPING, school

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return sample_site()


def a_teacher(name="李老师", school_name="和平阳光小学"):
    return TeacherFactory(first_name=name, school=school(HEPING, name=school_name))


def test_accounts_is_my_page_not_a_404(client, site):
    anonymous = client.get("/accounts/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    client.force_login(a_teacher())
    page = client.get("/accounts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "我的" in html and "李老师" in html and "和平阳光小学" in html
    assert 'href="/accounts/password/change/"' in html
    assert "private" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]


def test_the_header_shows_name_school_and_a_logout_form_only_when_signed_in(client, site):
    anonymous = client.get(site.kit.url).content.decode()
    assert "account-menu" not in anonymous and "退出" not in anonymous
    assert "下载材料需要使用教育局发放的教师账号" in anonymous

    client.force_login(a_teacher())
    html = client.get(site.kit.url).content.decode()
    header = html.split('<header class="site-header">')[1].split("</header>")[0]
    assert "李老师" in header and "和平阳光小学" in header
    assert 'method="post" action="/accounts/logout/"' in header
    assert "csrfmiddlewaretoken" in header
    # The page speaks to the signed-in state: no login request, the files download directly.
    assert "下载材料需要使用教育局发放的教师账号" not in html
    assert "教师登录后登记" not in html
    assert " download>下载" in html


def test_a_signed_in_page_is_not_served_from_or_stored_in_the_shared_cache(client, site):
    client.get(site.kit.url)  # anonymous: stored
    client.force_login(a_teacher(name="王老师"))
    assert "王老师" in client.get(site.kit.url).content.decode()
    client.logout()
    again = client.get(site.kit.url).content.decode()
    assert "王老师" not in again and "account-menu" not in again


def test_logout_is_a_post_and_signs_out(client, site):
    client.force_login(a_teacher())
    assert client.get("/accounts/logout/").status_code == 200  # asks to confirm
    assert client.get("/accounts/").status_code == 200
    client.post("/accounts/logout/", {"next": "/"})
    assert client.get("/accounts/").status_code == 302


def test_my_page_lists_my_class_meetings_and_not_anyone_elses(client, site):
    me, other = a_teacher(), a_teacher(name="赵老师", school_name="和平第二小学")
    client.force_login(me)
    client.post(
        f"/class-meetings/{site.kit.pk}/",
        {"held_on": "2026-11-03", "class_name": "三年级2班", "students": 41},
    )
    client.force_login(other)
    client.post(
        f"/class-meetings/{site.kit.pk}/",
        {"held_on": "2026-11-04", "class_name": "五年级1班", "students": 38},
    )
    assert ClassMeeting.objects.count() == 2
    client.force_login(me)
    html = client.get("/accounts/").content.decode()
    assert "三年级2班" in html and "41 名学生" in html and "2026年11月3日" in html
    assert "五年级1班" not in html
    assert "共 1 次" in html


def test_a_teachers_downloads_are_kept_for_their_page_and_only_the_last_few(client, site):
    me = a_teacher()
    client.force_login(me)
    plan = site.materials[0]
    response = client.get(plan.document.url)
    assert response.status_code == 200
    _ = b"".join(response.streaming_content) if response.streaming else response.content
    row = TeacherDownload.objects.get()
    assert (row.teacher, row.kit_id, row.title) == (me, site.kit.pk, "教学设计")
    assert "教学设计" in client.get("/accounts/").content.decode()

    for n in range(KEEP_PER_TEACHER + 5):
        record(me, site.kit.pk, f"材料{n}")
    assert TeacherDownload.objects.filter(teacher=me).count() == KEEP_PER_TEACHER
    html = client.get("/accounts/").content.decode()
    assert f"材料{KEEP_PER_TEACHER + 4}" in html and "材料0<" not in html


def test_anonymous_downloads_and_other_documents_are_not_kept(client, site, settings):
    from sunshine.models import SiteSettings

    settings_row = SiteSettings.for_site(site.home.get_site())
    settings_row.kit_download_requires_login = False
    settings_row.save()
    client.get(site.materials[0].document.url)
    assert not TeacherDownload.objects.exists()

    client.force_login(a_teacher())
    worksheet = site.lessons[0].worksheets.first().document
    client.get(worksheet.url)  # a lesson worksheet, not a kit material
    assert not TeacherDownload.objects.exists()


def test_the_whole_kit_zip_is_kept_as_a_download(client, site, monkeypatch):
    from media_pipeline import bundles

    me = a_teacher()
    bundle = bundles.build_for_kit(site.kit.pk)
    assert bundle.status == "ready" and default_storage.exists(bundle.file)
    client.force_login(me)
    response = client.get(f"/media-pipeline/kits/{site.kit.pk}/bundle/")
    assert response.status_code == 200
    assert TeacherDownload.objects.get().title == "全部材料（压缩包）"


def test_the_class_meeting_form_has_a_chinese_date_picker_limited_to_allowed_dates(client, site):
    from django.utils import timezone

    client.force_login(a_teacher())
    html = client.get(f"/class-meetings/{site.kit.pk}/").content.decode()
    assert 'type="date"' in html and 'lang="zh-CN"' in html
    assert f'max="{timezone.localdate().isoformat()}"' in html
    assert 'class="account-form"' in html and "<label" in html
