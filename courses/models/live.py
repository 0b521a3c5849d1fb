from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from sunshine.blocks import BodyBlock
from sunshine.pages import SharePageMixin

from .mixins import VideoPageMixin


class LiveEventIndexPage(SharePageMixin, Page):
    intro = models.TextField("简介", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.LiveEventPage"]
    max_count = 1

    class Meta:
        verbose_name = "直播列表"


class LiveEventPage(VideoPageMixin, SharePageMixin, Page):
    """A live session (e.g. the 阳光成长 series) on an external meeting platform; its replay
    plays here afterwards."""

    series_name = models.CharField("直播系列", max_length=50, default="阳光成长")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    meeting_url = models.URLField("直播链接", blank=True, help_text="会议平台的观看地址")
    experts = ParentalManyToManyField("courses.Expert", verbose_name="主讲", blank=True)
    audience = ParentalManyToManyField(
        "courses.GradeBand", verbose_name="适用对象", related_name="live_events", blank=True
    )
    summary = models.TextField("简介")
    body = StreamField(BodyBlock(), verbose_name="正文", blank=True)

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("series_name"),
        index.FilterField("starts_at"),
    ]
    content_panels = [
        *Page.content_panels,
        FieldPanel("series_name"),
        MultiFieldPanel(
            [FieldPanel("starts_at"), FieldPanel("ends_at"), FieldPanel("meeting_url")],
            heading="直播安排",
        ),
        FieldPanel("experts"),
        FieldPanel("audience"),
        FieldPanel("summary"),
        FieldPanel("video", heading="回放视频"),
        FieldPanel("body"),
    ]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["courses.LiveEventIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "直播"

    def clean(self):
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "结束时间必须晚于开始时间"})

    @property
    def status(self):
        now = timezone.now()
        if now < self.starts_at:
            return "upcoming"
        if now <= self.ends_at:
            return "live"
        return "ended"
