"""Reach that happens off the site: class meetings teachers record, live participation staff import.

Both are counts a person reports (a teacher, the meeting platform), not views we measured, so the
reports show them beside online reach and label the live figures as imported (导入数据).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class ClassMeeting(models.Model):
    """One theme class meeting (主题班会) a teacher says they held with a kit: "班会已开展"."""

    kit = models.ForeignKey(
        "courses.ClassMeetingKitPage",
        verbose_name="班会资源包",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录教师",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The school and its district as they were when the meeting was held: a teacher who moves
    # school later must not move their past meetings with them.
    school = models.ForeignKey(
        "directory.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        "directory.District", verbose_name="区县", on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField("开展日期")
    class_name = models.CharField("班级", max_length=40, help_text="例如：三年级2班")
    students = models.PositiveIntegerField(
        "参加学生数", validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "班会记录"
        verbose_name_plural = "班会记录"
        ordering = ["-held_on", "-recorded_at"]
        # The report permission lives here because reports have no model of their own.
        permissions = [("view_reach_reports", "可以查看数据报表")]
        constraints = [
            models.UniqueConstraint(
                fields=["kit", "school", "class_name", "held_on"],
                name="one_class_meeting_per_class_kit_day",
            )
        ]
        indexes = [models.Index(fields=["held_on", "district"])]

    def __str__(self):
        return f"{self.held_on} {self.class_name}"


class LiveParticipationImport(models.Model):
    """One file of live-event participation uploaded by staff, with what was rejected and why."""

    file_name = models.CharField("文件名", max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    # The uploader's district (district staff import only their own); None: city staff.
    district = models.ForeignKey(
        "directory.District",
        verbose_name="区县",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # SHA-256 of the uploaded bytes: the same file uploaded again is recognised.
    file_sha256 = models.CharField("文件摘要", max_length=64, blank=True, db_index=True)
    rows_imported = models.PositiveIntegerField("导入行数", default=0)
    rows_rejected = models.PositiveIntegerField("未导入行数", default=0)
    # [{"line": 7, "message": "……"}]: line numbers as the uploader sees them in Excel.
    errors = models.JSONField("错误", default=list, blank=True)

    class Meta:
        verbose_name = "直播参与数据导入"
        verbose_name_plural = "直播参与数据导入"
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.file_name}（{timezone.localtime(self.uploaded_at):%Y-%m-%d %H:%M}）"

    @property
    def scope_label(self):
        return self.district.name if self.district_id else "全市"


class LiveParticipation(models.Model):
    """Participants of one live event in one district (or school) on one day, as imported."""

    source = models.ForeignKey(
        LiveParticipationImport,
        verbose_name="导入批次",
        on_delete=models.CASCADE,
        related_name="rows",
    )
    held_on = models.DateField("日期")
    event_name = models.CharField("直播活动", max_length=200)
    event = models.ForeignKey(
        "courses.LiveEventPage",
        verbose_name="直播页面",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    district = models.ForeignKey(
        "directory.District", verbose_name="区县", on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        "directory.School",
        verbose_name="学校",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    participants = models.PositiveIntegerField("参与人次")

    class Meta:
        verbose_name = "直播参与（导入数据）"
        verbose_name_plural = "直播参与（导入数据）"
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["held_on", "district"])]
        # One figure per event, day and place: importing the same rows again (the same file, or
        # an overlapping export) must not count them twice. Two partial constraints, because a
        # NULL school never collides in a plain unique constraint.
        constraints = [
            models.UniqueConstraint(
                fields=["held_on", "event_name", "district", "school"],
                condition=models.Q(school__isnull=False),
                name="one_live_figure_per_school_event_day",
            ),
            models.UniqueConstraint(
                fields=["held_on", "event_name", "district"],
                condition=models.Q(school__isnull=True),
                name="one_live_figure_per_district_event_day",
            ),
        ]

    def __str__(self):
        return f"{self.held_on} {self.event_name}"
