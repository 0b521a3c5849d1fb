"""`GET /api/v1/reach`: the admin reports' numbers for the bureau's own systems.

Token auth (`Authorization: Bearer sun_…`, issued in the admin under 数据报表 → 数据接口令牌); a
token is city-wide or tied to one district. Same request checks, scope and suppression as the
reports and exports; bad parameters give 4xx JSON `{"code", "message"}` in Chinese.
"""

import re
from dataclasses import dataclass
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from ninja import Query, Router, Schema
from ninja.security import HttpBearer
from pydantic import WithJsonSchema

from analytics.models import ApiToken
from analytics.reports.data import build_report
from analytics.reports.params import ReportParamError, build_request
from analytics.reports.suppression import HELP_TEXT, HIDDEN, SMALL, published

router = Router(tags=["reach"])

# Each parameter's shape, as the schema states it and as checked here, with the code the report
# parameters use for it (analytics.reports.params checks what they mean). A shape ninja checked
# would be a 422 with ninja's codes; the bureau's systems know these 400s.
DATE = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
SHAPES = {
    "from": (
        {"pattern": DATE},
        "bad_date",
        "参数 from 应为日期，格式为 YYYY-MM-DD，例如 2024-01-15",
    ),
    "to": ({"pattern": DATE}, "bad_date", "参数 to 应为日期，格式为 YYYY-MM-DD，例如 2024-01-15"),
    "by": (
        {"enum": ["district", "school", "series", "lesson", "day"]},
        "bad_by",
        "参数 by 应为以下之一：district、school、series、lesson、day",
    ),
    "district": (
        {"pattern": r"^[0-9]{6}$"},
        "unknown_district",
        "参数 district 应为 6 位行政区划代码",
    ),
    "campaign": (
        {"pattern": r"^(winter|summer|[1-9][0-9]{0,8})$"},
        "unknown_campaign",
        "参数 campaign 应为 winter、summer 或活动编号",
    ),
    "track": (
        {"enum": ["life", "science", "self", "mental_health"]},
        "bad_track",
        "参数 track 应为以下之一：life、science、self、mental_health",
    ),
    "grade": ({"pattern": r"^[a-z_]{1,30}$"}, "bad_grade", "参数 grade 应为学段代码，例如 junior"),
    "series": ({"pattern": r"^[1-9][0-9]{0,8}$"}, "bad_series", "参数 series 应为系列课程页面编号"),
}


def _shape(name):
    """The parameter's shape in the schema, as SHAPES gives it: checked by _shape_error, so
    that the answer is our 400, not a 422 of ninja's."""
    return WithJsonSchema({"type": "string", **SHAPES[name][0]})


def _shape_error(values):
    for name, value in values.items():
        if value is None:
            continue
        if len(value) > 100 or any(ord(char) < 32 for char in value):
            return {"code": "bad_parameter", "message": f"参数 {name} 含有不允许的字符或过长"}
        shape, code, message = SHAPES[name]
        if "enum" in shape and value not in shape["enum"]:
            return {"code": code, "message": f"{message}（收到：{value}）"}
        if "pattern" in shape and not re.fullmatch(shape["pattern"], value):
            return {"code": code, "message": message}
    return None


@dataclass
class TokenCheck:
    """Always truthy, so the view (not ninja) answers a bad token, in our JSON and in Chinese."""

    token: ApiToken | None
    problem: str = ""


class ReachTokenAuth(HttpBearer):
    openapi_description = "数据接口令牌：在管理后台“数据报表 → 数据接口令牌”签发，只显示一次。"

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return TokenCheck(None, "缺少 Authorization 请求头，应为：Bearer <令牌>")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return TokenCheck(None, "Authorization 请求头格式应为：Bearer <令牌>")
        return self.authenticate(request, raw.strip())

    def authenticate(self, request, token):
        found = ApiToken.objects.for_raw_token(token)
        if found is None:
            return TokenCheck(None, "令牌无效或已被吊销")
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        return TokenCheck(found)


class Error(Schema):
    code: str
    message: str


class Row(Schema):
    key: str
    label: str
    code: str
    group: str
    district: str | None = None
    views: int | str
    viewers: int | str
    viewers_exact: bool
    watch_hours: float | str
    completions: int | str
    completion_rate: float | str | None
    suppressed: str | None = None
    class_meetings: int | None = None
    class_meeting_students: int | None = None
    live_participants_imported: int | None = None


class Reach(Schema):
    by: str
    date_from: str
    date_to: str
    scope: str
    district: str | None
    campaign: str | None
    track: str | None
    grade: str | None
    updated_at: str | None = None
    rows: list[Row]
    total: Row
    # 待核实: held school × day ranges, apart from the rows and the total (not counted in them).
    held: list[Row] = []
    notes: list[str]


NOTES = [
    "views 为人次，viewers 为人数，watch_hours 为观看时长（小时），"
    "completions 为完成人次，completion_rate 为完成率（%）。",
    "viewers_exact 为 false 时，人数按日累计、跨天未去重。",
    HELP_TEXT,
    "按学校（by=school）时每行的 district 为所属区县代码，key 为学校编号（0 为未知学校）。",
    "class_meetings 等为教师登记的班会，live_participants_imported 为导入的直播参与数据。",
    "held 为市级管理员标为“待核实”的学校和日期，其数据不计入 rows 和 total，解除标记后恢复计入。",
]


def _row(row, by):
    suppressed = {"small": SMALL, "merged": HIDDEN}.get(row.suppressed)
    key = row.key
    if isinstance(key, tuple):
        key = key[-1]
    return {
        "key": "total"
        if row.is_total
        else f"held-{key}"
        if row.is_held
        else str(key.isoformat() if hasattr(key, "isoformat") else key),
        "label": row.label,
        "code": row.code,
        "group": row.group,
        "district": row.group_key if by == "school" and not row.is_total else None,
        "views": published(row, "views"),
        "viewers": published(row, "viewers"),
        "viewers_exact": row.exact,
        "watch_hours": published(row, "watch_hours"),
        "completions": published(row, "completions"),
        "completion_rate": published(row, "completion_rate"),
        "suppressed": suppressed,
        "class_meetings": row.class_meetings,
        "class_meeting_students": row.class_meeting_students,
        "live_participants_imported": row.live_participants,
    }


@router.get(
    "/reach",
    auth=ReachTokenAuth(),
    response={200: Reach, 400: Error, 401: Error, 403: Error},
    summary="覆盖统计（人次、人数、观看时长、完成率）",
    description=(
        "按区县（district）、学校（school，可配合 district）、系列课程（series）、课程（lesson）"
        "或日期（day）汇总。日期为北京时间，from/to 含首尾；"
        "campaign 为活动预设（winter、summer 或活动编号），不能与 from/to 同用。"
        "区县令牌只能读取本区县。"
        "参数不符合格式、参数组合不成立（from 晚于 to、活动与日期同用、范围超过 3 年、不存在的"
        "日期）或没有对应的区县、活动、学段、系列课程时返回 400。"
    ),
)
def reach(
    request,
    response: HttpResponse,
    date_from: Annotated[str | None, _shape("from")] = Query(
        None, alias="from", description="开始日期 YYYY-MM-DD，2000–2099 年（默认：to 前 29 天）"
    ),
    to: Annotated[str | None, _shape("to")] = Query(
        None, description="结束日期 YYYY-MM-DD，2000–2099 年（默认：今天）"
    ),
    by: Annotated[str | None, _shape("by")] = Query("district", description="汇总方式"),
    district: Annotated[str | None, _shape("district")] = Query(
        None, description="6 位行政区划代码"
    ),
    campaign: Annotated[str | None, _shape("campaign")] = Query(
        None, description="winter | summer | 活动编号"
    ),
    track: Annotated[str | None, _shape("track")] = Query(None, description="课程板块"),
    grade: Annotated[str | None, _shape("grade")] = Query(
        None, description="学段代码，例如 junior"
    ),
    series: Annotated[str | None, _shape("series")] = Query(
        None, description="系列课程页面编号（用于 by=lesson）"
    ),
):
    # Per-token answers: never from or into the page cache or any shared cache.
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["Authorization"])
    check = request.auth
    if check.token is None:
        return 401, {"code": "unauthorized", "message": check.problem}
    scope = check.token.district
    values = {"from": date_from, "to": to, "by": by, "district": district, "campaign": campaign}
    values.update(track=track, grade=grade, series=series)
    if refusal := _shape_error(values):
        return 400, refusal
    try:
        report_request = build_request(
            by=by,
            date_from=date_from,
            date_to=to,
            campaign=campaign,
            district=district,
            track=track,
            grade_band=grade,
            series=series,
            scope=scope,
        )
        report = build_report(report_request)
    except PermissionDenied:
        return 403, {
            "code": "forbidden_district",
            "message": f"该令牌只能读取{scope.name}（{scope.code}）的数据",
        }
    except ReportParamError as error:
        return 400, {"code": error.code, "message": error.message}
    except ValueError as error:  # the store's QueryError: a query it cannot answer
        return 400, {"code": "bad_query", "message": str(error)}
    return 200, payload(report, scope)


def payload(report, scope=None):
    """The JSON answer for a report (also `reach_report --format json`)."""
    request = report.request
    return {
        "by": request.by,
        "date_from": request.date_from.isoformat(),
        "date_to": request.date_to.isoformat(),
        "scope": scope.code if scope else "city",
        "district": request.district.code if request.district else None,
        "campaign": request.campaign.name if request.campaign else None,
        "track": request.track,
        "grade": request.grade_band.code if request.grade_band else None,
        "updated_at": report.updated_at.isoformat() if report.updated_at else None,
        "rows": [_row(row, request.by) for row in report.rows],
        "total": _row(report.total, request.by),
        "held": [_row(row, request.by) for row in report.held],
        "notes": NOTES,
    }
