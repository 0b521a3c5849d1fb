from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from sunshine.blocks import BodyBlock
from sunshine.pages import DeclaredChildren, SharePageMixin


class HomePage(SharePageMixin, Page):
    intro = models.TextField("简介", blank=True)
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="头图",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("hero_image")]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]

    parent_page_types = ["wagtailcore.Page"]
    # What goes under the home page says so itself (courses' four listings, the information
    # pages), so the site names no app's models (dependencies point site <- courses).
    subpage_types = DeclaredChildren()
    max_count = 1

    class Meta:
        verbose_name = "首页"


class InfoPage(SharePageMixin, Page):
    """A plain page of text: the privacy notice, about us, help for parents."""

    summary = models.TextField("摘要", blank=True)
    body = StreamField(BodyBlock(), verbose_name="正文", blank=True)
    updated_note = RichTextField("更新说明", blank=True, features=["bold", "link"])

    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("updated_note"),
    ]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]

    parent_page_types = ["home.HomePage", "home.InfoPage"]
    subpage_types = ["home.InfoPage"]

    class Meta:
        verbose_name = "信息页面"
