"""gunicorn as `sunshine serve` runs it: Chinese answers to malformed requests, no client
addresses in any log.

gunicorn answers a request it cannot parse (a request line over `limit_request_line`, too
many or too long headers, a broken request line) itself, before Django sees it: an English
page, and a warning in the error log with the client's IP address. Viewers are minors and
their addresses are never written down, and the page they get should be one they can read.
`ThreadWorker` is gunicorn's gthread worker with that answer and that log line replaced;
`PrivateLogger` leaves the address, the user agent, the user and every request header and
environ value out of the access log, whatever `--access-logformat` asks for.
"""

import html
import textwrap

from gunicorn import util
from gunicorn.glogging import Logger
from gunicorn.http import errors
from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker

# (status, reason, what the visitor is told), checked in order.
CLIENT_ERRORS = [
    (
        errors.LimitRequestLine,
        414,
        "URI Too Long",
        "网址太长，服务器无法处理。请检查链接是否完整、正确。",
    ),
    (
        errors.LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "请求头太大，服务器无法处理。请清除本站的 Cookie 后重试。",
    ),
    (errors.ForbiddenProxyRequest, 403, "Forbidden", "不接受这个来源的请求。"),
    (
        errors.UnsupportedTransferCoding,
        501,
        "Not Implemented",
        "服务器不支持这种传输方式。",
    ),
    (errors.ExpectationFailed, 417, "Expectation Failed", "服务器无法满足请求的 Expect 要求。"),
]
BAD_REQUEST = (400, "Bad Request", "请求格式不正确，服务器无法处理。请返回首页重新打开。")
# Everything gunicorn itself calls a client's mistake (gunicorn.workers.base.handle_error).
CLIENT_ERROR_TYPES = tuple(
    getattr(errors, name)
    for name in (
        "InvalidRequestLine",
        "InvalidRequestMethod",
        "InvalidHTTPVersion",
        "InvalidHeader",
        "InvalidHeaderName",
        "LimitRequestLine",
        "LimitRequestHeaders",
        "InvalidProxyLine",
        "ForbiddenProxyRequest",
        "InvalidSchemeHeaders",
        "UnsupportedTransferCoding",
        "ObsoleteFolding",
        "ExpectationFailed",
        "InvalidH2CPreface",
        "InvalidChunkSize",
        "ChunkMissingTerminator",
        "InvalidChunkExtension",
    )
    if hasattr(errors, name)
)

PAGE = textwrap.dedent(
    """\
    <!DOCTYPE html>
    <html lang="zh-CN">
    <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>无法处理的请求 - 阳光课堂</title></head>
    <body style="font:16px/1.7 sans-serif;margin:0;padding:1rem;max-width:40rem">
    <h1>无法处理的请求</h1>
    <p>{message}</p>
    <p><a href="/">返回首页</a></p>
    <p>需要帮助？全国心理援助热线 <a href="tel:12356">12356</a>
    · 青少年服务台 <a href="tel:12355">12355</a></p>
    </body>
    </html>
    """
)


def client_error_answer(exc):
    """(status, reason, Chinese message) for a request gunicorn could not parse."""
    for kind, status, reason, message in CLIENT_ERRORS:
        if isinstance(exc, kind):
            return status, reason, message
    return BAD_REQUEST


def error_response(status, reason, message):
    body = PAGE.format(message=html.escape(message)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-Language: zh-CN\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


class ThreadWorker(GunicornThreadWorker):
    def handle_error(self, req, client, addr, exc):
        if not isinstance(exc, CLIENT_ERROR_TYPES):
            # The application's own failures: gunicorn's handling, without the address.
            return super().handle_error(req, client, ("-", -1), exc)
        status, reason, message = client_error_answer(exc)
        # What was wrong, never who sent it; the text is cut short (it can be a long URL).
        self.log.warning("无法解析的请求（%s %s）：%.200s", status, type(exc).__name__, exc)
        try:
            util.write_nonblock(client, error_response(status, reason, message))
        except Exception:
            self.log.debug("Failed to send error message.")


class PrivateLogger(Logger):
    REDACTED = frozenset({"h", "a", "u"})  # remote address, user agent, user

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # Request headers ({…}i) carry X-Forwarded-For, cookies and the user agent; environ
        # values ({…}e) carry REMOTE_ADDR: none of them is logged.
        return {
            key: "-" if key in self.REDACTED else value
            for key, value in atoms.items()
            if not key.endswith(("}i", "}e"))
        }
