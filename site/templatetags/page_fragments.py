"""`{% pagefragment "name" [vary…] %}…{% endpagefragment %}`: a part of a page's template kept
once rendered, for pages the page cache does not serve (signed-in visitors, a page just
published, a miss).

Only what is the same for every visitor of the page goes inside: nothing from `request.user`,
no CSRF token, no form. The copy is kept under the page cache's generation (see
sunshine.cache), so it is purged whenever the page cache is, publishing above all, and keyed on
the page, its live revision and publishing time, and the scheme, host and path of the request
(page URLs and share links are absolute where they must be), with any `vary` values. Outside a
live page (a preview, a revision shown in the admin, a view with no page) the part is rendered
every time.
"""

import hashlib

from django import template
from django.utils.safestring import mark_safe
from wagtail.models import Page

from sunshine.cache import cached_for_page_cache_generation

register = template.Library()


class PageFragmentNode(template.Node):
    def __init__(self, nodelist, name, vary_on):
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context):
        request = context.get("request")
        page = context.get("page")
        if (
            request is None
            or not isinstance(page, Page)
            or page.pk is None
            or not page.live
            or getattr(request, "is_preview", False)
        ):
            return self.nodelist.render(context)
        parts = [
            page.pk,
            page.live_revision_id,
            page.last_published_at.isoformat() if page.last_published_at else "",
            request.scheme,
            request.get_host(),
            request.path,
            *(var.resolve(context) for var in self.vary_on),
        ]
        digest = hashlib.md5("\x1f".join(map(str, parts)).encode(), usedforsecurity=False)
        key = f"{self.name.resolve(context)}:{digest.hexdigest()}"
        html = cached_for_page_cache_generation(
            request, key, lambda: str(self.nodelist.render(context))
        )
        return mark_safe(html)


@register.tag
def pagefragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a fragment name")
    nodelist = parser.parse(("endpagefragment",))
    parser.delete_first_token()
    return PageFragmentNode(
        nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]]
    )
