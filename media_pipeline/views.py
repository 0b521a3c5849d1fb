"""Small JSON endpoints for the admin (live status, re-queue) and the kit "下载全部" download."""

from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import storage
from .models import KitBundle, VideoAsset
from .signals import kit_bundle_served

VIEW_PERMISSIONS = ("media_pipeline.view_videoasset", "media_pipeline.change_videoasset")


def _sees_videos(user):
    """Editors and reviewers (and admins): the video permissions, not merely the admin. District
    staff reach the admin for their reports but have no business with anyone's videos."""
    return (
        user.is_authenticated
        and user.has_perm("wagtailadmin.access_admin")
        and any(user.has_perm(name) for name in VIEW_PERMISSIONS)
    )


@require_GET
@never_cache
def video_status(request):
    """GET ?ids=1,2,3 → what each video is doing, for the admin to poll."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "请先登录管理后台。"}, status=403)
    if not _sees_videos(request.user):
        return JsonResponse({"error": "您没有查看视频的权限。"}, status=403)
    try:
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.strip()][:200]
    except ValueError:
        return JsonResponse({"error": "视频编号不正确。"}, status=400)
    videos = VideoAsset.objects.filter(pk__in=ids).select_related("encoding")
    return JsonResponse({"videos": [video.status_json() for video in videos]})


@require_POST
def requeue(request, video_id):
    """The editor's "重新处理" button (also used by the admin listing)."""
    from .tasks import requeue_video

    user = request.user
    if not (_sees_videos(user) and user.has_perm("media_pipeline.change_videoasset")):
        return JsonResponse({"error": "您没有重新处理视频的权限。"}, status=403)
    video = get_object_or_404(VideoAsset.objects.select_related("encoding"), pk=video_id)
    if not video.can_requeue():
        return JsonResponse({"error": "视频正在处理中，无需重新排队。"}, status=409)
    requeue_video(video)
    video.refresh_from_db()
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(video.status_json())
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "wagtailsnippets_media_pipeline_videoasset:list"
    return redirect(target)


def _kit_download_allowed(request):
    """The same rule as the per-file downloads (courses.access, used by the site's
    before_serve_document hook)."""
    from courses.access import can_download_kit_materials, kit_downloads_require_login

    return not kit_downloads_require_login(request) or can_download_kit_materials(request.user)


def _refused(request, kit, wants_json):
    if request.user.is_authenticated:
        message = "班会资源包仅供教师和教育局工作人员下载。"
        if wants_json:
            return JsonResponse({"error": message}, status=403)
        context = {"page": kit, "denied": message}
        return render(request, "media_pipeline/kit_bundle_wait.html", context, status=403)
    if wants_json:
        return JsonResponse({"error": "请先用教师账号登录后再下载资源包。"}, status=401)
    return redirect_to_login(request.get_full_path())


def _not_ready(request, kit, bundle, wants_json):
    state = bundle.status if bundle else KitBundle.Status.BUILDING
    status = 202 if state == KitBundle.Status.BUILDING else 503
    if wants_json:
        body = {"status": state}
        if state == KitBundle.Status.FAILED:
            body["error"] = "打包失败，请稍后再试或逐个下载。"
        return JsonResponse(body, status=status)
    context = {"page": kit, "bundle": bundle}
    return render(request, "media_pipeline/kit_bundle_wait.html", context, status=status)


@never_cache  # per visitor (the login) and changing (a build finishing)
def kit_bundle(request, page_id):
    """ "下载全部": the kit's zip when it is built (a redirect to a short-lived signed S3 URL,
    or the file); otherwise start building it and say so (JSON for the button's script, a page
    that refreshes itself for everyone else)."""
    from courses.models import ClassMeetingKitPage

    from .bundles import bundle_filename, current_bundle, rebuild

    kit = ClassMeetingKitPage.objects.live().filter(pk=page_id).first()
    if kit is None:
        raise Http404
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if not _kit_download_allowed(request):
        return _refused(request, kit, wants_json)
    bundle = current_bundle(kit)
    if bundle is None or bundle.status != KitBundle.Status.READY:
        return _not_ready(request, kit, bundle, wants_json)
    if wants_json:
        return JsonResponse({"status": "ready", "url": request.path, "size": bundle.size})
    filename = bundle_filename(kit)
    kit_bundle_served.send(sender=KitBundle, kit=kit, request=request)
    if storage.is_s3():
        return redirect(storage.presigned_download_url(bundle.file, filename))
    try:
        handle = default_storage.open(bundle.file, "rb")
    except FileNotFoundError:  # removed since it was checked: build it again
        return _not_ready(request, kit, rebuild(bundle), wants_json)
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/zip"
    )
