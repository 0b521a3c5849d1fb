from datetime import timedelta

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate

# Editors upload and fix videos; reviewers watch them and may re-queue one that failed.
EDITOR_PERMISSIONS = [
    "media_pipeline.add_videoasset",
    "media_pipeline.change_videoasset",
    "media_pipeline.view_videoasset",
]
REVIEWER_PERMISSIONS = ["media_pipeline.change_videoasset", "media_pipeline.view_videoasset"]
_NEEDED_TABLES = {"auth_group", "auth_permission", "django_content_type"}


def grant_video_permissions(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """The 编辑 and 审核员 roles get the video permissions (sunshine.roles owns the groups)."""
    if not _NEEDED_TABLES.issubset(connections[using].introspection.table_names()):
        return  # a partial migrate (e.g. back to zero)
    from sunshine.roles import EDITOR, REVIEWER, grant_permissions

    grant_permissions(EDITOR, EDITOR_PERMISSIONS, using=using)
    grant_permissions(REVIEWER, REVIEWER_PERMISSIONS, using=using)


class MediaPipelineConfig(AppConfig):
    name = "media_pipeline"
    verbose_name = "视频处理"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from sunshine import scheduler

        from . import signals  # noqa: F401
        from .stalled import requeue_stalled

        # A worker killed while it probed or transcoded leaves its video busy forever unless
        # something notices; the scheduler runs this in its own process, a few queries.
        scheduler.register(
            "requeue_stalled_videos", every=timedelta(minutes=1), func=requeue_stalled
        )
        post_migrate.connect(
            grant_video_permissions, sender=self, dispatch_uid="media_pipeline.permissions"
        )
