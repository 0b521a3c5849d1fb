from django.db import models
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from sunshine.blocks import BodyBlock
from sunshine.pages import SharePageMixin

from .mixins import VideoPageMixin
from .taxonomy import Track


class CourseIndexPage(SharePageMixin, Page):
    """All holiday course series, filterable by track and grade band."""

    intro = models.TextField("简介", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.CourseSeriesPage"]
    max_count = 1

    class Meta:
        verbose_name = "课程列表"


class CourseSeriesPage(SharePageMixin, Page):
    """A course series (系列课) in one track, for some grade bands, often for one campaign."""

    track = models.CharField("课程板块", max_length=20, choices=Track.choices)
    grade_bands = ParentalManyToManyField("courses.GradeBand", verbose_name="适用学段")
    campaign = models.ForeignKey(
        "courses.Campaign",
        verbose_name="所属活动",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="series",
    )
    summary = models.TextField("简介")
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="封面",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(BodyBlock(), verbose_name="介绍", blank=True)

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("track"),
    ]
    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("track"), FieldPanel("grade_bands"), FieldPanel("campaign")],
            heading="分类",
        ),
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("body"),
    ]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.LessonPage"]

    class Meta:
        verbose_name = "系列课程"

    def get_share_image(self):
        return self.share_image or self.cover_image


class LessonPage(VideoPageMixin, SharePageMixin, Page):
    """One lesson of a series. Its position among its siblings is the lesson order."""

    duration = models.DurationField("时长", null=True, blank=True, help_text="格式：时:分:秒")
    summary = models.TextField("内容提要")
    body = StreamField(BodyBlock(), verbose_name="正文", blank=True)
    transcript = models.TextField("文字稿", blank=True)
    discussion_questions = StreamField(
        [("question", blocks.TextBlock(label="问题"))],
        verbose_name="讨论问题",
        blank=True,
    )

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("transcript"),
    ]
    content_panels = [
        *Page.content_panels,
        FieldPanel("video"),
        FieldPanel("duration"),
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("discussion_questions"),
        InlinePanel("worksheets", label="学习单", heading="学习单"),
        FieldPanel("transcript"),
    ]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["courses.CourseSeriesPage"]
    subpage_types = []

    class Meta:
        verbose_name = "课程"

    @property
    def series(self):
        return self.get_parent().specific


class LessonWorksheet(Orderable):
    page = ParentalKey(LessonPage, on_delete=models.CASCADE, related_name="worksheets")
    document = models.ForeignKey(
        "wagtaildocs.Document", verbose_name="文档", on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField("显示名称", max_length=100, blank=True)

    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = "学习单"
        verbose_name_plural = "学习单"

    @property
    def display_title(self):
        return self.title or self.document.title
