"""待核实: a school's plays over a range of days that city staff hold back from the totals.

A hold never deletes or changes a play or a rollup: reports, exports and the reach API take
the held figures out of their rows and totals and show them apart while the hold is active, and
releasing it puts them back. Who held and released, when and why, is on the row and in
Wagtail's log (HELD / RELEASED below).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

HELD = "analytics.held"
RELEASED = "analytics.released"


class HeldRangeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(released_at__isnull=True)

    def overlapping(self, date_from, date_to):
        return self.filter(date_from__lte=date_to, date_to__gte=date_from)


class HeldRange(models.Model):
    school = models.ForeignKey(
        "directory.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+"
    )
    date_from = models.DateField("开始日期")
    date_to = models.DateField("结束日期")
    reason = models.TextField(
        "标记原因", max_length=500, help_text="例如：数据核查发现当日人数超过在校学生数"
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="标记人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    marked_at = models.DateTimeField("标记时间", auto_now_add=True)
    released_at = models.DateTimeField("解除时间", null=True, blank=True, editable=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="解除人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    release_reason = models.TextField("解除原因", max_length=500, blank=True)

    objects = HeldRangeQuerySet.as_manager()

    class Meta:
        verbose_name = "待核实标记"
        verbose_name_plural = "待核实标记"
        ordering = ["-marked_at", "-pk"]
        indexes = [models.Index(fields=["date_from", "date_to"])]

    def __str__(self):
        return f"{self.school}（{self.date_from:%Y-%m-%d} 至 {self.date_to:%Y-%m-%d}）待核实"

    @property
    def is_active(self):
        return self.released_at is None

    @property
    def status(self):
        return "待核实（不计入合计）" if self.is_active else "已解除（已计入合计）"

    def clean(self):
        if self.date_from and self.date_to:
            if self.date_to < self.date_from:
                raise ValidationError({"date_to": "结束日期不能早于开始日期"})
            if (self.date_to - self.date_from).days > 366:
                raise ValidationError({"date_to": "一次最多标记一年，请分段标记"})
        if self.school_id and self.date_from and self.date_to and self.is_active:
            clash = (
                HeldRange.objects.active()
                .filter(school_id=self.school_id)
                .overlapping(self.date_from, self.date_to)
                .exclude(pk=self.pk)
                .first()
            )
            if clash is not None:
                raise ValidationError(
                    f"该校已有重叠的待核实标记：{clash}。请先解除它，或另选日期。"
                )
