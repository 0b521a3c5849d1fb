"""Tags every public template uses: share metadata, the main navigation, breadcrumbs, and small
filters for phone numbers, durations and filing numbers."""

import logging
import re
from datetime import timedelta

from django import template
from django.conf import settings
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from wagtail.models import Page, Site

from sunshine.hotlines import shown
from sunshine.models import DEFAULT_HOTLINES, SiteSettings

register = template.Library()
logger = logging.getLogger(__name__)

SITE_NAME = getattr(settings, "WAGTAIL_SITE_NAME", "阳光课堂")
DEFAULT_DESCRIPTION = (
    "阳光课堂：生命教育、科学教育、自我教育和心理健康课程，专家讲座与主题班会资源。"
)
SHARE_IMAGE_SPEC = "fill-600x600"  # WeChat crops share pictures to a square


def _page_from(context):
    page = context.get("page") or context.get("self")
    return page if isinstance(page, Page) else None


@register.simple_tag(takes_context=True)
def help_hotlines(context):
    """The hotlines for the help strip: the site's real ones (never a placeholder number:
    sunshine.hotlines), or the national ones if none are left, so a number to call is never
    missing."""
    site_settings = SiteSettings.for_request_or_default(context.get("request"))
    hotlines = shown([block.value for block in site_settings.hotlines])
    return hotlines or [value for _, value in DEFAULT_HOTLINES]


def _share_image_url(image, request):
    try:
        url = image.get_rendition(SHARE_IMAGE_SPEC).url
    except OSError:
        # The original is missing or unreadable (SourceImageIOError, a truncated upload): the
        # page is still worth showing, just without a picture on its share card.
        logger.warning("share image %s cannot be read; page shared without it", image.pk)
        return ""
    return request.build_absolute_uri(url) if request is not None else url


@register.inclusion_tag("includes/share_meta.html", takes_context=True)
def share_meta(context):
    """Description, Open Graph and schema.org `itemprop` tags (WeChat reads the latter)."""
    request = context.get("request")
    page = _page_from(context)
    title = context.get("share_title") or SITE_NAME
    description = context.get("share_description") or ""
    image = None
    if page is not None and hasattr(page, "get_share_title"):
        title = page.get_share_title()
        description = description or page.get_share_description()
        image = page.get_share_image()
    elif page is not None:
        title = page.seo_title or page.title
    if image is None:
        image = SiteSettings.for_request_or_default(request).share_image
    return {
        "title": title,
        "description": description or DEFAULT_DESCRIPTION,
        "image_url": _share_image_url(image, request) if image is not None else "",
        "url": request.build_absolute_uri(request.path) if request is not None else "",
        "site_name": SITE_NAME,
    }


@register.inclusion_tag("includes/site_nav.html", takes_context=True)
def site_nav(context):
    """The site root's published children that editors put in the menu ("显示在菜单中")."""
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    items = []
    if site is not None:
        current = _page_from(context)
        menu = site.root_page.get_children().live().in_menu()
        for item in menu.only("title", "path", "url_path"):
            items.append(
                {
                    "title": item.title,
                    "url": item.get_url(request),
                    "current": current is not None and current.path.startswith(item.path),
                }
            )
    return {"items": items, "request": request}


# How long a signed-in person's admin access is remembered for the userbar (see site_userbar).
USERBAR_SECONDS = 60


@register.simple_tag(takes_context=True)
def site_userbar(context):
    """Wagtail's userbar (edit this page, review it) for people who may use the admin.

    Wagtail asks the user's permissions on every page: two queries, a sixth of a signed-in
    teacher's page, who never sees a userbar. So the answer is kept for a minute per account.
    The userbar is only a set of links: the admin checks the permissions again itself, so a
    minute-old answer can show or hide links, never open anything."""
    from django.core.cache import cache
    from wagtail.admin.templatetags.wagtailuserbar import wagtailuserbar

    from sunshine.roles.groups import ACCESS_ADMIN

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    key = f"sunshine:userbar:{user.pk}"
    try:
        allowed = cache.get(key)
    except Exception:  # noqa: BLE001 — the cache is down: ask the database, as Wagtail does
        allowed = None
    if allowed is None:
        allowed = user.has_perm(ACCESS_ADMIN)
        try:
            cache.set(key, allowed, USERBAR_SECONDS)
        except Exception:  # noqa: BLE001
            logger.warning("缓存不可用：管理工具栏权限未缓存", exc_info=True)
    return wagtailuserbar(context) if allowed else ""


@register.inclusion_tag("includes/account_menu.html", takes_context=True)
def account_menu(context):
    """Name and school of the signed-in person for the header, or a login link."""
    from django.urls import reverse

    from sunshine.roles.scope import profile_of

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"signed_in": False}
    # From the profile the initial-password check has already read (with its school and
    # district): the header costs no query of its own.
    profile = profile_of(user)
    school = profile.school if profile is not None and profile.school_id else None
    district = profile.effective_district if profile is not None else None
    place = school.name if school else (district.name if district else "")
    return {
        "signed_in": True,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "name": user.get_full_name() or user.get_username(),
        "place": place,
        "current": request.path == reverse("my_account"),
    }


@register.inclusion_tag("includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, page, section=None, section_param=""):
    """Links from the home page down to the page's parent, from one query.

    `section` names a filtered view of the top-level listing the page sits in (a lesson's track:
    首页 › 课程 › 生命教育 › 系列); `section_param` is its query string.
    """
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    crumbs = []
    if site is not None:
        ancestors = (
            page.get_ancestors()
            .filter(depth__gte=site.root_page.depth)
            .only("title", "path", "url_path")
        )
        crumbs = [{"title": p.title, "url": p.get_url(request)} for p in ancestors]
        if crumbs:
            crumbs[0]["title"] = "首页"
        if section and len(crumbs) >= 2:
            crumbs.insert(2, {"title": section, "url": f"{crumbs[1]['url']}?{section_param}"})
    return {"crumbs": crumbs, "current": page.title}


@register.filter
def tel_uri(number):
    """A `tel:` link for a number as people write it ("024-2381 3000", "12356")."""
    return "tel:" + re.sub(r"[^\d+]", "", str(number))


PHONE_NUMBER = re.compile(r"(?<![\d-])(\+?\d[\d -]{3,}\d)(?![\d-])")


@register.filter
def tel_links(text):
    """Text with its phone numbers made into `tel:` links ("心理援助热线 12356")."""
    parts = PHONE_NUMBER.split(str(text))
    html = [
        format_html('<a href="{}">{}</a>', tel_uri(part), part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    ]
    return mark_safe("".join(html))


@register.filter
def digits(value):
    return re.sub(r"\D", "", str(value or ""))


@register.filter
def duration_zh(value):
    """12分30秒 / 1小时05分: how long a lesson runs, in words people say."""
    if not isinstance(value, timedelta):
        return ""
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes:02d}分"
    if minutes:
        return f"{minutes}分{seconds:02d}秒" if seconds else f"{minutes}分钟"
    return f"{seconds}秒"


@register.filter
def iso_duration(value):
    """ISO 8601 duration (PT12M30S) for a `<time datetime>` attribute."""
    if not isinstance(value, timedelta):
        return ""
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{seconds}S"
