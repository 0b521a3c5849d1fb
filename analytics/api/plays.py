"""The beacon: `POST /api/v1/plays`, `POST /api/v1/plays/beat`, `POST /api/v1/pageviews`.

Bodies are parsed here rather than by ninja: `navigator.sendBeacon` sends text/plain, a batch
must keep its valid items when another item is bad, and every error must say in Chinese what
is wrong. The OpenAPI schema still describes every body and answer (`openapi_extra`).
"""

import json
import logging
import time

from django.http import JsonResponse
from ninja import Field, Router, Schema

from analytics import conf, content, ingest, privacy, spool, tokens
from analytics.protocol import MAX_DURATION_S, MAX_SEQ, MAX_WATCHED_S, BeatRejected, validate_beat
from analytics.stores import get_store

logger = logging.getLogger(__name__)
router = Router(tags=["beacon"])

ACCEPTED_CONTENT_TYPES = {"application/json", "text/plain"}
MAX_PAGE_ID = 2**31 - 1


class Error(Schema):
    code: str = Field(..., description="机器可读的错误代码")
    message: str = Field(..., description="中文说明")


class PlayStartOut(Schema):
    token: str
    play_id: str
    beat_interval: int
    district: str
    school_id: int


class Ignored(Schema):
    code: str
    message: str


class ItemResult(Schema):
    index: int
    ok: bool
    code: str | None = None
    message: str | None = None


class BeatOut(Schema):
    accepted: int
    rejected: int
    spooled: bool
    results: list[ItemResult]


class PageViewOut(Schema):
    counted: bool


def _schema(properties, required):
    return {"type": "object", "properties": properties, "required": required}


ATTRIBUTION_PROPERTIES = {
    "district": {"type": ["string", "null"], "description": "6 位区县代码（来自分享链接/选择）"},
    "school": {"type": ["string", "null"], "description": "学校代码"},
    "via": {"type": ["string", "null"], "enum": ["link", "qr", "picker", None]},
}
PLAY_START = _schema(
    {
        "page_id": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_ID},
        "viewer": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{8,64}$",
            "description": "浏览器生成的随机编号（localStorage `sunshine:viewer`）",
        },
        **ATTRIBUTION_PROPERTIES,
    },
    ["page_id", "viewer"],
)
BEAT = _schema(
    {
        "token": {"type": "string", "description": "开始播放时返回的凭证"},
        "seq": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ},
        "watched_s": {"type": "number", "minimum": 0, "maximum": MAX_WATCHED_S},
        "max_pos_s": {"type": "number", "minimum": 0, "maximum": MAX_DURATION_S},
        "duration_s": {"type": "number", "minimum": 0, "maximum": MAX_DURATION_S},
    },
    ["token", "seq", "watched_s", "max_pos_s", "duration_s"],
)
BEAT_BATCH = {"type": "array", "items": BEAT, "minItems": 1, "maxItems": 50}
PAGE_VIEW = _schema(
    {
        "page_id": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_ID},
        **ATTRIBUTION_PROPERTIES,
    },
    ["page_id"],
)


def _body(schema, description):
    # text/plain: what navigator.sendBeacon sends for a string; the text is the same JSON.
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {"schema": schema},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    }


def _json(data, status=200, interval=None):
    response = JsonResponse(
        data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    if interval:
        response["X-Beat-Interval"] = str(interval)
    return response


def _error(status, code, message):
    return _json({"code": code, "message": message}, status=status)


def _read_json(request):
    """(data, None) or (None, error response)."""
    if request.content_type not in ACCEPTED_CONTENT_TYPES:
        return None, _error(
            415, "unsupported_media_type", "请求体应为 JSON（application/json 或 text/plain）"
        )
    limit = conf.get("ANALYTICS_MAX_BODY_BYTES")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return None, _error(413, "body_too_large", f"请求体过大（最多 {limit} 字节）")
    body = request.body
    if len(body) > limit:
        return None, _error(413, "body_too_large", f"请求体过大（最多 {limit} 字节）")
    try:
        return json.loads(body.decode("utf-8")), None
    except (UnicodeDecodeError, ValueError):
        return None, _error(400, "malformed_json", "请求体不是有效的 JSON")


def _attribution_fields(data):
    for name in ("district", "school", "via"):
        if data.get(name) is not None and not isinstance(data.get(name), str):
            return _error(400, "wrong_type", f"字段 {name} 应为字符串或 null")
    return None


def _page_id(data):
    page_id = data.get("page_id")
    if isinstance(page_id, bool) or not isinstance(page_id, int):
        return None, _error(
            400,
            "wrong_type" if page_id is not None else "missing_field",
            "字段 page_id 应为整数" if page_id is not None else "缺少字段 page_id",
        )
    if not 1 <= page_id <= MAX_PAGE_ID:
        return None, _error(400, "out_of_range", "字段 page_id 超出范围")
    return page_id, None


def _is_bot(request):
    return privacy.is_bot(request.META.get("HTTP_USER_AGENT", ""))


def beat_interval():
    """Seconds between beats: longer while the database is down and beats go to the spool."""
    if conf.get("ANALYTICS_INGEST") == "direct" and _spool_pending():
        return conf.get("ANALYTICS_BEAT_INTERVAL_UNDER_LOAD")
    return conf.get("ANALYTICS_BEAT_INTERVAL")


_pending = {"checked": 0.0, "value": False}


def _spool_pending():
    now = time.monotonic()
    if now - _pending["checked"] > 2:
        _pending["value"] = spool.Spool().pending()
        _pending["checked"] = now
    return _pending["value"]


IGNORED_BOT = {"code": "ignored_bot", "message": "自动程序的访问不计入统计"}


@router.post(
    "/plays",
    response={
        201: PlayStartOut,
        202: Ignored,
        400: Error,
        404: Error,
        413: Error,
        415: Error,
        503: Error,
    },
    summary="开始一次播放，返回签名的播放凭证",
    openapi_extra=_body(PLAY_START, "开始播放"),
)
def start_play(request):
    data, error = _read_json(request)
    if error:
        return error
    if not isinstance(data, dict):
        return _error(400, "not_an_object", "请求体应为 JSON 对象")
    page_id, error = _page_id(data)
    if error:
        return error
    if error := _attribution_fields(data):
        return error
    viewer_id = privacy.viewer_id_for(request, data.get("viewer"))
    if viewer_id is None:
        return _error(400, "invalid_viewer", "字段 viewer 应为 8–64 位字母、数字、-或_")
    described = content.describe(page_id)
    if described is None:
        return _error(404, "page_not_found", "没有这个页面，或页面尚未发布")
    if not described.is_video:
        return _error(400, "not_a_video_page", "该页面没有视频，请改用 /api/v1/pageviews")
    if _is_bot(request):
        return _json(IGNORED_BOT, status=202)
    attribution = content.attribution_for(
        request, data.get("district"), data.get("school"), data.get("via")
    )
    try:
        token, value = tokens.start(described, attribution, viewer_id)
    except get_store().unavailable_errors:
        logger.warning("无法读取去重密钥，播放未开始", exc_info=True)
        return _error(503, "unavailable", "统计服务暂时不可用，请稍后重试")
    interval = beat_interval()
    return _json(
        {
            "token": value,
            "play_id": token.play_id.hex,
            "beat_interval": interval,
            "district": token.district,
            "school_id": token.school_id,
        },
        status=201,
        interval=interval,
    )


@router.post(
    "/plays/beat",
    response={
        200: BeatOut,
        202: Ignored,
        400: Error,
        413: Error,
        415: Error,
        422: BeatOut,
        503: Error,
    },
    summary="上报播放进度（单条或批量）",
    description=(
        '单条心跳、心跳数组，或 `{"beats": [...]}`。每条是累计快照；按 (play_id, seq) 幂等，'
        "各字段取最大值。有错误的条目在 results 中说明原因（422），同批的有效条目照常保存。"
        "响应头 X-Beat-Interval 给出下一次上报的间隔（秒）。"
    ),
    openapi_extra=_body(
        {"oneOf": [BEAT, BEAT_BATCH, _schema({"beats": BEAT_BATCH}, ["beats"])]}, "心跳"
    ),
)
def beat(request):
    data, error = _read_json(request)
    if error:
        return error
    if isinstance(data, dict) and "beats" in data:
        items = data["beats"]
        if not isinstance(items, list):
            return _error(400, "wrong_type", "字段 beats 应为数组")
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        items = [data]
    else:
        return _error(400, "not_an_object", "请求体应为心跳对象或心跳数组")
    if not items:
        return _error(400, "empty_batch", "没有心跳数据")
    max_batch = conf.get("ANALYTICS_MAX_BATCH")
    if len(items) > max_batch:
        return _error(413, "batch_too_large", f"一次最多上报 {max_batch} 条心跳")
    if _is_bot(request):
        return _json(IGNORED_BOT, status=202)

    now = time.time()
    beats, results = [], []
    for index, item in enumerate(items):
        try:
            beats.append(validate_beat(item, index, now=now))
            results.append({"index": index, "ok": True})
        except BeatRejected as rejected:
            results.append(rejected.error.as_dict())

    spooled = False
    if beats:
        try:
            spooled = ingest.get_committer().submit(beats)
        except ingest.Unavailable:
            return _error(503, "unavailable", "统计服务暂时不可用，请稍后重发")
        if spooled and conf.get("ANALYTICS_INGEST") == "direct":  # the database is down
            _pending.update(value=True, checked=time.monotonic())
    rejected = len(items) - len(beats)
    return _json(
        {"accepted": len(beats), "rejected": rejected, "spooled": spooled, "results": results},
        status=422 if rejected else 200,
        interval=beat_interval(),
    )


@router.post(
    "/pageviews",
    response={
        200: PageViewOut,
        202: Ignored,
        400: Error,
        404: Error,
        413: Error,
        415: Error,
        503: Error,
    },
    summary="记录一次页面浏览（没有视频的页面）",
    openapi_extra=_body(PAGE_VIEW, "页面浏览"),
)
def page_view(request):
    data, error = _read_json(request)
    if error:
        return error
    if not isinstance(data, dict):
        return _error(400, "not_an_object", "请求体应为 JSON 对象")
    page_id, error = _page_id(data)
    if error:
        return error
    if error := _attribution_fields(data):
        return error
    if content.describe(page_id) is None:
        return _error(404, "page_not_found", "没有这个页面，或页面尚未发布")
    if _is_bot(request):
        return _json(IGNORED_BOT, status=202)
    attribution = content.attribution_for(
        request, data.get("district"), data.get("school"), data.get("via")
    )
    store = get_store()
    try:
        store.count_page_view(
            day=privacy.local_day(privacy.now()),
            kind="page",
            district=attribution.district,
            school_id=attribution.school_id,
            page_id=page_id,
        )
    except store.unavailable_errors:
        return _error(503, "unavailable", "统计服务暂时不可用")
    return _json({"counted": True})
