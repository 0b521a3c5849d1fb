"""What an editor uploads and what the pipeline makes from it.

A `VideoAsset` is what pages point at. The bytes made from a source live in a `VideoEncoding`,
keyed by (sha256, profile): two assets with the same source share one encoding, and the row is
also the lease that makes two workers encode it once.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, HelpPanel, InlinePanel
from wagtail.models import Orderable
from wagtail.search import index

from . import conf, storage


class InvalidTransition(Exception):
    """A status change the state machine does not allow (another worker got there first)."""


class VideoAsset(index.Indexed, ClusterableModel):
    """A recording and everything made from it."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "已上传，排队等待处理"
        PROBING = "probing", "正在分析视频"
        TRANSCODING = "transcoding", "正在转码"
        READY = "ready", "可以播放"
        FAILED = "failed", "处理失败"

    class HDStatus(models.TextChoices):
        NOT_NEEDED = "not_needed", "不需要（源视频低于1080p）"
        PENDING = "pending", "排队等待"
        TRANSCODING = "transcoding", "正在转码1080p"
        READY = "ready", "1080p已可播放"
        FAILED = "failed", "1080p转码失败"

    # Which status may follow which. READY/FAILED → UPLOADED is a re-queue.
    TRANSITIONS = {
        Status.UPLOADED: {Status.UPLOADED, Status.PROBING, Status.FAILED},
        Status.PROBING: {Status.TRANSCODING, Status.READY, Status.FAILED, Status.UPLOADED},
        Status.TRANSCODING: {Status.READY, Status.FAILED, Status.UPLOADED},
        Status.READY: {Status.UPLOADED},
        Status.FAILED: {Status.UPLOADED},
    }

    title = models.CharField("标题", max_length=200)
    source = models.FileField("源文件", upload_to="video-sources/", max_length=500, blank=True)
    source_name = models.CharField("原始文件名", max_length=255, blank=True)
    source_size = models.BigIntegerField("文件大小（字节）", null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, db_index=True)

    # What probing found.
    duration = models.FloatField("时长（秒）", null=True, blank=True)
    width = models.PositiveIntegerField("宽", null=True, blank=True)
    height = models.PositiveIntegerField("高", null=True, blank=True)
    rotation = models.SmallIntegerField("旋转角度", default=0)
    fps = models.FloatField("帧率", null=True, blank=True)
    video_codec = models.CharField("视频编码", max_length=40, blank=True)
    audio_codec = models.CharField("音频编码", max_length=40, blank=True)
    has_audio = models.BooleanField("有声音", null=True, blank=True)

    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.UPLOADED, db_index=True
    )
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    failure_reason = models.TextField("失败原因", blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    hd_status = models.CharField(
        "1080p状态", max_length=20, choices=HDStatus.choices, default=HDStatus.NOT_NEEDED
    )
    hd_failure_reason = models.TextField("1080p失败原因", blank=True)

    # What publishing produced (storage names; URLs come from storage, i.e. the CDN on S3).
    encoding = models.ForeignKey(
        "media_pipeline.VideoEncoding",
        verbose_name="转码结果",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="videos",
    )
    # What players get: the encoding's manifest with this asset's own captions and master
    # playlist (assets share an encoding by content, not their captions). Storage names and
    # URLs below are read from it.
    manifest = models.JSONField("转码清单", default=dict, blank=True, editable=False)

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    ready_at = models.DateTimeField("完成时间", null=True, blank=True)

    panels = [
        HelpPanel(template="media_pipeline/admin/status_panel.html", heading="处理状态"),
        FieldPanel("title"),
        InlinePanel("captions", label="字幕", heading="字幕"),
    ]
    search_fields = [index.SearchField("title"), index.AutocompleteField("title")]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "视频"
        verbose_name_plural = "视频"
        swappable = "SUNSHINE_VIDEO_MODEL"

    def __str__(self):
        return self.title

    # -- state machine ---------------------------------------------------------------------
    def transition(self, to, **fields):
        """Move to `to` if the row is still in a status that allows it.

        The check and the write are one UPDATE, so two workers racing on the same asset
        cannot both win; the loser gets InvalidTransition.
        """
        allowed_from = [s for s, targets in self.TRANSITIONS.items() if to in targets]
        fields = {"status": to, "updated_at": timezone.now(), **fields}
        updated = type(self).objects.filter(pk=self.pk, status__in=allowed_from).update(**fields)
        if not updated:
            current = type(self).objects.filter(pk=self.pk).values_list("status", flat=True)
            raise InvalidTransition(f"{self.pk}: {list(current)} → {to}")
        for name, value in fields.items():
            setattr(self, name, value)

    @property
    def is_ready(self):
        return self.status == self.Status.READY

    @property
    def is_busy(self):
        return self.status in (self.Status.UPLOADED, self.Status.PROBING, self.Status.TRANSCODING)

    def is_stalled(self, now=None):
        """A worker had it (probing or transcoding) and stopped renewing its claim: killed.

        The worker keeps `updated_at` fresh while it holds a video (see leases.Keeper), and the
        encoding's lease while it encodes; an asset waiting on another worker's live lease for
        the same bytes is not stalled.
        """
        if self.status not in (self.Status.PROBING, self.Status.TRANSCODING):
            return False
        now = now or timezone.now()
        encoding = self.encoding if self.status == self.Status.TRANSCODING else None
        if encoding is not None and encoding.lease_expires and encoding.lease_expires >= now:
            return False
        return self.updated_at < now - timedelta(seconds=conf.lease_seconds())

    def can_requeue(self):
        """Finished, failed, queued (the job may be lost), or abandoned by a killed worker."""
        return self.status in (self.Status.READY, self.Status.FAILED, self.Status.UPLOADED) or (
            self.is_stalled()
        )

    def status_text(self):
        if self.is_stalled():
            return "处理中断（处理进程已停止），稍后会自动重新排队，也可点击“重新处理”"
        if self.status == self.Status.TRANSCODING:
            return f"{self.get_status_display()} {self.progress}%"
        if self.status == self.Status.FAILED and self.failure_reason:
            return f"{self.get_status_display()}：{self.failure_reason}"
        return self.get_status_display()

    def status_json(self):
        return {
            "id": self.pk,
            "status": self.status,
            "status_label": self.get_status_display(),
            "status_text": self.status_text(),
            "progress": self.progress,
            "failure_reason": self.failure_reason,
            "hd_status": self.hd_status,
            "hd_status_label": self.get_hd_status_display(),
            "duration": self.duration,
            "ready": self.is_ready,
            "stalled": self.is_stalled(),
            "can_requeue": self.can_requeue(),
        }

    # -- published files: storage names from the manifest, URLs from the public storage --------
    def _manifest(self, key):
        return self.manifest.get(key) if isinstance(self.manifest, dict) else None

    def _published(self, relpath):
        prefix = self._manifest("prefix")
        return f"{prefix}/{relpath}" if prefix and relpath else ""

    def _entry(self, key, field="path"):
        entry = self._manifest(key)
        return self._published(entry.get(field)) if isinstance(entry, dict) else ""

    @property
    def master_playlist(self):
        return self._published(self._manifest("master"))

    @property
    def fallback_mp4(self):
        return self._entry("fallback_mp4")

    @property
    def poster(self):
        return self._entry("poster")

    @property
    def storyboard(self):
        return self._entry("storyboard", "vtt")

    @property
    def master_url(self):
        return storage.public_url(self.master_playlist) if self.master_playlist else ""

    @property
    def fallback_url(self):
        return storage.public_url(self.fallback_mp4) if self.fallback_mp4 else ""

    @property
    def poster_url(self):
        return storage.public_url(self.poster) if self.poster else ""

    @property
    def storyboard_url(self):
        return storage.public_url(self.storyboard) if self.storyboard else ""

    @property
    def duration_text(self):
        if not self.duration:
            return ""
        minutes, seconds = divmod(round(self.duration), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"

    @property
    def duration_timedelta(self):
        return timedelta(seconds=round(self.duration)) if self.duration else None

    def caption_tracks(self):
        """Subtitle tracks for the player: only the copies published with the video (public, on
        the CDN), like its renditions. An editor's upload stays private: a caption added to a
        ready video shows once its new master is published (tasks.refresh_video_captions)."""
        published = self._manifest("captions")
        if not (published and self._manifest("prefix")):
            return []
        return [
            {
                "lang": c["lang"],
                "label": c.get("name") or c["lang"],
                "url": storage.public_url(self._published(c["vtt"])),
                "default": bool(c.get("default")),
            }
            for c in published
        ]


class VideoCaption(Orderable):
    """Captions in one language, stored as WebVTT (an SRT upload is converted on save)."""

    video = ParentalKey(VideoAsset, on_delete=models.CASCADE, related_name="captions")
    language = models.CharField("语言代码", max_length=20, default="zh-Hans")
    label = models.CharField("显示名称", max_length=40, default="中文")
    file = models.FileField(
        "字幕文件", upload_to="video-captions/", max_length=500, help_text="WebVTT 或 SRT"
    )
    is_default = models.BooleanField("默认显示", default=False)

    panels = [
        FieldPanel("language"),
        FieldPanel("label"),
        FieldPanel("file"),
        FieldPanel("is_default"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "字幕"
        verbose_name_plural = "字幕"
        constraints = [
            models.UniqueConstraint(fields=["video", "language"], name="one_caption_per_language")
        ]

    def __str__(self):
        return f"{self.video} · {self.label}"

    def clean(self):
        from .caption_uploads import ensure_webvtt

        ensure_webvtt(self)  # a bad SRT is a form error, not a crash

    def save(self, *args, **kwargs):
        from .caption_uploads import ensure_webvtt

        ensure_webvtt(self)
        super().save(*args, **kwargs)


class VideoEncoding(models.Model):
    """The published outputs of one source under one encoding profile, and the lease on making
    them. Keyed by content, so the same file uploaded twice is encoded once."""

    class Status(models.TextChoices):
        PENDING = "pending", "等待"
        RUNNING = "running", "转码中"
        DONE = "done", "完成"
        FAILED = "failed", "失败"

    sha256 = models.CharField(max_length=64)
    profile = models.CharField(max_length=64, help_text="编码参数（含 ffmpeg 版本）的哈希")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    prefix = models.CharField(max_length=300, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "转码结果"
        verbose_name_plural = "转码结果"
        constraints = [
            models.UniqueConstraint(fields=["sha256", "profile"], name="one_encoding_per_key")
        ]

    def __str__(self):
        return f"{self.sha256[:12]}/{self.profile[:12]} ({self.status})"


class UploadSession(models.Model):
    """One resumable upload: bytes arrive in chunks (local storage) or as presigned multipart
    parts straight to S3. The browser keeps the id, so a reload or a dropped connection
    continues at `offset` (local) or at the parts S3 already has."""

    class Mode(models.TextChoices):
        LOCAL = "local", "本地分块"
        S3 = "s3", "S3分片直传"

    class Status(models.TextChoices):
        ACTIVE = "active", "上传中"
        COMPLETE = "complete", "已完成"
        ABORTED = "aborted", "已取消"

    id = models.UUIDField(primary_key=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.LOCAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    part_size = models.BigIntegerField(default=0)
    storage_name = models.CharField(max_length=500, help_text="分块文件或 S3 对象键")
    s3_upload_id = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # The sha256 is computed while receiving only while one process sees every chunk in order;
    # once a chunk lands elsewhere (another web worker, a restart) the worker computes it.
    hash_deferred = models.BooleanField(default=False)
    video = models.ForeignKey(
        VideoAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "上传任务"
        verbose_name_plural = "上传任务"

    def __str__(self):
        return f"{self.filename} ({self.offset}/{self.size})"


class KitBundle(models.Model):
    """A built "下载全部" zip of a kit's materials, named by the content hash of the materials,
    so it is rebuilt only when one of them changes."""

    class Status(models.TextChoices):
        BUILDING = "building", "正在打包"
        READY = "ready", "可下载"
        FAILED = "failed", "打包失败"

    kit = models.ForeignKey(
        "courses.ClassMeetingKitPage", on_delete=models.CASCADE, related_name="+"
    )
    content_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    file = models.CharField(max_length=500, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "资源包压缩包"
        verbose_name_plural = "资源包压缩包"
        constraints = [
            models.UniqueConstraint(fields=["kit", "content_hash"], name="one_bundle_per_content")
        ]

    def __str__(self):
        return f"{self.kit_id}:{self.content_hash[:12]} ({self.status})"


class DocumentPreview(models.Model):
    """Page images of a kit material's document, for previewing it in the page (phones and
    WeChat show no PDF inline). Named by the file's content hash: a new file gets a new preview,
    an unchanged one is never drawn twice. The images are private files, served only through
    the access check of the material they show (previews.py)."""

    class Status(models.TextChoices):
        BUILDING = "building", "正在生成"
        READY = "ready", "可预览"
        FAILED = "failed", "生成失败"

    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE, related_name="+")
    file_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    pages = models.PositiveSmallIntegerField("预览页数", default=0)
    total_pages = models.PositiveIntegerField("文件页数", default=0)
    # The first page's size, so the page reserves the images' room before they load.
    width = models.PositiveSmallIntegerField(default=0)
    height = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "材料预览"
        verbose_name_plural = "材料预览"
        constraints = [
            models.UniqueConstraint(
                fields=["document", "file_hash"], name="one_preview_per_document_content"
            )
        ]

    def __str__(self):
        return f"{self.document_id}:{self.file_hash[:12]} ({self.status})"

    def page_name(self, number):
        return f"kit-previews/{self.file_hash[:2]}/{self.file_hash}/{number}.jpg"
