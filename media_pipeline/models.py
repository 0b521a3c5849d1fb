from django.db import models


class VideoAsset(models.Model):
    """A recording and everything made from it. (Placeholder until the media pipeline lands.)"""

    title = models.CharField("标题", max_length=200)
    source = models.FileField("源文件", upload_to="video-sources/", blank=True)

    class Meta:
        verbose_name = "视频"
        verbose_name_plural = "视频"
        swappable = "SUNSHINE_VIDEO_MODEL"

    def __str__(self):
        return self.title
