"""The 视频 admin: a snippet viewset (so lesson, lecture, replay and kit choosers can pick a
video), its listing with live status and progress, the resumable uploader and re-queue."""

from django.http import HttpResponseNotAllowed
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, SnippetViewSet

from . import storage
from .models import VideoAsset


class StatusColumn(Column):
    """Status, progress bar, failure reason and the re-queue button; kept live by status.js."""

    cell_template_name = "media_pipeline/admin/status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["video"] = instance
        return context


class VideoUploadView(CreateView):
    """ "添加视频" is the resumable uploader, not a one-shot form upload: a 90-minute recording
    must survive a dropped connection."""

    upload_template_name = "media_pipeline/admin/upload.html"

    def get_template_names(self):
        return [self.upload_template_name]

    def get_page_title(self):
        return "上传视频"

    def get_header_title(self):
        return "上传视频"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            upload_create_url=reverse("media_pipeline:upload_create"),
            status_url=reverse("media_pipeline:video_status"),
            list_url=reverse("wagtailsnippets_media_pipeline_videoasset:list"),
            storage_mode="s3" if storage.is_s3() else "local",
        )
        return context

    def post(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["GET"])


class VideoAssetViewSet(SnippetViewSet):
    model = VideoAsset
    icon = "media"
    menu_label = "视频"
    menu_name = "videos"
    menu_order = 250
    add_to_admin_menu = True
    add_view_class = VideoUploadView
    list_display = [
        "title",
        StatusColumn("status", label="状态"),
        Column("duration_text", label="时长"),
        Column("hd_status", label="1080p", accessor="get_hd_status_display"),
        DateColumn("updated_at", label="更新时间"),
    ]
    list_filter = ["status", "hd_status"]
    search_fields = ["title"]
    list_per_page = 50
    ordering = ["-created_at"]
    copy_view_enabled = False


register_snippet(VideoAssetViewSet)


@hooks.register("insert_global_admin_js")
def video_status_js():
    # Tiny and inert on pages without a video status element.
    return format_html(
        '<script type="module" src="{}"></script>', static("media_pipeline/admin_status.js")
    )
