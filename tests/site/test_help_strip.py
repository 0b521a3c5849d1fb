"""The help strip: one slim line on every page, only real numbers (never a placeholder a child
in trouble would tap), the full list one tap away."""

import pytest
from wagtail.blocks import StructBlockValidationError
from wagtail.models import Site

from sunshine.hotlines import placeholder_reason, shown
from sunshine.models import HotlineBlock, SiteSettings

pytestmark = pytest.mark.django_db

PLACEHOLDER = {
    "name": "本市心理援助热线（示例号码）",
    "number": "024-0000-0000",
    "hours": "上线前请替换",
}
CITY = {"name": "市心理援助热线", "number": "024-2381 3000", "hours": ""}


def strip_of(html):
    strip = html[html.index('<aside class="help-strip"') :]
    return strip[: strip.index("</aside>")]


@pytest.mark.parametrize(
    "line",
    [
        PLACEHOLDER,
        {"name": "本市热线", "number": "024-0000-0000", "hours": ""},  # zeros after the area code
        {"name": "本市热线", "number": "8888 8888", "hours": ""},
        {"name": "本市热线（示例）", "number": "024-2381 3000", "hours": ""},
        {"name": "本市热线", "number": "024-2381 3000", "hours": "上线前请替换"},
        {"name": "本市热线", "number": "无", "hours": ""},
    ],
)
def test_placeholders_are_refused_and_never_shown(line):
    assert placeholder_reason(line)
    assert shown([line]) == []
    with pytest.raises(StructBlockValidationError):
        HotlineBlock().clean(HotlineBlock().to_python(line))


@pytest.mark.parametrize(
    "number", ["12356", "12355", "024-2381 3000", "400-161-9995", "+86 24 2381 3000", "110"]
)
def test_real_numbers_are_kept(number):
    line = {"name": "热线", "number": number, "hours": "24小时"}
    assert placeholder_reason(line) == "" and shown([line]) == [line]


def test_a_placeholder_saved_before_the_rule_never_reaches_a_page(client, site_pages):
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.hotlines = [
        ("hotline", {"name": "全国心理援助热线", "number": "12356", "hours": "24小时"}),
        ("hotline", PLACEHOLDER),
        ("hotline", CITY),
    ]
    settings.save()
    html = client.get(site_pages.lessons[0].url).content.decode()
    assert "0000" not in html and "示例号码" not in html and "上线前请替换" not in html
    strip = strip_of(html)
    assert '<a href="tel:02423813000">市心理援助热线 024-2381 3000</a>' in strip


def test_the_first_screen_shows_two_numbers_and_the_mailbox_the_rest_behind_more(
    client, site_pages
):
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.hotlines = [
        ("hotline", {"name": "全国心理援助热线", "number": "12356", "hours": "24小时"}),
        ("hotline", {"name": "青少年服务台", "number": "12355", "hours": ""}),
        ("hotline", CITY),
    ]
    settings.save()
    strip = strip_of(client.get("/").content.decode())
    bar = strip[: strip.index("<details")]
    assert bar.count('href="tel:') == 2
    assert 'href="tel:12356"' in bar and 'href="tel:12355"' in bar
    assert 'aria-label="拨打全国心理援助热线 12356">12356</a>' in bar  # whose number it is
    assert 'href="/mailbox/"' in bar
    more = strip[strip.index("<details") :]
    assert "<summary>全部求助方式</summary>" in more
    assert more.count('href="tel:') == 3 and 'href="/mailbox/"' in more


def test_with_no_real_line_configured_the_national_lines_are_shown(client, site_pages):
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.hotlines = [("hotline", PLACEHOLDER)]
    settings.save()
    strip = strip_of(client.get("/").content.decode())
    assert 'href="tel:12356"' in strip and 'href="tel:12355"' in strip
    assert "0000" not in strip
