from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from sunshine.pages import SharePageMixin

from ..listings import listing_page
from .mixins import video_link


class KitIndexPage(SharePageMixin, Page):
    intro = models.TextField("简介", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.ClassMeetingKitPage"]
    max_count = 1
    show_in_menus_default = True

    class Meta:
        verbose_name = "主题班会资源包列表"

    def get_context(self, request, *args, **kwargs):
        from courses.filters import KitFilter

        context = super().get_context(request, *args, **kwargs)
        kits = (
            ClassMeetingKitPage.objects.child_of(self)
            .live()
            .prefetch_related("grade_bands")
            .order_by("-first_published_at")
        )
        themes = kits.order_by("theme").values_list("theme", flat=True).distinct()
        kit_filter = KitFilter(request.GET or None, queryset=kits, themes=list(themes))
        context["filter"] = kit_filter
        context["kits_page"] = listing_page(request, kit_filter, 12)
        return context


class ClassMeetingKitPage(SharePageMixin, Page):
    """A theme class-meeting kit (主题班会资源包) that teachers download and run in class."""

    theme = models.CharField("班会主题", max_length=100)
    grade_bands = ParentalManyToManyField(
        "courses.GradeBand", verbose_name="适用学段", related_name="kits"
    )
    minutes = models.PositiveSmallIntegerField(
        "建议时长（分钟）",
        default=40,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    summary = models.TextField("简介")
    objectives = models.TextField("活动目标", help_text="每行一条")
    facilitator_notes = RichTextField(
        "组织者提示", blank=True, features=["bold", "italic", "ul", "ol", "link"]
    )
    # The safety note is required: a class meeting on these themes can surface a child at risk,
    # and the teacher must know what to look for and whom to call.
    warning_signs = models.TextField("需要关注的信号")
    referral_steps = models.TextField("转介步骤")
    safety_hotlines = models.TextField(
        "求助热线", default="全国心理援助热线 12356\n青少年服务台 12355"
    )

    search_fields = [
        *Page.search_fields,
        index.SearchField("theme"),
        index.SearchField("summary"),
        index.SearchField("objectives"),
    ]
    content_panels = [
        *Page.content_panels,
        FieldPanel("theme"),
        FieldPanel("grade_bands"),
        FieldPanel("minutes"),
        FieldPanel("summary"),
        FieldPanel("objectives"),
        InlinePanel("materials", label="材料", heading="资源包材料", min_num=1),
        FieldPanel("facilitator_notes"),
        MultiFieldPanel(
            [
                FieldPanel("warning_signs"),
                FieldPanel("referral_steps"),
                FieldPanel("safety_hotlines"),
            ],
            heading="安全提示（必填）",
        ),
    ]
    promote_panels = [*Page.promote_panels, *SharePageMixin.promote_panels]
    parent_page_types = ["courses.KitIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "主题班会资源包"

    def clean(self):
        super().clean()
        if self.objectives and not _lines(self.objectives):
            raise ValidationError({"objectives": "请至少填写一条活动目标"})

    @property
    def objective_list(self):
        return _lines(self.objectives)

    @property
    def hotline_list(self):
        return _lines(self.safety_hotlines)

    def material_groups(self):
        """Materials grouped by kind, in the order teachers use them (教案 first)."""
        by_kind = {}
        for material in self.materials.select_related("document", "video"):
            by_kind.setdefault(material.kind, []).append(material)
        return [
            (label, by_kind[kind]) for kind, label in KitMaterial.Kind.choices if kind in by_kind
        ]

    def get_context(self, request, *args, **kwargs):
        from courses.access import can_download_kit_materials, kit_downloads_require_login

        context = super().get_context(request, *args, **kwargs)
        context["material_groups"] = self.material_groups()
        # Pages for signed-in visitors are never shared through the page cache, so they may
        # speak to who is reading: no "please log in" for a teacher who is signed in.
        can_download = not kit_downloads_require_login(request) or can_download_kit_materials(
            request.user
        )
        context["can_download"] = can_download
        context["gated"] = not can_download
        return context


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class KitMaterial(Orderable):
    class Kind(models.TextChoices):
        LESSON_PLAN = "lesson_plan", "教学设计/教案"
        SLIDES = "slides", "课件"
        VIDEO = "video", "视频"
        WORKSHEET = "worksheet", "学习任务单"
        PARENT_LETTER = "parent_letter", "致家长的一封信"
        OTHER = "other", "其他"

    page = ParentalKey(ClassMeetingKitPage, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    title = models.CharField("名称", max_length=100)
    document = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name="文件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    video = video_link()

    panels = [FieldPanel("kind"), FieldPanel("title"), FieldPanel("document"), FieldPanel("video")]

    class Meta(Orderable.Meta):
        verbose_name = "资源包材料"
        verbose_name_plural = "资源包材料"

    def clean(self):
        if self.kind == self.Kind.VIDEO and not self.video_id:
            raise ValidationError({"video": "“视频”类材料请选择一个视频"})
        if not self.document_id and not self.video_id:
            raise ValidationError("请上传文件或选择视频")
