"""Whatever page a student lands on from a share link, it is in Chinese, shows the help
hotlines, has share metadata for WeChat, and can be used with a keyboard and a screen reader."""

import json
import re

import pytest
from wagtail.models import Site

from courses.factories import ImageFactory
from sunshine.models import SiteSettings

pytestmark = pytest.mark.django_db


def all_pages(site):
    return [
        site.home,
        site.courses,
        site.series,
        site.lessons[0],
        site.lectures,
        site.lecture,
        site.kits,
        site.kit,
        site.live,
        site.event,
        site.privacy,
    ]


def meta(html, attribute, name):
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', html)
    return match.group(1) if match else None


@pytest.fixture
def site_settings(site_pages):
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.icp_number = "辽ICP备12345678号-1"
    settings.police_filing_number = "辽公网安备 21010202000123号"
    settings.privacy_page = site_pages.privacy
    settings.hotlines = [
        ("hotline", {"name": "全国心理援助热线", "number": "12356", "hours": "24小时"}),
        ("hotline", {"name": "青少年服务台", "number": "12355", "hours": ""}),
        ("hotline", {"name": "市心理援助热线", "number": "024-2381 3000", "hours": ""}),
    ]
    settings.save()
    return settings


def test_every_page_type_renders_in_chinese_with_the_help_strip_and_footer(
    site_pages, site_settings, client
):
    for page in all_pages(site_pages):
        response = client.get(page.url)
        html = response.content.decode()
        assert response.status_code == 200, page
        assert '<html lang="zh-CN"' in html
        assert page.title in html
        strip = html[html.index('<aside class="help-strip"') :]
        strip = strip[: strip.index("</aside>")]
        assert '<a href="tel:12356">全国心理援助热线 12356</a>' in strip, page
        assert '<a href="tel:12355">' in strip
        assert '<a href="tel:02423813000">市心理援助热线 024-2381 3000</a>' in strip
        assert "position: sticky" not in html
        assert "辽ICP备12345678号-1" in html
        assert "beian.mps.gov.cn/#/query/webSearch?code=21010202000123" in html
        assert f'<a href="{site_pages.privacy.url}">隐私政策</a>' in html


def test_every_page_has_share_metadata(site_pages, site_settings, client):
    site_settings.share_image = ImageFactory()
    site_settings.save()
    for page in all_pages(site_pages):
        html = client.get(page.url).content.decode()
        title = page.seo_title or page.title
        assert meta(html, "property", "og:title") == title, page
        assert meta(html, "itemprop", "name") == title
        description = meta(html, "name", "description")
        assert description, page
        assert meta(html, "property", "og:description") == description
        assert meta(html, "itemprop", "description") == description
        image = meta(html, "property", "og:image")
        assert image.startswith("http://testserver/") and image == meta(html, "itemprop", "image")
        assert meta(html, "property", "og:url") == f"http://testserver{page.url}"


def test_a_page_share_image_and_summary_win_over_the_defaults(site_pages, client):
    series = site_pages.series
    series.cover_image = ImageFactory(title="封面")
    series.search_description = ""
    series.save()
    html = client.get(series.url).content.decode()
    assert meta(html, "name", "description") == series.summary
    # No site-wide share image is set here, so the picture can only be the series cover.
    assert "fill-600x600" in meta(html, "property", "og:image")


def test_pages_have_landmarks_a_skip_link_and_labelled_navigation(site_pages, client):
    html = client.get(site_pages.lessons[0].url).content.decode()
    assert html.index('class="skip-link" href="#main"') < html.index("<header")
    assert '<main id="main"' in html and "<footer" in html
    assert '<nav class="site-nav" aria-label="主导航">' in html
    assert '<nav class="breadcrumbs" aria-label="当前位置">' in html
    assert html.count("<h1") == 1


def test_an_unknown_address_gets_a_chinese_404(site_pages, client):
    response = client.get("/courses/no-such-series/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面未找到" in html and "tel:12356" in html


def test_the_home_page_leads_to_the_four_tracks(site_pages, client):
    html = client.get(site_pages.home.url).content.decode()
    for value, label in [
        ("life", "生命教育"),
        ("science", "科学教育"),
        ("self", "自我教育"),
        ("mental_health", "心理健康"),
    ]:
        assert f'href="/courses/?track={value}"><strong>{label}</strong>' in html
    assert site_pages.series.title in html
    assert site_pages.kit.title in html
    assert site_pages.event.title in html
    assert site_pages.lecture.title in html


def test_a_shared_lesson_shows_its_series_cover(site_pages, client):
    series = site_pages.series
    series.cover_image = ImageFactory(title="珍爱生命封面")
    series.save()
    html = client.get(site_pages.lessons[1].url).content.decode()
    cover = series.cover_image.get_rendition("fill-600x600").url
    assert meta(html, "property", "og:image") == f"http://testserver{cover}"


def test_body_images_are_scaled_for_phones_and_keep_their_alt_text(site_pages, client):
    lesson = site_pages.lessons[0]
    picture = ImageFactory(title="原图标题")
    lesson.body = json.dumps(
        [
            {
                "type": "image",
                "value": {"image": picture.pk, "alt_text": "深呼吸的三个步骤", "decorative": False},
            },
            {"type": "paragraph", "value": "<p>试着做一做。</p>"},
        ]
    )
    lesson.save_revision().publish()
    html = client.get(lesson.url).content.decode()
    img = re.search(r'<figure class="body-image"><img ([^>]*)>', html).group(1)
    assert 'alt="深呼吸的三个步骤"' in img
    assert ".max-960x960." in img or "max-960x960" in img
    assert "试着做一做。" in html


def test_a_form_post_without_its_token_gets_a_chinese_explanation(site_pages):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(site_pages.home.url, {"x": "1"})
    assert response.status_code == 403
    assert "请刷新页面后重试" in response.content.decode()


def test_a_share_image_whose_file_is_gone_leaves_the_page_up_without_it(
    site_pages, site_settings, client, caplog
):
    """A restored backup or a bucket cleaned by hand can lose an original: the page must still
    open (without a share picture), not fail for every visitor."""
    lost = ImageFactory(title="丢失的图片", file__filename="lost.jpg")
    lost.file.storage.delete(lost.file.name)
    site_settings.share_image = lost
    site_settings.save()
    series = site_pages.series
    series.cover_image = ImageFactory(title="还在的封面")
    series.save_revision().publish()

    response = client.get(site_pages.kit.url)
    assert response.status_code == 200
    assert meta(response.content.decode(), "property", "og:image") is None
    assert f"share image {lost.pk} cannot be read" in caplog.text
    # Pages with a picture of their own are untouched.
    html = client.get(series.url).content.decode()
    assert "fill-600x600" in meta(html, "property", "og:image")
