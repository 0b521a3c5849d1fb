"""When the database is busy or gone: 503 with Retry-After, never a 500.

An anonymous page that the page cache kept a last good copy of is answered with that copy
instead (sunshine.cache.last_good_copy): through an outage, a lesson seen before stays readable.

APIs (and anything asking for JSON) get `{code, message}` in Chinese; pages get a Chinese page
with the hotlines, written without the database (no site settings, no menus), because a student
who came for help must still see where to find it.

Two ways in. `DatabaseUnavailableMiddleware.process_exception` answers for a view (or the
template it renders) that hits the database; `server_error`, the project's handler500, answers
for the same errors raised in a middleware (a session read, a login check), which
process_exception never sees.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = "服务暂时繁忙或无法连接数据库，请稍后重试"
JSON_PREFIXES = ("/api/", "/media-pipeline/")


def is_database_unavailable(exc):
    """A busy (locked, timed out) or unreachable database, not a bug in a query."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    # SQLite reports a schema mistake as OperationalError too: that one is a bug, a 500.
    text = str(exc)
    return not (text.startswith("no such ") or "syntax error" in text)


def wants_json(request):
    if (
        request.path.startswith(JSON_PREFIXES)
        or request.path.endswith(".json")  # data a page fetches (the picker's places.json)
        or request.content_type == "application/json"
    ):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def unavailable_response(request):
    if not wants_json(request):
        from sunshine.cache import last_good_copy

        # A page an anonymous visitor has seen before: its last good copy beats "come back".
        if (copy := last_good_copy(request)) is not None:
            return copy
    if wants_json(request):
        response = JsonResponse(
            {"code": "unavailable", "message": MESSAGE},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("数据库不可用（%s）：%s 返回 503", exception, request.path)
        return unavailable_response(request)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: Django calls it inside the `except` block, so the exception is at hand."""
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request, template_name)
