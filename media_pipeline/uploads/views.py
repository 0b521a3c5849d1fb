"""The upload API the admin uploader speaks (JSON, Chinese errors, never a 500).

POST   uploads/                  {title, filename, size, content_type} → session
GET    uploads/<id>/             offset (local) or the parts S3 has (resume)
PATCH  uploads/<id>/             Upload-Offset header + raw chunk bytes (local)
POST   uploads/<id>/parts/       {parts: [n, …]} → presigned PUT URLs (S3)
POST   uploads/<id>/complete/    → the new VideoAsset, queued for processing
DELETE uploads/<id>/             abandon the upload
"""

import json
import logging
import os
import uuid
from functools import wraps

from botocore.exceptions import BotoCoreError, ClientError
from django.db import transaction
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .. import conf, storage
from ..engine.sniff import SNIFF_BYTES, extension_error, sniff_error
from ..models import UploadSession, VideoAsset
from . import local, s3

logger = logging.getLogger(__name__)


def error(message, status=400, **extra):
    return JsonResponse({"error": message, **extra}, status=status)


def editor_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return error("请先登录管理后台。", status=401)
        if not (
            user.has_perm("wagtailadmin.access_admin")
            and user.has_perm("media_pipeline.add_videoasset")
        ):
            return error("您没有上传视频的权限。", status=403)
        try:
            return view(request, *args, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            logger.warning("S3 error during upload: %s", exc)
            return error("存储服务暂时不可用，请稍后继续上传（已上传的部分会保留）。", status=503)
        except OSError as exc:
            logger.warning("Storage error during upload: %s", exc)
            return error("服务器存储暂时不可用，请稍后继续上传（已上传的部分会保留）。", status=503)

    return wrapper


def _json_body(request):
    try:
        return json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None


def session_json(session):
    data = {
        "id": str(session.pk),
        "mode": session.mode,
        "status": session.status,
        "title": session.title,
        "filename": session.filename,
        "size": session.size,
        "offset": session.offset,
        "part_size": session.part_size,
        "url": reverse("media_pipeline:upload_detail", args=[session.pk]),
        "complete_url": reverse("media_pipeline:upload_complete", args=[session.pk]),
    }
    if session.mode == UploadSession.Mode.S3:
        data["parts_url"] = reverse("media_pipeline:upload_parts", args=[session.pk])
        data["part_count"] = s3.part_count(session.size, session.part_size)
    if session.video_id:
        data["video"] = session.video.status_json()
    return data


@require_http_methods(["POST"])
@editor_required
def create_upload(request):
    body = _json_body(request)
    if not isinstance(body, dict):
        return error("请求格式不正确。")
    filename = os.path.basename(str(body.get("filename", "")).replace("\\", "/")).strip()
    title = str(body.get("title") or os.path.splitext(filename)[0]).strip()[:200]
    try:
        size = int(body.get("size"))
    except (TypeError, ValueError):
        return error("缺少文件大小。")
    if not filename:
        return error("缺少文件名。")
    reason = extension_error(filename)
    if reason:
        return error(reason, status=415)
    if size <= 0:
        return error("文件是空的（0 字节），请重新选择视频文件。", status=400)
    limit = conf.max_upload_size()
    if size > limit:
        return error(
            f"文件太大（{size / 1024**3:.1f} GB），最大允许 {limit / 1024**3:.0f} GB。",
            status=413,
            max_size=limit,
        )
    content_type = str(body.get("content_type") or "")[:100]
    session_id = uuid.uuid4()
    ext = os.path.splitext(filename)[1].lower()
    if storage.is_s3():
        key = f"video-sources/uploads/{session_id}{ext}"
        session = UploadSession.objects.create(
            id=session_id,
            mode=UploadSession.Mode.S3,
            title=title,
            filename=filename,
            content_type=content_type,
            size=size,
            part_size=max(conf.s3_part_size(), -(-size // 10_000)),
            storage_name=key,
            s3_upload_id=s3.create(key, content_type or "application/octet-stream"),
            created_by=request.user,
        )
    else:
        session = UploadSession.objects.create(
            id=session_id,
            title=title,
            filename=filename,
            content_type=content_type,
            size=size,
            part_size=conf.chunk_size(),
            storage_name=local.part_name(session_id),
            created_by=request.user,
        )
    return JsonResponse(session_json(session), status=201)


def _get_session(request, session_id):
    return UploadSession.objects.filter(pk=session_id, created_by=request.user).first()


@require_http_methods(["GET", "HEAD", "PATCH", "DELETE"])
@editor_required
def upload_detail(request, session_id):
    session = _get_session(request, session_id)
    if session is None:
        return error("找不到这个上传任务，请重新选择文件上传。", status=404)
    if request.method == "DELETE":
        return _abort(session)
    if request.method == "PATCH":
        return _receive(request, session)
    data = session_json(session)
    if session.mode == UploadSession.Mode.S3 and session.status == UploadSession.Status.ACTIVE:
        data["parts"] = s3.list_parts(session)
        data["offset"] = sum(p["size"] for p in data["parts"])
    response = JsonResponse(data)
    response["Upload-Offset"] = str(data["offset"])
    response["Cache-Control"] = "no-store"
    return response


def _receive(request, session):
    if session.mode != UploadSession.Mode.LOCAL:
        return error("此上传任务使用 S3 分片直传，请向预签名地址上传。", status=409)
    if session.status != UploadSession.Status.ACTIVE:
        return error("这个上传任务已经结束。", status=409)
    try:
        offset = int(request.headers.get("Upload-Offset", ""))
        length = int(request.headers.get("Content-Length", ""))
    except ValueError:
        return error("缺少 Upload-Offset 或 Content-Length。")
    if offset != session.offset:
        return error(
            "上传位置不一致，请从服务器确认的位置继续。", status=409, offset=session.offset
        )
    if length <= 0 or length > 4 * session.part_size:
        return error("分块大小不正确。", status=413)
    if offset + length > session.size:
        return error("上传的数据超过了文件大小。", status=413, offset=session.offset)

    def check_first_bytes(data):
        return sniff_error(data[:SNIFF_BYTES])

    try:
        new_offset = local.receive_chunk(session, request, length, check_first_bytes)
    except local.ChunkError as exc:
        if exc.status == 415:
            _discard(session)
        session.refresh_from_db()
        return error(exc.message, status=exc.status, offset=session.offset)
    response = JsonResponse({"offset": new_offset, "size": session.size})
    response["Upload-Offset"] = str(new_offset)
    return response


@require_http_methods(["POST"])
@editor_required
def upload_parts(request, session_id):
    session = _get_session(request, session_id)
    if session is None:
        return error("找不到这个上传任务，请重新选择文件上传。", status=404)
    if session.mode != UploadSession.Mode.S3 or session.status != UploadSession.Status.ACTIVE:
        return error("这个上传任务不需要预签名分片。", status=409)
    body = _json_body(request)
    count = s3.part_count(session.size, session.part_size)
    try:
        numbers = sorted({int(n) for n in (body or {}).get("parts", [])})
    except (TypeError, ValueError):
        return error("分片编号不正确。")
    if not numbers or numbers[0] < 1 or numbers[-1] > count or len(numbers) > 100:
        return error(f"分片编号应在 1–{count} 之间，每次最多 100 个。")
    return JsonResponse(
        {"urls": s3.presign_parts(session, numbers), "part_size": session.part_size}
    )


def _discard(session):
    if session.mode == UploadSession.Mode.S3:
        s3.abort(session)
    else:
        local.discard(session)
    UploadSession.objects.filter(pk=session.pk).update(status=UploadSession.Status.ABORTED)


def _abort(session):
    if session.status == UploadSession.Status.ACTIVE:
        _discard(session)
    return JsonResponse({"id": str(session.pk), "status": UploadSession.Status.ABORTED})


@require_http_methods(["POST"])
@editor_required
def complete_upload(request, session_id):
    with transaction.atomic():
        session = (
            UploadSession.objects.select_for_update()
            .filter(pk=session_id, created_by=request.user)
            .first()
        )
        if session is None:
            return error("找不到这个上传任务，请重新选择文件上传。", status=404)
        if session.status == UploadSession.Status.COMPLETE:
            return JsonResponse(session_json(session))  # a retried complete is harmless
        if session.status != UploadSession.Status.ACTIVE:
            return error("这个上传任务已经取消。", status=409)
        if session.mode == UploadSession.Mode.S3:
            result = _complete_s3(session)
        else:
            result = _complete_local(session)
        if isinstance(result, JsonResponse):
            return result
        video = VideoAsset.objects.create(
            title=session.title,
            source=result["source"],
            source_name=session.filename,
            source_size=session.size,
            sha256=result["sha256"],
            uploaded_by=request.user,
        )
        session.status = UploadSession.Status.COMPLETE
        session.sha256 = result["sha256"]
        session.video = video
        session.save(update_fields=["status", "sha256", "video", "updated_at"])
    from ..tasks import queue_video

    transaction.on_commit(lambda: queue_video(video))
    data = session_json(session)
    data["video"] = video.status_json()
    data["edit_url"] = reverse("wagtailsnippets_media_pipeline_videoasset:edit", args=[video.pk])
    return JsonResponse(data, status=201)


def _complete_local(session):
    if session.offset != session.size:
        return error(
            "文件还没有上传完，请继续上传。", status=409, offset=session.offset, size=session.size
        )
    sha256 = local.finish_hash(session)  # "" when chunks arrived at several servers
    ext = os.path.splitext(session.filename)[1].lower()
    if sha256:
        name = f"video-sources/{sha256[:2]}/{sha256}{ext}"
    else:  # named by the upload; the worker hashes it
        name = f"video-sources/uploads/{session.pk}{ext}"
    target = storage.local_path(name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    part = local.part_path(session)
    if os.path.exists(target):
        part.unlink()  # the same bytes were uploaded before: keep one copy
    else:
        os.replace(part, target)
    return {"source": name, "sha256": sha256}


def _complete_s3(session):
    parts = s3.list_parts(session)
    count = s3.part_count(session.size, session.part_size)
    numbers = [p["number"] for p in parts]
    if numbers != list(range(1, count + 1)) or sum(p["size"] for p in parts) != session.size:
        missing = sorted(set(range(1, count + 1)) - set(numbers))
        return error("文件还没有上传完，请继续上传。", status=409, missing_parts=missing[:100])
    s3.complete(session, parts)
    size, head = s3.head(session, SNIFF_BYTES)
    reason = sniff_error(head) if size == session.size else "上传的文件大小与声明不符，请重新上传。"
    if reason:
        s3.delete(session)
        UploadSession.objects.filter(pk=session.pk).update(status=UploadSession.Status.ABORTED)
        return error(reason, status=415)
    return {"source": session.storage_name, "sha256": ""}
