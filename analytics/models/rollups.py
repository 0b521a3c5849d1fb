"""Rollups: what reports read. They stay when raw plays are deleted.

Each reach table is a small cube stored at twelve grains (see analytics.rollups.grain_of): a
geography level (school, district, city) times a content level (lesson, series, track, all).
A dimension above its grain holds the "all" sentinel ("*" or -1), so a report reads one row per
group and unique viewers stay exact at every grain instead of being summed from finer cells.
"""

from django.db import models

CELL_FIELDS = ["grain", "district", "school_id", "track", "series_id", "lesson_id"]


class ReachCell(models.Model):
    grain = models.SmallIntegerField("粒度")
    district = models.CharField("区县代码", max_length=6)
    school_id = models.IntegerField("学校")
    track = models.CharField("课程板块", max_length=20)
    series_id = models.IntegerField("系列课程")
    lesson_id = models.IntegerField("内容页面")
    views = models.BigIntegerField("观看人次", default=0)
    viewers = models.BigIntegerField("观看人数", default=0)
    watch_seconds = models.BigIntegerField("观看时长（秒）", default=0)
    completions = models.BigIntegerField("完整观看", default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.grain}:{self.district}/{self.school_id}/{self.series_id}/{self.lesson_id}"


class DailyReach(ReachCell):
    day = models.DateField("日期")

    class Meta:
        db_table = "analytics_daily_reach"
        verbose_name = "每日覆盖"
        verbose_name_plural = "每日覆盖"
        constraints = [
            models.UniqueConstraint(fields=["day", *CELL_FIELDS], name="analytics_daily_reach_cell")
        ]
        indexes = [
            models.Index(fields=["grain", "day"], name="analytics_daily_reach_grain"),
            # District staff read their own district at the school grain.
            models.Index(fields=["grain", "district", "day"], name="analytics_daily_reach_dist"),
        ]


class CampaignReach(ReachCell):
    campaign_id = models.IntegerField("假期活动")

    class Meta:
        db_table = "analytics_campaign_reach"
        verbose_name = "活动覆盖"
        verbose_name_plural = "活动覆盖"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign_id", *CELL_FIELDS], name="analytics_campaign_reach_cell"
            )
        ]


class DailyPageView(models.Model):
    """Page views of non-video pages and kit downloads: counts only, nothing about the viewer."""

    class Kind(models.TextChoices):
        PAGE = "page", "页面浏览"
        DOWNLOAD = "download", "资源下载"

    day = models.DateField("日期")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    district = models.CharField("区县代码", max_length=6, default="")
    school_id = models.IntegerField("学校", default=0)
    page_id = models.IntegerField("页面", default=0)
    document_id = models.IntegerField("文档", default=0)
    views = models.BigIntegerField("次数", default=0)

    class Meta:
        db_table = "analytics_daily_page_view"
        verbose_name = "每日浏览与下载"
        verbose_name_plural = "每日浏览与下载"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "district", "school_id", "page_id", "document_id"],
                name="analytics_daily_page_view_cell",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.kind} {self.page_id}"


class RollupOutbox(models.Model):
    """Elasticsearch store: what a rollup added, per play, until the play documents say so.

    Written in the same transaction as the rollup tables, applied to the documents, then
    deleted; after a crash in between the next rollup applies it first instead of adding the
    same plays again."""

    play_id = models.CharField(max_length=32, unique=True)
    rolled_counted = models.BooleanField()
    rolled_watched = models.IntegerField()
    rolled_completed = models.BooleanField()
    forget_viewers = models.BooleanField()
    watched_s = models.IntegerField()
    counted = models.BooleanField()
    completed = models.BooleanField()

    def __str__(self):
        return self.play_id


class RollupLock(models.Model):
    """One row; a rollup run updates it first, so runs never overlap (SQLite and PostgreSQL)."""

    ran_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"rollup lock ({self.ran_at})"
