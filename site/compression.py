"""Gzip for HTML, JSON and other text Django renders (static files come compressed from
WhiteNoise: see settings.STORAGES), except responses that carry a CSRF token.

BREACH: a page that holds a secret (the CSRF token) and reflects what the visitor sent (a search
box, a form's errors), compressed, lets an attacker who sees the encrypted length guess the secret
one character at a time. Django masks the token afresh on every response and its GZipMiddleware
pads the gzip header with random bytes; we also leave every response that rendered a token
uncompressed. Those are few (the login, the 心灵信箱 forms, the class-meeting form); the pages a
student opens, with their transcripts and player, are compressed.
"""

from django.conf import settings
from django.middleware.gzip import GZipMiddleware


def carries_csrf_token(response):
    # A response that rendered a token ({% csrf_token %}, get_token) is sent with the CSRF
    # cookie: CsrfViewMiddleware sets it whenever the token was used, and only then.
    return settings.CSRF_COOKIE_NAME in response.cookies


# Text only. Video segments, posters, zips, PDFs and DOCX (served through Django when media is on
# local disk) are compressed already: gzipping them would cost CPU for nothing and drop the
# Content-Length that download progress and range requests rely on.
TEXT_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/vnd.apple.mpegurl",
    "application/x-mpegurl",
    "image/svg+xml",
)


def is_text(response):
    content_type = response.get("Content-Type", "").lower()
    return content_type.startswith(TEXT_TYPES)


class TextCompressionMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if carries_csrf_token(response) or not is_text(response):
            return response
        if response.status_code == 206 or response.has_header("Content-Range"):
            return response  # a byte range of the file as stored, not of a gzip stream
        return super().process_response(request, response)
