from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.panels import FieldPanel


class Track(models.TextChoices):
    """The bureau's course tracks (课程板块)."""

    LIFE = "life", "生命教育"
    SCIENCE = "science", "科学教育"
    SELF = "self", "自我教育"
    MENTAL_HEALTH = "mental_health", "心理健康"


# One line under each track's tile on the home page and at the top of its listing.
TRACK_BLURBS = {
    Track.LIFE: "认识生命、珍爱生命，学会与自然和他人好好相处。",
    Track.SCIENCE: "走近科学方法，保持好奇心，用证据和思考认识世界。",
    Track.SELF: "认识自己、管理情绪和时间，一点点成为更好的自己。",
    Track.MENTAL_HEALTH: "了解常见的心理困扰，学会自我调适，也知道何时、向谁求助。",
}


class GradeBand(models.Model):
    """Who a course or kit is for. The fixed list is created by a data migration."""

    code = models.SlugField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=20, unique=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order"]
        verbose_name = "学段"
        verbose_name_plural = "学段"

    def __str__(self):
        return self.name


GRADE_BANDS = [
    ("primary_lower", "小学低年级"),
    ("primary_middle", "小学中年级"),
    ("primary_upper", "小学高年级"),
    ("junior", "初中"),
    ("senior", "高中"),
    ("teacher", "教师"),
    ("parent", "家长"),
]


class Campaign(models.Model):
    """A holiday campaign (寒假/暑假) or another named push, with the dates it runs."""

    class Kind(models.TextChoices):
        WINTER = "winter", "寒假"
        SUMMER = "summer", "暑假"
        OTHER = "other", "专项活动"

    name = models.CharField("名称", max_length=50, unique=True, help_text="例如：2023寒假")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.WINTER)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    report_final = models.BooleanField(
        "报表已定稿",
        default=False,
        help_text="定稿后不再接收该活动的补报数据，用于去重的活动密钥随之删除。",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("starts_on"),
        FieldPanel("ends_on"),
        FieldPanel("report_final"),
    ]

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = "假期活动"
        verbose_name_plural = "假期活动"

    def __str__(self):
        return self.name

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "结束日期不能早于开始日期"})
