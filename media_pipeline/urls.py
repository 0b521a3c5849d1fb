from django.urls import path

from . import preview_views, views
from .uploads import views as uploads

app_name = "media_pipeline"
urlpatterns = [
    path("uploads/", uploads.create_upload, name="upload_create"),
    path("uploads/<uuid:session_id>/", uploads.upload_detail, name="upload_detail"),
    path("uploads/<uuid:session_id>/parts/", uploads.upload_parts, name="upload_parts"),
    path("uploads/<uuid:session_id>/complete/", uploads.complete_upload, name="upload_complete"),
    path("videos/status/", views.video_status, name="video_status"),
    path("videos/<int:video_id>/requeue/", views.requeue, name="video_requeue"),
    path("kits/<int:page_id>/bundle/", views.kit_bundle, name="kit_bundle"),
    path(
        "kits/materials/<int:material_id>/preview/",
        preview_views.material_preview,
        name="material_preview",
    ),
    path(
        "kits/materials/<int:material_id>/preview/<int:number>.jpg",
        preview_views.material_preview_page,
        name="material_preview_page",
    ),
]
