"""A district officer follows every admin link two hops from the dashboard, and every export, and
never sees another district's school or account: Wagtail's own screens (site history and its
exports, the logs of schools and accounts, the workflow and aging-pages reports, search)
included."""

import csv
import io
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import openpyxl
import pytest
from django.urls import reverse

from courses.workflow import ensure_review_workflow
from sunshine.directory.factories import DistrictFactory, SchoolFactory
from sunshine.directory.models import DirectoryLogEntry
from sunshine.home.factories import InfoPageFactory, site_with_home
from sunshine.roles.factories import (
    CityStaffFactory,
    DistrictStaffFactory,
    EditorFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.django_db

LINK = re.compile(r'(?:href="|"url":\s*")(/admin/[^"#\s]*)')
# Links that sign out, or that are another page's copy of the same screen.
SKIP = ("/admin/logout/",)


@pytest.fixture
def city_with_two_districts(client):
    home = site_with_home()
    ensure_review_workflow(home)
    heping, shenhe = DistrictFactory(code="210102"), DistrictFactory(code="210103")
    own_school = SchoolFactory(code="H100", name="和平晨光小学", district=heping)
    other_school = SchoolFactory(code="S100", name="沈河远山中学", district=shenhe)
    TeacherFactory(username="heping-t1", first_name="和平教师甲", school=own_school)
    other_teacher = TeacherFactory(
        username="shenhe-t1", first_name="沈河教师乙", school=other_school
    )
    other_officer = DistrictStaffFactory(
        username="shenhe-officer", first_name="沈河区管员丙", district=shenhe
    )

    # City staff edit both districts' schools through the admin, so the logs have entries, and
    # one of them only ever touches the other district.
    city = CityStaffFactory(first_name="市局全市")
    only_shenhe = CityStaffFactory(username="city-shenhe-only", first_name="只管沈河的丁")
    for user, school, name in (
        (city, own_school, "和平晨光小学（新校区）"),
        (only_shenhe, other_school, "沈河远山中学（新校区）"),
    ):
        client.force_login(user)
        response = client.post(
            reverse("school:edit", args=[school.pk]),
            {
                "code": school.code,
                "name": name,
                "district": school.district_id,
                "stage": school.stage,
            },
        )
        assert response.status_code == 302, response.content.decode()[:500]
    profile = other_teacher.profile
    client.force_login(only_shenhe)
    client.post(
        reverse("accounts:edit", args=[profile.pk]),
        {"school": other_school.pk, "district": "", "mobile": "13900000000"},
    )
    client.logout()
    assert DirectoryLogEntry.objects.filter(object_id=str(other_school.pk)).exists()

    # Pages under review, for the workflow and aging reports and page search.
    editor = EditorFactory()
    page = InfoPageFactory(parent=home, title="沈河远山中学的班会", slug="shenhe-page")
    page.save_revision(user=editor).publish()

    secrets = [
        "沈河远山中学",
        "S100",
        "shenhe-t1",
        "沈河教师乙",
        "shenhe-officer",
        "沈河区管员丙",
        "只管沈河的丁",
        "city-shenhe-only",
        "13900000000",
    ]
    return {
        "heping": heping,
        "officer": DistrictStaffFactory(username="heping-officer", district=heping),
        "other_school": other_school,
        "other_profile": profile,
        "other_officer": other_officer,
        "secrets": secrets,
        "own": ["和平晨光小学", "heping-t1"],
    }


def text_of(response):
    """The body of a page or an export (CSV or xlsx) as text."""
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        cells = [
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        ]
        return "\n".join(cells)
    text = body.decode("utf-8-sig", errors="replace")
    if "csv" in content_type:
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(text)))
    return text


def links_in(url, text):
    found = set()
    for match in LINK.findall(text):
        link = urljoin(url, match.replace("&amp;", "&").replace("\\u0026", "&"))
        if not link.startswith(SKIP):
            found.add(link)
    return found


def with_exports(url):
    parts = urlsplit(url)
    sep = "&" if parts.query else "?"
    return [f"{url}{sep}export=csv", f"{url}{sep}export=xlsx"]


def crawl(client, start, extra, hops=2):
    seen, fetched = {}, []
    queue = deque((url, 0) for url in [start, *extra])
    while queue:
        url, depth = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        text = text_of(response)
        seen[url] = response.status_code
        fetched.append((url, response.status_code, text))
        assert response.status_code < 500, url
        if response.status_code != 200 or depth >= hops:
            continue
        links = links_in(url, text)
        if "export=" in text:
            links.update(with_exports(url))
        for link in links:
            if link not in seen:
                queue.append((link, depth + 1))
    return fetched


def test_a_district_officer_crawling_the_admin_never_sees_another_district(
    client, city_with_two_districts
):
    data = city_with_two_districts
    other_school, other_profile = data["other_school"], data["other_profile"]
    client.force_login(data["officer"])

    extra = [
        # Wagtail's own reports and their exports.
        "/admin/reports/site-history/",
        *with_exports("/admin/reports/site-history/"),
        "/admin/reports/workflow/",
        "/admin/reports/workflow_tasks/",
        "/admin/reports/aging-pages/",
        *with_exports("/admin/reports/aging-pages/"),
        # The logs, usage and detail pages of the other district's objects, asked for by URL.
        reverse("school:history", args=[other_school.pk]),
        reverse("school:usage", args=[other_school.pk]),
        reverse("school:inspect", args=[other_school.pk]),
        reverse("accounts:history", args=[other_profile.pk]),
        reverse("accounts:usage", args=[other_profile.pk]),
        reverse("district:history", args=[other_school.district_id]),
        # Search, everywhere it is offered.
        "/admin/pages/search/?q=沈河",
        "/admin/search/?q=沈河",
        reverse("school:index") + "?q=沈河",
        reverse("accounts:index") + "?q=shenhe",
        "/admin/reports/site-history/?label=沈河",
    ]
    fetched = crawl(client, "/admin/", extra)

    assert len(fetched) > 40, [url for url, *_ in fetched]
    leaks = [
        (url, secret)
        for url, status, text in fetched
        for secret in data["secrets"]
        if secret in text
    ]
    assert leaks == [], sorted({(url.split("?")[0], secret) for url, secret in leaks})
    # The crawl did see the officer's own district (the test can fail).
    seen_own = [url for url, status, text in fetched if data["own"][0] in text]
    assert any("site-history" in url for url in seen_own)
    assert any("export=xlsx" in url for url in seen_own)
    statuses = {url: status for url, status, _ in fetched}
    assert statuses[reverse("school:history", args=[other_school.pk])] in (302, 403, 404)


def test_city_staff_read_every_districts_entries_in_site_history_and_its_export(
    client, city_with_two_districts
):
    client.force_login(CityStaffFactory())
    for url in ("/admin/reports/site-history/", *with_exports("/admin/reports/site-history/")):
        text = text_of(client.get(url))
        assert "沈河远山中学" in text and "和平晨光小学" in text, url
        assert "只管沈河的丁" in text, url
