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

from ..listings import listing_page
from .mixins import VideoPageMixin


class LiveEventIndexPage(SharePageMixin, Page):
    intro = models.TextField("简介", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.LiveEventPage"]
    max_count = 1
    show_in_menus_default = True

    class Meta:
        verbose_name = "直播列表"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        events = (
            LiveEventPage.objects.child_of(self)
            .live()
            .defer_streamfields()
            .select_related("video")  # each card says whether its replay is ready
        )
        # The page is cached for a few minutes, so live.js moves an event from 即将开始 to
        # 正在直播 on the visitor's clock; the server's split is right when the page is built.
        context["live_now"] = events.filter(starts_at__lte=now, ends_at__gte=now).order_by(
            "starts_at"
        )
        context["upcoming"] = events.filter(starts_at__gt=now).order_by("starts_at")
        context["replays_page"] = listing_page(
            request, events.filter(ends_at__lt=now).order_by("-starts_at"), 12
        )
        return context


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

    STATUS_LABELS = {"upcoming": "即将开始", "live": "正在直播", "ended": "已结束"}

    @property
    def status(self):
        now = timezone.now()
        if now < self.starts_at:
            return "upcoming"
        if now <= self.ends_at:
            return "live"
        return "ended"

    @property
    def has_replay(self):
        """A replay plays here: its video is attached and ready (one still being processed
        is not a replay yet, so the page says 回放将于稍后发布 until it is)."""
        return bool(self.video_id) and self.video.is_ready

    @property
    def status_label(self):
        if self.status == "ended" and self.has_replay:
            return "可看回放"
        return self.STATUS_LABELS[self.status]
