"""Every string a person sees in the admin is Chinese (issue 11, point 6).

Each staff role (editor, reviewer, district officer, city staff) walks every admin page it can
reach: the links two hops from the dashboard, plus the listing, add and edit pages of every
model the admin manages and the add and edit pages of every page type. No page may show the
English strings people reported, nor any of Wagtail's strings that its zh-hans translation
lacks (found by this same crawl), nor any other English beyond the few words that stay Latin.
What Wagtail lacks is filled in by the project's locale files (locale/, LOCALE_PATHS).
"""

import contextlib
import json
import re
from collections import deque
from urllib.parse import urljoin

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from wagtail.admin.viewsets import viewsets
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import Page, get_page_models

from analytics.reports.factories import ensure_report_permissions
from courses.factories import sample_site
from courses.workflow import ensure_review_workflow
from sunshine.directory.factories import DistrictFactory, SchoolFactory
from sunshine.roles.factories import (
    CityStaffFactory,
    DistrictStaffFactory,
    EditorFactory,
    ReviewerFactory,
)
from tests.site.admin_text import english_phrases, shown_text

# Translations do not depend on the database: the crawl runs once, in the SQLite run.
pytestmark = [pytest.mark.django_db, pytest.mark.once]

# What people reported (issue 11).
REPORTED = [
    "Search all pages",
    "Password",
    "登录Wagtail",
    "Pages",
    "New:",
    "of 4",
    "new items in this menu",
    "Page types usage",
]
# Wagtail's strings that its zh-hans translation lacks, as this crawl found them (in English, as
# they showed); site/locale/zh_Hans/LC_MESSAGES/django.po translates each one.
KNOWN_UNTRANSLATED = [
    "Page type",
    "Date updated",
    "Edited by",
    "Has child pages",
    "Exploring",
    "Locked by",
    "Locking:",
    "Anyone can edit this",
    "Choose who can view the live version",
    "Choose when this page should go live",
    "Anyone with editing permissions can create schedules",
    "Disable custom ordering",
    "in ascending order",
    "in descending order",
    "Focus on the drag button",
    "There is no site record for this location",
    "will not be accessible at any URL",
    "By task",
    "By workflow",
    "Is commenting action",
    "Go to the first error",
    "Save your changes before leaving",
    "Actions (footer)",
    "Maximum filesize",
    "Grid layout",
    "List layout",
    "Usage count",
    "Please provide an image description",
    "seems to be a duplicate of this existing image",
    "Autosave is",
    "A network error occurred",
    "View latest version",
    "Correct the validation errors",
    "Add a concise description for search engines",
    "Toggle checks",
    "Show issue",
    "Content metrics",
    "Reading time",
    "Readability",
    "This data explained",
    "How we calculate our metrics",
    "Avoid skipping levels",
    "Use proper heading tags",
    "Use meaningful text",
    "Show keyboard shortcuts",
    "Toggle minimap",
    "Close modal dialogs",
    "Save changes",
    "Add or show comments",
    "Paste without formatting",
    "Text editing",
    "Text formatting",
    "Insert or edit a link",
    "Monospace (code)",
    "Strike-through",
    "Keyboard shortcuts are currently",
    "Edit account avatar",
    "editor guide",
    "JavaScript is required",
    "Theme preferences",
    "More contrast",
    "Snug",
    "Enable custom keyboard shortcuts",
    "access attempts",
    "Referenced 0 times",
    "is referenced",
    "To be created by",
    "to display. Why not",
    "Documents",
    "Images",
]
# Latin words that stay as they are for a Chinese reader: names, file formats, keys, units.
LATIN_ALLOWED = {
    *("Wagtail", "JavaScript", "Ctrl", "Alt", "Shift", "Esc", "URL", "MB", "UTF", "GBK"),
    *("PDF", "PNG", "CSV", "XLSX", "xlsx", "Excel", "AVIF", "GIF", "JPG", "JPEG", "WEBP"),
    *("MP", "MOV", "MKV", "WebM", "AVI"),
}
# Data, not the admin's text: the tree's root page and the page and site that Wagtail's own
# migrations create (its default workflow is renamed in Chinese: courses migration 0004); e-mail
# addresses, web addresses, file names, account names with numbers, and "app.model" content type
# names (the page types usage report).
DATA = re.compile(
    r"https?://\S+|\S+@\S+|\S+\.(?:pdf|docx|pptx|xlsx|csv)\b|\S*\d\S*|\b[a-z_]+\.[a-z_]+\b"
    r"|\bRoot\b|Welcome to your new Wagtail site!|\blocalhost\b"
)
# Wagtail writes the value of the screen-reader-only submit button of its search forms in
# English, untranslatable (wagtailadmin/home.html, shared/header.html); left as it is.
HARD_CODED = {"Search"}

LINK = re.compile(r'(?:href="|"url":\s*")(/admin/[^"#\s]*)')
SKIP = ("/admin/logout/",)
# Downloads and machine answers, not pages a person reads.
NOT_PAGES = ("export=", "/jsi18n/", "/api/", "/download/", "/preview/")


@pytest.fixture
def admin_site():
    site = sample_site(lessons=2)
    ensure_review_workflow(site.home)
    ensure_report_permissions()
    district = DistrictFactory(code="210102", name="和平区")
    SchoolFactory(code="H100", name="和平晨光小学", district=district)
    return {
        "editor": EditorFactory(),
        "reviewer": ReviewerFactory(),
        "district officer": DistrictStaffFactory(district=district),
        "city staff": CityStaffFactory(),
    }


def model_urls():
    """Listing, add and edit pages of every model and page type the admin manages."""
    urls = []
    for viewset in viewsets.viewsets:
        if not isinstance(viewset, ModelViewSet):
            continue
        for name in ("index", "add"):
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(viewset.get_url_name(name)))
        first = viewset.model._default_manager.first()
        if first is not None:
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(viewset.get_url_name("edit"), args=[first.pk]))
    for model in get_page_models():
        page = model.objects.first()
        if page is not None and model is not Page:
            urls.append(reverse("wagtailadmin_pages:edit", args=[page.pk]))
            parent = page.get_parent()
            if parent is not None and parent.depth > 1:
                urls.append(
                    reverse(
                        "wagtailadmin_pages:add",
                        args=[model._meta.app_label, model._meta.model_name, parent.pk],
                    )
                )
    return urls


def crawl(client, start, extra, hops=2):
    """(url, shown text) of every page reached."""
    seen, pages = set(), []
    queue = deque([(start, 0), *((url, 1) for url in extra)])
    while queue:
        url, depth = queue.popleft()
        if url in seen or url.startswith(SKIP) or any(part in url for part in NOT_PAGES):
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages.append((url, shown_text(html)))
        if depth >= hops:
            continue
        for match in LINK.findall(html):
            link = urljoin(url, match.replace("&amp;", "&").replace("\\u0026", "&"))
            if link not in seen:
                queue.append((link, depth + 1))
    return pages


def english_on(pages, data_words):
    """{phrase: (url, the piece of text it is in)} for English not allowed."""
    found = {}
    for url, pieces in pages:
        for piece in pieces:
            if piece in HARD_CODED:
                continue
            for phrase in english_phrases([DATA.sub(" ", piece)]):
                words = set(re.split(r"[ \-]", phrase))
                if words <= LATIN_ALLOWED | data_words:
                    continue
                found.setdefault(phrase, (url, piece))
    return found


def reported_on(pages):
    return {
        (url, needle)
        for url, pieces in pages
        for needle in REPORTED + KNOWN_UNTRANSLATED
        if any(needle in piece for piece in pieces)
    }


@pytest.mark.parametrize("role", ["editor", "reviewer", "district officer", "city staff"])
def test_every_admin_page_a_role_reaches_is_in_chinese(client, admin_site, role):
    user = admin_site[role]
    client.force_login(user)
    with translation.override("zh-hans"):
        pages = crawl(client, "/admin/", model_urls())
    assert len(pages) > 10, [url for url, _ in pages]
    # Words that are data, not the admin's own text: the account's own name and the like.
    data_words = {user.username, user.email}
    english = english_on(pages, data_words)
    assert english == {}, "\n".join(
        f"{phrase!r} in {piece!r} ({url})" for phrase, (url, piece) in sorted(english.items())
    )
    assert reported_on(pages) == set()


@pytest.mark.parametrize("url", ["/admin/login/", "/admin/password_reset/"])
def test_the_admin_login_pages_are_in_chinese(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    pages = [(url, shown_text(html))]
    assert "登录Wagtail" not in html
    assert english_on(pages, set()) == {}
    assert reported_on(pages) == set()
    assert "密码" in html


def test_the_sidebars_own_strings_are_in_the_javascript_catalog(client, admin_site):
    # "(2 new items in this menu)" is written by the sidebar's script, from Wagtail's catalog,
    # into which Django merges the project's djangojs.po (LOCALE_PATHS).
    client.force_login(admin_site["editor"])
    catalog = client.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    entries = json.loads(re.search(r"const newcatalog = (\{.*?\});", catalog, re.S).group(1))
    translations = json.dumps(entries, ensure_ascii=False)
    assert "此菜单中有 %(number)s 个新项目" in translations
    assert "搜索" in translations


def test_the_translations_are_compiled_from_the_committed_po_files():
    from django.conf import settings

    po_files = list(settings.LOCALE_PATHS[0].glob("*/LC_MESSAGES/*.po"))
    assert {path.name for path in po_files} == {"django.po", "djangojs.po"}
    for po in po_files:
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, (
            f"{mo} is missing or older than {po.name}: run `make install` (compilemessages)"
        )
