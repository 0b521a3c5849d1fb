from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import SimpleLazyObject, cached_property
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from sunshine.blocks import BodyBlock
from sunshine.pages import SharePageMixin

from ..durations import video_length
from ..listings import listing_page
from .mixins import VideoPageMixin
from .taxonomy import TRACK_BLURBS, Track

SERIES_PER_PAGE = 12


def live_lesson_count():
    """A subquery counting a series' published lessons (its live children in the page tree)."""
    lessons = (
        LessonPage.objects.live()
        .filter(path__startswith=OuterRef("path"), depth=OuterRef("depth") + 1)
        .order_by()
        .values("depth")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(lessons, output_field=models.IntegerField()), 0)


class CourseIndexPage(SharePageMixin, Page):
    """All holiday course series, filterable by track and grade band."""

    intro = models.TextField("简介", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.CourseSeriesPage"]
    max_count = 1
    show_in_menus_default = True

    class Meta:
        verbose_name = "课程列表"

    def series_queryset(self):
        return (
            CourseSeriesPage.objects.child_of(self)
            .live()
            .defer_streamfields()
            .select_related("campaign", "cover_image")
            .prefetch_related("grade_bands", "cover_image__renditions")
            .annotate(lesson_count=live_lesson_count())
        )

    def get_context(self, request, *args, **kwargs):
        from courses.filters import SeriesFilter

        context = super().get_context(request, *args, **kwargs)
        series_filter = SeriesFilter(request.GET or None, queryset=self.series_queryset())
        context["filter"] = series_filter
        context["series_page"] = listing_page(request, series_filter, SERIES_PER_PAGE)
        track = series_filter.selected("track")
        if track:
            context["track_label"] = Track(track).label
            context["track_blurb"] = TRACK_BLURBS[track]
        return context


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

    def lessons(self):
        """Published lessons in tree order, without the long fields a listing never shows."""
        return (
            LessonPage.objects.child_of(self)
            .live()
            .defer_streamfields()
            .defer("transcript")
            .select_related("video")  # each lesson's 时长 is its video's (shown_duration)
            .order_by("path")
        )

    @cached_property
    def published_lessons(self):
        return list(self.lessons())

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Read only when the template renders them: not when its cached fragment is used.
        context["lessons"] = SimpleLazyObject(lambda: self.published_lessons)
        context["total_duration"] = SimpleLazyObject(
            lambda: sum(
                (
                    lesson.shown_duration
                    for lesson in self.published_lessons
                    if lesson.shown_duration
                ),
                timedelta(),
            )
        )
        return context


class LessonPageQuerySet(PageQuerySet):
    def attach_series(self):
        """Evaluate, and give every lesson its series from one extra query (no N+1)."""
        lessons = list(self)
        LessonPage.attach_series(lessons)
        return lessons


class LessonPage(VideoPageMixin, SharePageMixin, Page):
    """One lesson of a series. Its position among its siblings is the lesson order."""

    # Filled in from the video when it has one (courses.durations).
    duration = models.DurationField("时长", null=True, blank=True, help_text="格式：时:分:秒")
    summary = models.TextField("内容提要")
    body = StreamField(BodyBlock(), verbose_name="正文", blank=True)
    transcript = models.TextField("文字稿", blank=True)
    discussion_questions = StreamField(
        [("question", blocks.TextBlock(label="问题"))],
        verbose_name="讨论问题",
        blank=True,
    )

    objects = PageManager.from_queryset(LessonPageQuerySet)()

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

    def clean(self):
        super().clean()
        if self.duration is not None and self.duration <= timedelta(0):
            raise ValidationError({"duration": "时长必须大于 0"})

    def save(self, *args, **kwargs):
        # A ready video's probed length wins over the typed figure (courses.durations).
        length = video_length(self.video) if self.video_id else None
        if length is not None:
            self.duration = length
        return super().save(*args, **kwargs)

    @property
    def shown_duration(self):
        """What the page says as 时长: the video's own length where it has one."""
        return (video_length(self.video) if self.video_id else None) or self.duration

    def get_share_image(self):
        return self.share_image or self.series.get_share_image()

    @classmethod
    def attach_series(cls, lessons):
        """Set `series` on each lesson from one query, for listings of lessons from many series
        (search results, reports)."""
        parent_paths = {lesson.path[: -cls.steplen] for lesson in lessons}
        series_by_path = {
            series.path: series
            for series in CourseSeriesPage.objects.filter(path__in=parent_paths)
            .defer_streamfields()
            .select_related("campaign")
        }
        for lesson in lessons:
            lesson.__dict__["series"] = series_by_path.get(lesson.path[: -cls.steplen])
        return lessons

    @cached_property
    def series(self):
        return (
            CourseSeriesPage.objects.defer_streamfields()
            .select_related("campaign")
            .get(path=self.path[: -self.steplen])
        )

    def _published_siblings(self):
        return LessonPage.objects.sibling_of(self, inclusive=False).live()

    @cached_property
    def position(self):
        """(lesson number, lessons in the series), counting published lessons in tree order."""
        counts = (
            LessonPage.objects.sibling_of(self, inclusive=True)
            .live()
            .aggregate(before=Count("pk", filter=Q(path__lt=self.path)), total=Count("pk"))
        )
        number = counts["before"] + 1
        return number, max(counts["total"], number)

    @cached_property
    def previous_lesson(self):
        siblings = self._published_siblings().filter(path__lt=self.path)
        return siblings.order_by("-path").only("title", "path", "url_path").first()

    @cached_property
    def next_lesson(self):
        siblings = self._published_siblings().filter(path__gt=self.path)
        return siblings.order_by("path").only("title", "path", "url_path").first()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Read only when the template renders it: not when its cached fragment is used.
        context["series"] = SimpleLazyObject(lambda: self.series)
        context["worksheets"] = self.worksheets.select_related("document")
        return context


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
