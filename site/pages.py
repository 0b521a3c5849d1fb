"""What every public page has: share metadata (title, description, image) for WeChat and others."""

from django.db import models
from wagtail.admin.panels import FieldPanel


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

    def get_share_description(self):
        """The page's search description, else its summary or intro, cut to a share card."""
        for text in (
            self.search_description,
            getattr(self, "summary", ""),
            getattr(self, "intro", ""),
        ):
            if text:
                return text.strip()[:120]
        return ""

    def get_share_image(self):
        return self.share_image
