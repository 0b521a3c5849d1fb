"""Small JSON endpoints for the admin (live status, re-queue) and the kit "下载全部" download."""

from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import publish, storage
from .models import KitBundle, VideoAsset


def _editor(request):
    user = request.user
    return user.is_authenticated and user.has_perm("wagtailadmin.access_admin")


@require_GET
def video_status(request):
    """GET ?ids=1,2,3 → what each video is doing, for the admin to poll."""
    if not _editor(request):
        return JsonResponse({"error": "请先登录管理后台。"}, status=403)
    try:
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.strip()][:200]
    except ValueError:
        return JsonResponse({"error": "视频编号不正确。"}, status=400)
    videos = VideoAsset.objects.filter(pk__in=ids).select_related("encoding")
    data = []
    for video in videos:
        item = video.status_json()
        item["stalled"] = publish.is_stalled(video)
        if item["stalled"]:
            item["status_text"] = "处理中断（转码进程已停止），请点击“重新处理”"
        data.append(item)
    response = JsonResponse({"videos": data})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def requeue(request, video_id):
    """The editor's "重新处理" button (also used by the admin listing)."""
    from .tasks import requeue_video

    if not (_editor(request) and request.user.has_perm("media_pipeline.change_videoasset")):
        return JsonResponse({"error": "您没有重新处理视频的权限。"}, status=403)
    video = get_object_or_404(VideoAsset, pk=video_id)
    if video.is_busy and not publish.is_stalled(video) and video.status != video.Status.UPLOADED:
        return JsonResponse({"error": "视频正在处理中，无需重新排队。"}, status=409)
    # An `uploaded` video may have lost its job (a wiped queue): queueing again is harmless.
    requeue_video(video)
    video.refresh_from_db()
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(video.status_json())
    return redirect(request.POST.get("next") or "wagtailsnippets_media_pipeline_videoasset:list")


def _kit_download_allowed(request):
    """The same rule as the per-file downloads (courses.access, used by the site's
    before_serve_document hook)."""
    from courses.access import can_download_kit_materials, kit_downloads_require_login

    return not kit_downloads_require_login(request) or can_download_kit_materials(request.user)


def kit_bundle(request, page_id):
    """ "下载全部": the kit's zip when it is built (a redirect to S3, or the file); otherwise
    start building it and say so (JSON for the button's script, a page that refreshes for
    everyone else)."""
    from courses.models import ClassMeetingKitPage

    from .bundles import bundle_filename, current_bundle

    request._cache_update_cache = False  # per-visitor (login) and changing: never page-cached
    kit = ClassMeetingKitPage.objects.live().filter(pk=page_id).first()
    if kit is None:
        raise Http404
    if not _kit_download_allowed(request):
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        if request.user.is_authenticated:
            message = "班会资源包仅供教师和教育局工作人员下载。"
            if wants_json:
                return JsonResponse({"error": message}, status=403)
            return render(
                request,
                "media_pipeline/kit_bundle_wait.html",
                {"page": kit, "denied": message},
                status=403,
            )
        if wants_json:
            return JsonResponse({"error": "请先用教师账号登录后再下载资源包。"}, status=401)
        return redirect_to_login(request.get_full_path())
    bundle = current_bundle(kit)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if bundle is None or bundle.status != KitBundle.Status.READY:
        state = bundle.status if bundle else KitBundle.Status.BUILDING
        if wants_json:
            body = {"status": state}
            if bundle and bundle.status == KitBundle.Status.FAILED:
                body["error"] = "打包失败，请稍后再试或逐个下载。"
            return JsonResponse(body, status=202 if state == KitBundle.Status.BUILDING else 503)
        return render(
            request,
            "media_pipeline/kit_bundle_wait.html",
            {"page": kit, "bundle": bundle},
            status=202 if state == KitBundle.Status.BUILDING else 503,
        )
    filename = bundle_filename(kit)
    if wants_json:
        return JsonResponse({"status": "ready", "url": request.path, "size": bundle.size})
    if storage.is_s3():
        return redirect(storage.presigned_download_url(bundle.file, filename))
    path = storage.local_path(bundle.file)
    response = FileResponse(open(path, "rb"), content_type="application/zip")  # noqa: SIM115
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, max-age=0"
    return response
