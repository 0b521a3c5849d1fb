"""A teacher's own recent kit downloads, for their 我的 page ("最近下载").

Teachers are adults with accounts, but this is still only what the page needs: who (the account),
which kit and material, and when; no address, no user agent. Only the last few per teacher are
kept (older rows are deleted when a new one is written), and only for signed-in accounts:
anonymous downloads are counted in the reach figures and nowhere else.
"""

from django.conf import settings
from django.db import models

KEEP_PER_TEACHER = 10


class TeacherDownload(models.Model):
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="教师",
        on_delete=models.CASCADE,
        related_name="+",
    )
    kit = models.ForeignKey(
        "courses.ClassMeetingKitPage",
        verbose_name="班会资源包",
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField("下载内容", max_length=120)
    downloaded_at = models.DateTimeField("下载时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "教师下载记录"
        verbose_name_plural = "教师下载记录"
        indexes = [
            models.Index(fields=["teacher", "-downloaded_at"], name="teacher_download_recent")
        ]

    def __str__(self):
        return f"{self.title} ({self.downloaded_at:%Y-%m-%d})"


def record(user, kit_id, title):
    """Write one download and drop the teacher's older ones beyond KEEP_PER_TEACHER."""
    if not getattr(user, "is_authenticated", False) or not kit_id:
        return None
    row = TeacherDownload.objects.create(teacher=user, kit_id=kit_id, title=title[:120])
    old = TeacherDownload.objects.filter(teacher=user).order_by("-downloaded_at", "-pk")
    stale = list(old.values_list("pk", flat=True)[KEEP_PER_TEACHER:])
    if stale:
        TeacherDownload.objects.filter(pk__in=stale).delete()
    return row
