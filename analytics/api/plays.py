"""The beacon in the OpenAPI schema: `POST /api/v1/plays`, `/plays/beat`, `/pageviews`.

The views are plain Django views (analytics.api.beacon); the beat's URL even resolves before
ninja's. These operations describe their bodies and answers for the schema (and the fuzz test)
and call the same views.
"""

from ninja import Field, Router, Schema

from analytics.api import beacon
from analytics.content import VIA_VALUES
from analytics.protocol import MAX_DURATION_S, MAX_SEQ, MAX_WATCHED_S
from analytics.viewers import PATTERN as VIEWER_PATTERN

router = Router(tags=["beacon"])
MAX_PAGE_ID = 2**31 - 1


class Error(Schema):
    code: str = Field(..., description="机器可读的错误代码")
    message: str = Field(..., description="中文说明")


class PlayStartOut(Schema):
    token: str
    play_id: str
    day: str = Field(..., description="统计日期（北京时间），同一天内刷新页面可继续这次播放")
    beat_interval: int
    district: str
    school_id: int
    viewer: str | None = Field(
        None,
        description="本站签发的访客编号（请求未带 viewer 时才返回）；存入 localStorage 下次带上",
    )


class ItemResult(Schema):
    index: int
    ok: bool
    code: str | None = None
    message: str | None = None


class BeatOut(Schema):
    accepted: int
    rejected: int
    results: list[ItemResult]


class PageViewOut(Schema):
    counted: bool


def _schema(properties, required):
    return {"type": "object", "properties": properties, "required": required}


ATTRIBUTION_PROPERTIES = {
    "district": {
        "type": ["string", "null"],
        "description": "6 位区县代码（来自分享链接/选择）；不认识的代码计为“未知”",
    },
    "school": {"type": ["string", "null"], "description": "学校代码；不认识的代码计为“未知”"},
    "via": {
        "type": ["string", "null"],
        "enum": [*sorted(VIA_VALUES), None],
        "description": "来源：link 分享链接、qr 二维码、picker 自选；其它值返回 400",
    },
}
PLAY_START = _schema(
    {
        "page_id": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_ID},
        "viewer": {
            "type": ["string", "null"],
            "pattern": VIEWER_PATTERN.pattern,
            "description": (
                "本站签发的访客编号（localStorage `sunshine:viewer`）；没有时不带或为 null，"
                "响应中返回新签发的编号。伪造或自行生成的编号返回 400 invalid_viewer"
            ),
        },
        **ATTRIBUTION_PROPERTIES,
    },
    ["page_id"],
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
    # text/plain: what navigator.sendBeacon sends for a string (no CORS preflight, survives
    # the page closing). The text is the same JSON, so it is described by the same schema.
    return {
        "requestBody": {
            "required": True,
            "description": description
            + "。也可用 text/plain 发送（navigator.sendBeacon），内容是同样的 JSON",
            "content": {
                "application/json": {"schema": schema},
                "text/plain": {"schema": schema},
            },
        }
    }


@router.post(
    "/plays",
    response={
        201: PlayStartOut,
        202: Error,
        400: Error,
        404: Error,
        413: Error,
        415: Error,
        429: Error,
        503: Error,
    },
    summary="开始一次播放，返回签名的播放凭证",
    description=(
        "自动程序和工作人员（编辑、审核、教育局人员）的预览返回 202，不计入统计。"
        "同一网络每分钟开始播放、领取访客编号的次数有上限，超过时返回 429 和 Retry-After。"
    ),
    openapi_extra=_body(PLAY_START, "开始播放"),
)
def start_play(request):
    return beacon.start_play(request)


@router.post(
    "/plays/beat",
    response={
        204: None,
        202: Error,
        400: Error,
        413: Error,
        415: Error,
        422: BeatOut,
        429: Error,
        503: Error,
    },
    summary="上报播放进度（单条或批量）",
    description=(
        '单条心跳、心跳数组，或 `{"beats": [...]}`。每条是累计快照；按 (play_id, seq) 幂等，'
        "各字段取最大值。全部有效时返回 204（无内容）；有错误的条目在 results 中说明原因（422），"
        "同批的有效条目照常保存。响应头 X-Beat-Interval 给出下一次上报的间隔（秒）。"
    ),
    openapi_extra=_body(
        {"oneOf": [BEAT, BEAT_BATCH, _schema({"beats": BEAT_BATCH}, ["beats"])]}, "心跳"
    ),
)
def beat(request):
    return beacon.beat(request)


@router.post(
    "/pageviews",
    response={
        200: PageViewOut,
        202: Error,
        400: Error,
        404: Error,
        413: Error,
        415: Error,
        429: Error,
        503: Error,
    },
    summary="记录一次页面浏览（没有视频的页面）",
    openapi_extra=_body(PAGE_VIEW, "页面浏览"),
)
def page_view(request):
    return beacon.page_view(request)
