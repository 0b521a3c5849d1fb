"""The beacon's views: `POST /api/v1/plays`, `POST /api/v1/plays/beat`, `POST /api/v1/pageviews`.

Plain Django views. The beat is the hottest request of the site, so its URL is routed to
`beat` ahead of the NinjaAPI (analytics/urls.py); ninja still lists all three operations in the
OpenAPI schema (analytics.api.plays), whose handlers call these same functions.

Bodies are parsed here: `navigator.sendBeacon` sends text/plain, a batch must keep its valid
items when another item is bad, and every error must say in Chinese what is wrong. A beat that
is fully accepted gets 204 and no body; X-Beat-Interval says when to send the next one.
"""

import json
import logging
import time

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from analytics import admission, conf, content, ingest, privacy, tokens, viewers
from analytics.privacy import DATABASE_DOWN
from analytics.protocol import BeatRejected, validate_beat

logger = logging.getLogger(__name__)

ACCEPTED_CONTENT_TYPES = frozenset({"application/json", "text/plain"})
IGNORED_BOT = {"code": "ignored_bot", "message": "自动程序的访问不计入统计"}
IGNORED_STAFF = {"code": "ignored_staff", "message": "工作人员预览不计入统计"}
UNAVAILABLE = "统计服务暂时不可用，请稍后重试"
RETRY_AFTER_SECONDS = 30
INVALID_VIEWER = "访客编号无效（不是本站签发的）：请不带 viewer 重新开始播放，以领取新的编号"


def _json(data, status=200, interval=None):
    response = JsonResponse(
        data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    if interval:
        response["X-Beat-Interval"] = str(interval)
    return response


def _error(status, code, message):
    response = _json({"code": code, "message": message}, status=status)
    if status == 503:  # the store is busy or down: the beacon's own retry waits this long
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def read_json(request):
    """(data, None) or (None, error response)."""
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "请使用 POST 方法")
        response["Allow"] = "POST"  # RFC 9110: a 405 says which methods there are
        return None, response
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
        return json.loads(body), None
    except (UnicodeDecodeError, ValueError):
        return None, _error(400, "malformed_json", "请求体不是有效的 JSON")
    except RecursionError:  # nesting deeper than the parser's stack: no beacon sends that
        return None, _error(400, "too_deeply_nested", "请求体的 JSON 嵌套层数过多")


def _too_many(refusal):
    """429: this network (or this play) sent more than a computer room would; come back later."""
    response = _error(
        429,
        "too_many_requests",
        f"来自同一网络的请求过多，请约 {refusal.retry_after} 秒后再试（已记录的进度不会丢失）",
    )
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _attribution_error(data):
    for name in ("district", "school", "via"):
        if data.get(name) is not None and not isinstance(data.get(name), str):
            return _error(400, "wrong_type", f"字段 {name} 应为字符串或 null")
    if data.get("via") is not None and data["via"] not in content.VIA_VALUES:
        # The schema's enum: a via nobody sends is a client's mistake, said so, not dropped.
        return _error(400, "invalid_via", "字段 via 应为 link、qr、picker 或 null")
    return None


def _page_id(data):
    page_id = data.get("page_id")
    if page_id.__class__ is float and page_id.is_integer():
        page_id = int(page_id)  # JSON has one number type: 5.0 is the integer 5
    if page_id.__class__ is not int:
        return None, _error(
            400,
            "wrong_type" if page_id is not None else "missing_field",
            "字段 page_id 应为整数" if page_id is not None else "缺少字段 page_id",
        )
    if not 1 <= page_id <= content.MAX_PAGE_ID:
        return None, _error(400, "out_of_range", "字段 page_id 超出范围")
    return page_id, None


def _is_bot(request):
    return privacy.is_bot(request.META.get("HTTP_USER_AGENT", ""))


def beat_interval():
    """Seconds until the next beat: longer while the store is down or the spool is behind."""
    if ingest.under_load():
        return conf.get("ANALYTICS_BEAT_INTERVAL_UNDER_LOAD")
    return conf.get("ANALYTICS_BEAT_INTERVAL")


def _read_page_request(request):
    """The body of a play start or a page view: (data, page_id, None), or (None, None, the
    response that ends the request: an error, or "not counted" for a bot)."""
    data, error = read_json(request)
    if error:
        return None, None, error
    if not isinstance(data, dict):
        return None, None, _error(400, "not_an_object", "请求体应为 JSON 对象")
    page_id, error = _page_id(data)
    if error:
        return None, None, error
    if error := _attribution_error(data):
        return None, None, error
    if _is_bot(request):
        return None, None, _json(IGNORED_BOT, status=202)
    return data, page_id, None


@csrf_exempt
def start_play(request):
    data, page_id, response = _read_page_request(request)
    if response:
        return response
    try:
        if privacy.is_staff_viewer(request):
            return _json(IGNORED_STAFF, status=202)
        minted = None
        mint = data.get("viewer") is None and privacy.signed_in_viewer(request) is None
        if refusal := admission.check_request(request, "play", *(["viewer"] if mint else [])):
            return _too_many(refusal)
        if mint:
            # A browser without an id gets one now, with its first play (one request, not two).
            minted = viewers.mint()
            viewer_id = privacy.viewer_id_for(request, minted)
        else:
            viewer_id = privacy.viewer_id_for(request, data.get("viewer"))
        if viewer_id is None:
            return _error(400, "invalid_viewer", INVALID_VIEWER)
        described = content.describe(page_id)
        if described is None:
            return _error(404, "page_not_found", "没有这个页面，或页面尚未发布")
        if not described.is_video:
            return _error(400, "not_a_video_page", "该页面没有视频，请改用 /api/v1/pageviews")
        attribution = content.attribution_for(
            request, data.get("district"), data.get("school"), data.get("via")
        )
        token = tokens.start(described, attribution, viewer_id)
    except DATABASE_DOWN:
        logger.warning("数据库不可用，播放未开始", exc_info=True)
        return _error(503, "unavailable", UNAVAILABLE)
    interval = beat_interval()
    return _json(
        {
            "token": token.value,
            "play_id": token.play_id.hex,
            "day": token.day.isoformat(),
            "beat_interval": interval,
            "district": token.district,
            "school_id": token.school_id,
            **({"viewer": minted} if minted else {}),
        },
        status=201,
        interval=interval,
    )


@csrf_exempt
def beat(request):
    # From here on the request counts as on its way: a request about to fsync the beats of
    # this process waits (briefly) for this one's beats too.
    with ingest.get_committer().arriving() as arrival:
        return _beat(request, arrival)


def _beat(request, arrival):
    data, error = read_json(request)
    if error:
        return error
    if data.__class__ is list:
        items = data
    elif data.__class__ is dict:
        items = data.get("beats", [data])
        if items.__class__ is not list:
            return _error(400, "wrong_type", "字段 beats 应为数组")
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
    beats, rejected = [], []
    for index, item in enumerate(items):
        try:
            beats.append(validate_beat(item, index, now=now))
        except BeatRejected as refusal:
            rejected.append(refusal.error)
    plays = {beat.token.play_id for beat in beats}
    if plays and (refusal := admission.check_beats(plays, now=now)):
        return _too_many(refusal)  # nothing taken: the player keeps the beats and resends
    if beats:
        try:
            arrival.committer.submit(beats, arrival)
        except ingest.Unavailable:
            return _error(503, "unavailable", UNAVAILABLE)
    interval = beat_interval()
    if rejected:
        errors = {error.index: error.as_dict() for error in rejected}
        results = [errors.get(i) or {"index": i, "ok": True} for i in range(len(items))]
        return _json(
            {"accepted": len(beats), "rejected": len(rejected), "results": results},
            status=422,
            interval=interval,
        )
    response = HttpResponse(status=204)
    response["X-Beat-Interval"] = str(interval)
    return response


@csrf_exempt
def page_view(request):
    data, page_id, response = _read_page_request(request)
    if response:
        return response
    from analytics.stores import count_view

    try:
        if privacy.is_staff_viewer(request):
            return _json(IGNORED_STAFF, status=202)
        if refusal := admission.check_request(request, "pageview"):
            return _too_many(refusal)
        if content.describe(page_id) is None:
            return _error(404, "page_not_found", "没有这个页面，或页面尚未发布")
        count_view(
            request,
            kind="page",
            page_id=page_id,
            district=data.get("district"),
            school=data.get("school"),
            via=data.get("via"),
        )
    except DATABASE_DOWN:
        logger.warning("数据库不可用，页面浏览未计入", exc_info=True)
        return _error(503, "unavailable", UNAVAILABLE)
    return _json({"counted": True})
