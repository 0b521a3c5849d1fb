"""A kit material's preview: a page of its page images (or a clear Chinese word why there are
none), and the images themselves, both behind the material's own download rule (previews.py)."""

from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from .models import DocumentPreview
from .previews import current_preview, live_material, may_see

MESSAGES = {
    "video": "这份材料是视频，请在资源包页面直接播放。",
    "none": "这类文件暂不支持在线预览，请下载后查看。",
    "building": "正在生成预览，请稍候，页面会自动刷新。",
    "failed": "暂时无法生成这份材料的预览，请下载后查看。",
}


def _refused(request, wants_json):
    if request.user.is_authenticated:
        message = "班会资源包材料仅供教师和教育局工作人员查看。"
        if wants_json:
            return JsonResponse({"error": message}, status=403)
        return render(request, "courses/kit_download_denied.html", status=403)
    if wants_json:
        return JsonResponse({"error": "请先用教师账号登录后再预览材料。"}, status=401)
    return redirect_to_login(request.get_full_path())


def _state(material):
    """(state, preview): ready, building, failed, none (no preview of this file) or video."""
    if material.document is None:
        return ("video" if material.video_id else "none"), None
    preview = current_preview(material.document)
    if preview is None:
        return "none", None
    return preview.status, preview


@never_cache  # per visitor (the login rule) and changing (a preview being drawn)
def material_preview(request, material_id):
    material = live_material(material_id)
    if material is None:
        raise Http404
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if not may_see(request):
        return _refused(request, wants_json)
    state, preview = _state(material)
    pages = []
    if state == DocumentPreview.Status.READY:
        pages = [
            reverse("media_pipeline:material_preview_page", args=[material.pk, n])
            for n in range(1, preview.pages + 1)
        ]
    total = preview.total_pages if preview else 0
    if wants_json:
        body = {"status": state, "pages": pages, "total_pages": total}
        if preview is not None:
            body.update(width=preview.width, height=preview.height)
        if state != DocumentPreview.Status.READY:
            body["message"] = MESSAGES[state]
        return JsonResponse(body, status=202 if state == "building" else 200)
    context = {
        "material": material,
        "kit": material.page,
        "state": state,
        "message": MESSAGES.get(state, ""),
        "pages": pages,
        "total_pages": total,
        "more": total > len(pages) and bool(pages),
        "width": preview.width if preview else 0,
        "height": preview.height if preview else 0,
    }
    return render(
        request,
        "media_pipeline/material_preview.html",
        context,
        status=202 if state == "building" else 200,
    )


def material_preview_page(request, material_id, number):
    material = live_material(material_id)
    if material is None or material.document is None:
        raise Http404
    if not may_see(request):
        return _refused(request, wants_json=True)
    preview = current_preview(material.document)
    if preview is None or preview.status != DocumentPreview.Status.READY:
        raise Http404
    if not 1 <= number <= preview.pages:
        raise Http404
    try:
        handle = default_storage.open(preview.page_name(number), "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg")
    # The same images for everyone allowed, but only for them: never in a shared cache.
    response["Cache-Control"] = "private, max-age=86400"
    return response
