from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from sunshine.blocks import BodyBlock
from sunshine.pages import SharePageMixin

from ..listings import listing_page
from .mixins import VideoPageMixin


class LectureIndexPage(SharePageMixin, Page):
    intro = models.TextField("简介", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.LecturePage"]
    max_count = 1
    show_in_menus_default = True

    class Meta:
        verbose_name = "专家讲座列表"

    def get_context(self, request, *args, **kwargs):
        from courses.filters import LectureFilter

        context = super().get_context(request, *args, **kwargs)
        lectures = (
            LecturePage.objects.child_of(self)
            .live()
            .defer_streamfields()
            .defer("transcript")
            .prefetch_related("experts")
            .order_by("-recorded_on", "-pk")
        )
        lecture_filter = LectureFilter(request.GET or None, queryset=lectures)
        context["filter"] = lecture_filter
        context["lectures_page"] = listing_page(request, lecture_filter, 12)
        return context


class LecturePage(VideoPageMixin, SharePageMixin, Page):
    """A recorded expert lecture (专家讲座)."""

    experts = ParentalManyToManyField("courses.Expert", verbose_name="主讲专家")
    recorded_on = models.DateField("录制日期")
    audience = ParentalManyToManyField(
        "courses.GradeBand", verbose_name="适用对象", related_name="lectures"
    )
    summary = models.TextField("内容提要")
    slides = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name="讲座课件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(BodyBlock(), verbose_name="正文", blank=True)
    transcript = models.TextField("文字稿", blank=True)

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("transcript"),
        index.RelatedFields("experts", [index.SearchField("name")]),
    ]
    content_panels = [
        *Page.content_panels,
        FieldPanel("experts"),
        FieldPanel("recorded_on"),
        FieldPanel("audience"),
        FieldPanel("video"),
        FieldPanel("summary"),
        FieldPanel("slides"),
        FieldPanel("body"),
        FieldPanel("transcript"),
    ]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["courses.LectureIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "专家讲座"

    def clean(self):
        super().clean()
        if self.recorded_on and self.recorded_on > timezone.localdate():
            raise ValidationError({"recorded_on": "录制日期不能晚于今天"})

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["experts"] = self.experts.select_related("photo")
        return context
