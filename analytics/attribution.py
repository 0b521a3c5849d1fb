"""Where a viewer comes from, without an account: share links, QR posters and a one-time picker.

A share link (`/r/s/<school code>/`, `/r/d/<district code>/`) answers with a tiny page that
writes `{"district", "school", "via"}` to localStorage (`sunshine:attribution`) on the viewer's
own device and continues to the target. The page is the same for everybody who opens the same
link, so the page cache may keep it: nothing about the visitor is stored on the server. The
beacon sends the stored codes with each play; a signed-in teacher's own school wins; otherwise
the play counts as 未知. Never IP geolocation.

Share links and the picker's data are answered from the directory snapshot
(sunshine.directory.snapshot), not from a query of their own: they keep working from the copy
kept on the app server while the database is down.
"""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from sunshine.directory import snapshot as directory
from sunshine.directory.models import School

STORAGE_KEY = "sunshine:attribution"
VIA_LINK = "link"
VIA_QR = "qr"
VIA_PICKER = "picker"


def safe_target(to):
    """`to` if it is a path on this site, else "/". Never another host, scheme or a share link."""
    if not isinstance(to, str) or len(to) > 500 or not to.startswith("/"):
        return "/"
    # allowed_hosts=None: only a URL without a host and scheme is safe; Django knows the browser
    # quirks ("//host", "/\\host", a leading control character). A control character anywhere
    # else has no business in a link we print on a page either.
    if not url_has_allowed_host_and_scheme(to, allowed_hosts=None) or any(
        ord(char) < 32 or ord(char) == 127 for char in to
    ):
        return "/"
    # A link to a share link would write the attribution twice; go to the site instead.
    if urlsplit(to).path.startswith("/r/"):
        return "/"
    return to


def attribution_for_school(school, via=VIA_LINK):
    """`school` is a School or a directory snapshot's SchoolPlace."""
    district = getattr(school, "district_code", None) or school.district.code
    return {"district": district, "school": school.code, "via": via}


def attribution_for_district(district, via=VIA_LINK):
    return {"district": district.code, "school": None, "via": via}


def _via(request):
    return VIA_QR if request.GET.get("via") == VIA_QR else VIA_LINK


def _landing(request, attribution):
    response = render(
        request,
        "analytics/share_landing.html",
        {
            "attribution": attribution,
            "target": safe_target(request.GET.get("to", "/")),
            "storage_key": STORAGE_KEY,
        },
    )
    # Same answer for everyone who opens this URL: shared caches may keep it.
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_GET
def school_link(request, code):
    school = directory.current().school(code)
    # An old poster of a school that is gone still takes the child to the courses.
    return _landing(request, attribution_for_school(school, _via(request)) if school else None)


@require_GET
def district_link(request, code):
    district = directory.current().district(code)
    return _landing(
        request, attribution_for_district(district, _via(request)) if district else None
    )


@require_GET
def places(request):
    """Districts, or one district's schools, for the one-time picker. Public and cacheable."""
    code = request.GET.get("district")
    places = directory.current()
    if code:
        data = {"schools": [{"code": s.code, "name": s.name} for s in places.schools_of(code)]}
    else:
        data = {"districts": [{"code": d.code, "name": d.name} for d in places.districts]}
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=3600)
    return response


def public_base_url():
    """The site's public address for links printed on posters (not the admin's host)."""
    base = getattr(settings, "ANALYTICS_SHARE_BASE_URL", None)
    if not base:
        from wagtail.models import Site

        site = Site.objects.filter(is_default_site=True).first()
        base = site.root_url if site and site.hostname not in ("localhost", "") else None
    return (base or settings.WAGTAILADMIN_BASE_URL).rstrip("/")


def share_url(obj, via=None, to=None):
    """The absolute share link of a School or District (what posters encode)."""
    if isinstance(obj, School):
        path = reverse("analytics_share_school", args=[obj.code])
    else:
        path = reverse("analytics_share_district", args=[obj.code])
    query = {key: value for key, value in (("via", via), ("to", to)) if value}
    return public_base_url() + path + ("?" + urlencode(query) if query else "")
