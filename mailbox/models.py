"""The mailbox's tables. What a writer wrote and what a counsellor answered is encrypted
(`EncryptedTextField`); nothing identifies a writer: no name, account, IP or user agent, and
their reply code only as a digest. Staff are named where they act (replies, reads, handovers),
because the bureau must be able to say who read a letter."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField

from sunshine_mailbox import crypto


class EncryptedTextField(models.TextField):
    """Text kept as a Fernet token; Python code only ever sees the plaintext."""

    def from_db_value(self, value, expression, connection):
        return value if value is None else crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else crypto.encrypt(value)


class Writer(models.TextChoices):
    STUDENT = "student", "学生"
    TEACHER = "teacher", "教师"


class GradeBand(models.TextChoices):
    PRIMARY_LOW = "primary_low", "小学1–3年级"
    PRIMARY_HIGH = "primary_high", "小学4–6年级"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中"
    VOCATIONAL = "vocational", "中职"


class Level(models.TextChoices):
    SCHOOL = "school", "学校"
    DISTRICT = "district", "区县"
    CITY = "city", "市级"


class Status(models.TextChoices):
    # A writer's message (the letter or a follow-up) waits to be read: nothing else may happen.
    NEW = "new", "待阅读"
    READ = "read", "待答复"
    ANSWERED = "answered", "已答复"
    CLOSED = "closed", "已结束"


class Category(models.TextChoices):
    STUDY = "study", "学业压力"
    RELATIONSHIPS = "relationships", "人际关系"
    FAMILY = "family", "家庭"
    EMOTIONS = "emotions", "情绪困扰"
    SELF_HARM = "self_harm", "自伤或自杀念头"
    ABUSE = "abuse", "欺凌或侵害"
    WORK = "work", "工作压力"
    OTHER = "other", "其他"


class Outcome(models.TextChoices):
    ANSWERED = "answered", "答复"
    REFERRED = "referred", "转介"
    EMERGENCY = "emergency", "紧急处置"


class Conversation(models.Model):
    """One letter and everything written after it under the same reply code."""

    code_digest = models.CharField("回信码摘要", max_length=64, unique=True, editable=False)
    writer = models.CharField("写信人", max_length=10, choices=Writer.choices)
    grade_band = models.CharField("学段", max_length=20, choices=GradeBand.choices, blank=True)
    # Where the writer said (share link, picker, a teacher's profile) they are; never guessed.
    school = models.ForeignKey(
        "directory.School",
        verbose_name="学校",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    district = models.ForeignKey(
        "directory.District",
        verbose_name="区县",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Whose queue it is in now: a school's, a district's or the city pool. Overdue letters move up.
    level = models.CharField("所在队列", max_length=10, choices=Level.choices)
    route_school = models.ForeignKey(
        "directory.School", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    route_district = models.ForeignKey(
        "directory.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="负责人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    urgent = models.BooleanField("紧急", default=False)
    crisis_categories = models.CharField("危机词类别", max_length=100, blank=True)
    category = models.CharField("类别", max_length=20, choices=Category.choices, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField("来信时间", default=timezone.now)
    due_at = models.DateTimeField("答复期限")
    first_read_at = models.DateTimeField("首次阅读", null=True, blank=True)
    first_reply_at = models.DateTimeField("首次答复", null=True, blank=True)
    escalations = models.PositiveSmallIntegerField("升级次数", default=0)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = "来信"
        verbose_name_plural = "来信"
        # The queue: 紧急 first, then the nearest deadline.
        ordering = ["-urgent", "due_at"]
        permissions = [
            ("answer_letters", "可阅读并答复其范围内的来信"),
            ("view_mailbox_statistics", "可查看心灵信箱统计（不含信件内容）"),
            ("view_read_log", "可查看和导出阅信记录"),
        ]
        indexes = [models.Index(fields=["status", "urgent", "due_at"])]

    def __str__(self):
        return f"第 {self.pk} 号来信"

    @property
    def number(self):
        return self.pk

    @property
    def overdue(self):
        return self.status in (Status.NEW, Status.READ) and self.due_at < timezone.now()

    @property
    def crisis_labels(self):
        from sunshine_mailbox.crisis import CATEGORY_LABELS

        return [CATEGORY_LABELS[key] for key in self.crisis_categories.split(",") if key]

    @property
    def scope_label(self):
        if self.level == Level.SCHOOL and self.route_school_id:
            return self.route_school.name
        if self.level == Level.DISTRICT and self.route_district_id:
            return self.route_district.name
        return "市级"


class Message(models.Model):
    class Sender(models.TextChoices):
        WRITER = "writer", "来信人"
        COUNSELLOR = "counsellor", "心理教师"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(max_length=12, choices=Sender.choices)
    body = EncryptedTextField("内容")
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # A writer's message is read by a counsellor before anything else happens.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "信件内容"
        verbose_name_plural = "信件内容"

    def __str__(self):
        # Never the text: this shows up in logs and admin messages.
        return f"第 {self.conversation_id} 号来信的留言 {self.pk}"


class ReadLog(models.Model):
    """Who read which letter, and when. Kept after the letter itself is deleted (without text)."""

    conversation = models.ForeignKey(
        Conversation, null=True, on_delete=models.SET_NULL, related_name="reads"
    )
    letter_number = models.PositiveBigIntegerField("来信编号")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="阅读人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reader_username = models.CharField("阅读人账号", max_length=150)
    scope = models.CharField("当时所在队列", max_length=100)
    read_at = models.DateTimeField("阅读时间", default=timezone.now)

    class Meta:
        ordering = ["-read_at"]
        verbose_name = "阅信记录"
        verbose_name_plural = "阅信记录"

    def __str__(self):
        return f"{self.reader_username} 阅读第 {self.letter_number} 号来信"

    @property
    def reader_name(self):
        return (self.reader.get_full_name() if self.reader else "") or self.reader_username


class Handover(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="handovers"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"第 {self.conversation_id} 号来信的转交"


class Escalation(models.Model):
    """A letter moved up a queue because it was overdue (or by a counsellor)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="escalation_log"
    )
    from_level = models.CharField(max_length=10, choices=Level.choices)
    to_level = models.CharField(max_length=10, choices=Level.choices)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"第 {self.conversation_id} 号来信升级到{self.get_to_level_display()}"


class DutyCounsellor(models.Model):
    """The counsellor of a district told at once (by email) when a 紧急 letter arrives."""

    district = models.OneToOneField(
        "directory.District", verbose_name="区县", on_delete=models.CASCADE, related_name="+"
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="值班心理教师",
        on_delete=models.CASCADE,
        # Only 心理教师 accounts are offered (the group name, as sunshine.roles.names has it).
        limit_choices_to={"groups__name": "心理教师", "is_active": True},
    )
    email = models.EmailField("通知邮箱", blank=True, help_text="留空则使用账号的邮箱。")

    class Meta:
        verbose_name = "值班心理教师"
        verbose_name_plural = "值班心理教师"

    def __str__(self):
        return f"{self.district}：{self.counsellor.get_full_name() or self.counsellor}"

    @property
    def address(self):
        return self.email or self.counsellor.email


class CounsellingContact(models.Model):
    """How a school's pupils reach its counsellor in person; shown in the crisis panel."""

    school = models.OneToOneField(
        "directory.School", verbose_name="学校", on_delete=models.CASCADE, related_name="+"
    )
    contact = models.CharField(
        "联系方式",
        max_length=200,
        help_text="例如：心理辅导室（行政楼 305），周一至周五 12:00–13:00；电话 024-0000-0000",
    )

    class Meta:
        verbose_name = "学校心理辅导联系方式"
        verbose_name_plural = "学校心理辅导联系方式"

    def __str__(self):
        return str(self.school)


class CannedReply(models.Model):
    title = models.CharField("标题", max_length=60)
    body = models.TextField("内容")
    for_writer = models.CharField(
        "适用于", max_length=10, choices=Writer.choices, blank=True, help_text="留空：都适用。"
    )

    class Meta:
        ordering = ["title"]
        verbose_name = "常用回复"
        verbose_name_plural = "常用回复"

    def __str__(self):
        return self.title


class CrisisContactBlock(blocks.StructBlock):
    name = blocks.CharBlock(label="名称", max_length=40)
    number = blocks.CharBlock(label="号码", max_length=30)
    note = blocks.CharBlock(label="说明", max_length=80, required=False)

    class Meta:
        icon = "warning"
        label = "危机求助电话"


DEFAULT_CRISIS_CONTACTS = [
    ("contact", {"name": "全国心理援助热线", "number": "12356", "note": "24小时"}),
    ("contact", {"name": "青少年服务台", "number": "12355", "note": ""}),
    ("contact", {"name": "报警", "number": "110", "note": "正在发生危险时"}),
    ("contact", {"name": "急救", "number": "120", "note": "受伤或吃了药时"}),
]


@register_setting(icon="mail")
class MailboxSettings(BaseSiteSetting):
    crisis_contacts = StreamField(
        [("contact", CrisisContactBlock())],
        verbose_name="危机求助电话（全市）",
        default=DEFAULT_CRISIS_CONTACTS,
        help_text="写信人的文字含有危机词时，立即显示这些电话；可加入本市的心理危机干预热线。",
    )
    reply_promise = models.CharField(
        "答复承诺",
        max_length=100,
        default="我们会在 24 小时内答复；紧急来信 1 小时内有人处理。",
    )

    panels = [FieldPanel("crisis_contacts"), FieldPanel("reply_promise")]

    class Meta:
        verbose_name = "心灵信箱设置"

    @classmethod
    def for_request_or_default(cls, request):
        try:
            return cls.for_request(request)
        except cls.DoesNotExist:
            return cls()
