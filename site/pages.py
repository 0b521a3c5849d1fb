"""What every public page has: share metadata (title, description, image) for WeChat and others.

`templates/includes/share_meta.html` renders it as `<meta name="description">`, Open Graph tags
and the schema.org `itemprop` tags that WeChat's share card reads.
"""

from django.db import models
from django.utils.html import strip_tags
from wagtail.admin.panels import FieldPanel
from wagtail.models import get_page_models


class DeclaredChildren:
    """`subpage_types` of a page type that takes, as children, the page types that name it in
    their own `parent_page_types`: the child declares where it goes, so the parent (here, in
    the site package) need not name the apps' models. Page types that do not say where they go
    (Wagtail's base Page) are not taken. Wagtail reads this once and keeps the answer."""

    def __get__(self, instance, owner):
        return [
            model
            for model in get_page_models()
            if getattr(model, "parent_page_types", None) is not None
            and owner in model.clean_parent_page_models()
        ]


SHARE_DESCRIPTION_LENGTH = 120


class SharePageMixin(models.Model):
    share_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="分享图片",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="在微信等应用中分享时显示；不填则用站点默认分享图片。",
    )

    promote_panels = [FieldPanel("share_image")]

    class Meta:
        abstract = True

    def permissions_for_user(self, user):
        # Publishing goes through the review workflow only (see sunshine.roles.publishing).
        from sunshine.roles.publishing import ReviewedPagePermissionTester

        return ReviewedPagePermissionTester(user, self)

    def get_view_restrictions(self):
        """Wagtail's view restrictions for this page and its ancestors (two queries), kept
        under the page cache's generation while the page is served: a restriction added,
        changed or removed purges it (sunshine.cache.ROUTING_MODELS). Which groups a
        restriction admits is still read when a request is checked against it."""
        request = getattr(self, "_served_request", None)
        if request is None or getattr(request, "is_preview", False):
            return super().get_view_restrictions()
        from sunshine.cache import cached_for_page_cache_generation

        return cached_for_page_cache_generation(
            request,
            f"view-restrictions:{self.pk}",
            lambda: list(super(SharePageMixin, self).get_view_restrictions()),
        )

    def get_share_title(self):
        return self.seo_title or self.title

    def get_share_description(self):
        """The page's search description, else its summary or intro, cut to a share card."""
        for text in (
            self.search_description,
            getattr(self, "summary", ""),
            getattr(self, "intro", ""),
        ):
            if text:
                text = " ".join(strip_tags(text).split())
                if len(text) > SHARE_DESCRIPTION_LENGTH:
                    text = text[: SHARE_DESCRIPTION_LENGTH - 1] + "…"
                return text
        return ""

    def get_share_image(self):
        return self.share_image
