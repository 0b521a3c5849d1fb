"""A lean path for the hottest requests: ahead of Django's full middleware stack.

A playing video sends a beat every 15 s, so the beat is the request the site serves most. Going
through all of MIDDLEWARE (sessions, CSRF, authentication, messages, the page cache, redirects,
django-axes…) cost it more than its own work, and none of those has anything to do with it: the
beat is csrf-exempt, reads no session or user, is never cached, and its errors are its own JSON.

`LEAN_PATHS` (settings) lists the paths; their views come from the URLconf. A request for one of
them *without a session cookie* (a student's phone: no account) is handled by a Django handler
of its own with the short `LEAN_MIDDLEWARE` list: the same view, the same request and response
objects, the same headers on every response (HTTPS redirect, nosniff, referrer policy, CSP,
X-Frame-Options, Content-Length), the same 503 when the database is away. Only `Vary: Cookie` is
missing: nothing on this path reads a cookie. A request with a session cookie (a signed-in
teacher, to whom e.g. the initial-password rule applies) takes the full stack, exactly as
before.

`sunshine.wsgi` wraps the application with `with_lean_paths`; the test client and everything
else go through the full stack as always. tests/site/test_lean.py sends the same requests both
ways and compares the answers.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http.cookie import parse_cookie
from django.urls import resolve
from django.utils.module_loading import import_string

# The middleware that shapes every response, in MIDDLEWARE's order. The others of MIDDLEWARE
# are left out on purpose; tests/site/test_lean.py wants a reason for each (LEFT_OUT).
LEAN_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "sunshine.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sunshine.unavailable.DatabaseUnavailableMiddleware",
)
LEFT_OUT = {
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves static files only",
    "sunshine.compression.TextCompressionMiddleware": "a beat's answer is a few bytes of JSON",
    "sunshine.cache.UpdatePageCacheMiddleware": "the page cache keeps GET pages, never a POST",
    "sunshine.cache.FetchFromPageCacheMiddleware": "the page cache keeps GET pages, never a POST",
    "django.contrib.sessions.middleware.SessionMiddleware": "no session cookie on this path",
    "django.middleware.csrf.CsrfViewMiddleware": "lean views are csrf-exempt (sendBeacon)",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "no session, so no user",
    "django.contrib.messages.middleware.MessageMiddleware": "no page shows the messages",
    "sunshine.roles.middleware.InitialPasswordMiddleware": "applies to signed-in users only",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware": "lean paths are never a 404",
    "sunshine.malformed.MalformedFormMiddleware": "no Django forms on this path",
    "axes.middleware.AxesMiddleware": "login throttling: no login here",
}


# {Content-Type header: (content_type, content_params, encoding)} as Django parsed them.
_content_types: dict[str, tuple] = {}
MAX_CONTENT_TYPES = 64


class LeanRequest(WSGIRequest):
    """Django's request, with its Content-Type parsed once per distinct header: every beacon
    sends the same one, and Django's parser (the e-mail package's) was a tenth of a beat."""

    def _set_content_type_params(self, meta):
        header = meta.get("CONTENT_TYPE", "")
        known = _content_types.get(header)
        if known is None:
            super()._set_content_type_params(meta)
            if len(_content_types) < MAX_CONTENT_TYPES:  # a flood of odd ones is not kept
                kept = (self.content_type, dict(self.content_params), self._encoding)
                _content_types[header] = kept
            return
        self.content_type, params, self._encoding = known
        self.content_params = dict(params)


class LeanHandler(WSGIHandler):
    """Django's WSGI handler for one view, with LEAN_MIDDLEWARE instead of MIDDLEWARE and no
    URL resolving (the path was matched already)."""

    request_class = LeanRequest

    def __init__(self, path):
        self._match = resolve(path)
        if not getattr(self._match.func, "csrf_exempt", False):
            # Without CsrfViewMiddleware, a view that expects CSRF protection would lose it.
            raise ImproperlyConfigured(f"LEAN_PATHS: the view of {path} is not csrf-exempt")
        super().__init__()

    def load_middleware(self, is_async=False):
        # BaseHandler.load_middleware over our list (every one of them is synchronous).
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(LEAN_MIDDLEWARE):
            instance = import_string(path)(handler)
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    def resolve_request(self, request):
        request.resolver_match = self._match
        return self._match


def has_session_cookie(environ) -> bool:
    cookies = environ.get("HTTP_COOKIE", "")
    name = settings.SESSION_COOKIE_NAME
    return name in cookies and name in parse_cookie(cookies)


def with_lean_paths(application):
    """The WSGI application, with LEAN_PATHS answered by their lean handlers."""
    routes = {path: LeanHandler(path) for path in getattr(settings, "LEAN_PATHS", ())}
    if not routes:
        return application

    def dispatch(environ, start_response):
        handler = routes.get(environ.get("PATH_INFO"))
        if handler is None or has_session_cookie(environ):
            return application(environ, start_response)
        return handler(environ, start_response)

    dispatch.full = application  # for tests
    dispatch.routes = routes
    return dispatch
