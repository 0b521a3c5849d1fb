"""Raw plays and the tables that make unique-viewer counts exact.

No column here can hold an IP address, a user agent or a name: a viewer is only ever a
truncated HMAC under a salt that is deleted when its window closes (see analytics.privacy).
Ids of pages, series and schools are plain integers, not foreign keys: the numbers must outlive
a deleted page, and the Elasticsearch store keeps the same fields.
"""

from django.db import models


class Play(models.Model):
    """One viewing of one video on one device: the max-merge of its beats (see protocol)."""

    class Kind(models.TextChoices):
        LESSON = "lesson", "课程"
        LECTURE = "lecture", "专家讲座"
        REPLAY = "replay", "直播回放"

    play_id = models.UUIDField("播放编号", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    page_id = models.IntegerField("内容页面")
    series_id = models.IntegerField("系列课程", default=0)
    track = models.CharField("课程板块", max_length=20, blank=True, default="")
    day = models.DateField("日期")
    district = models.CharField("区县代码", max_length=6, blank=True, default="")
    school_id = models.IntegerField("学校", default=0)
    via = models.CharField("来源", max_length=10, blank=True, default="")
    # Pseudonyms: erased (0) once the play has been counted as a viewer, so a raw play kept for
    # the retention window links nothing.
    day_viewer = models.BigIntegerField("当日化名")
    # [[campaign id, campaign pseudonym], …]: every campaign whose dates contain the day.
    campaigns = models.JSONField("假期活动", default=list, blank=True)
    started_at = models.DateTimeField("开始时间")
    seq = models.IntegerField("最大序号", default=0)
    watched_s = models.IntegerField("观看秒数", default=0)
    max_pos_s = models.IntegerField("最远位置", default=0)
    duration_s = models.IntegerField("视频时长", default=0)
    # Decided per beat on the exact numbers and merged with "or" (see analytics.protocol).
    counted = models.BooleanField("计入人次", default=False)
    completed = models.BooleanField("看完", default=False)
    # Rollup bookkeeping: what this play has already added to the rollups, so a rollup run
    # adds only the difference and running it twice adds nothing.
    dirty = models.BooleanField(default=True)
    rolled_counted = models.BooleanField(default=False)
    rolled_watched = models.IntegerField(default=0)
    rolled_completed = models.BooleanField(default=False)

    class Meta:
        verbose_name = "播放记录"
        verbose_name_plural = "播放记录"
        indexes = [
            models.Index(fields=["day"], name="analytics_play_day"),
            models.Index(
                fields=["id"], name="analytics_play_dirty", condition=models.Q(dirty=True)
            ),
        ]

    def __str__(self):
        return str(self.play_id)


class ViewerDay(models.Model):
    """A day pseudonym seen in a rollup cell that day; deleted with the day's salt."""

    day = models.DateField()
    cell = models.BigIntegerField()
    viewer = models.BigIntegerField()

    class Meta:
        verbose_name = "当日去重"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "cell", "viewer"], name="analytics_viewerday_unique"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.cell}"


class ViewerCampaign(models.Model):
    """A campaign pseudonym seen in a rollup cell during the campaign; deleted with its salt."""

    campaign_id = models.IntegerField()
    cell = models.BigIntegerField()
    viewer = models.BigIntegerField()

    class Meta:
        verbose_name = "活动去重"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign_id", "cell", "viewer"], name="analytics_viewercampaign_unique"
            )
        ]

    def __str__(self):
        return f"{self.campaign_id} {self.cell}"
