"""The public HTTP API, `/api/v1/`: one NinjaAPI with its OpenAPI schema at /api/v1/openapi.json.

Routers: `analytics.api.plays` (the beacon: plays, beats, page views; the views themselves are
in analytics.api.beacon) and `analytics.api.reach` (reports: GET /api/v1/reach).
"""

from django.http import JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from analytics.api import plays, reach

api = NinjaAPI(
    title="阳光课堂 数据接口",
    version="1",
    description=(
        "播放统计信标与覆盖数据。错误一律返回 JSON：`{code, message}`，message 为中文说明。"
    ),
    urls_namespace="analytics_api",
    docs_url=None,  # the Swagger page would load its assets from a CDN
)

api.add_router("", plays.router)
api.add_router("", reach.router)


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    # Ninja's own parameter validation (query strings of GET endpoints): same shape as ours.
    fields = ["·".join(str(p) for p in e.get("loc", [])[1:]) for e in exc.errors]
    return JsonResponse(
        {
            "code": "invalid_parameters",
            "message": "请求参数不正确：" + "、".join(f for f in fields if f),
            "errors": [{"loc": e.get("loc"), "msg": e.get("msg")} for e in exc.errors],
        },
        status=422,
        json_dumps_params={"ensure_ascii": False, "default": str},
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return JsonResponse(
        {"code": "unauthorized", "message": "需要有效的接口令牌"},
        status=401,
        json_dumps_params={"ensure_ascii": False},
    )


@api.exception_handler(HttpError)
def http_error(request, exc):
    return JsonResponse(
        {"code": f"http_{exc.status_code}", "message": str(exc)},
        status=exc.status_code,
        json_dumps_params={"ensure_ascii": False},
    )
