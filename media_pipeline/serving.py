"""Local media serving for the embedded default (no CDN, no reverse proxy).

Players seek with HTTP Range requests, so this answers them (206, 416); content-addressed
outputs get immutable cache headers and the right MIME types for HLS. Private prefixes (sources,
uploads, documents, kit zips) are never served: they reach people only through views that check
the teacher login. In production the reverse proxy (only `videos/` and `images/`) or S3 + CDN
(the public storage) serves media and this is not mounted.

Nothing here lands in the page cache: whole files are streamed (Django's cache middleware never
stores a streaming response), and neither 206 nor 304 answers are stored.
"""

import os
import re
from email.utils import formatdate

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.urls import re_path
from django.utils._os import safe_join
from django.utils.http import http_date

from .storage import IMMUTABLE, PRIVATE_PREFIXES, PUBLIC_PREFIX, content_type_for

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


def media_urlpatterns():
    prefix = settings.MEDIA_URL.lstrip("/")
    if not prefix or "://" in settings.MEDIA_URL:
        return []
    return [re_path(rf"^{re.escape(prefix)}(?P<path>.+)$", serve_media, name="media")]


def _open_range(path, start, length):
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


def serve_media(request, path):
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    normalized = path.replace("\\", "/")
    if any(normalized.startswith(p) for p in PRIVATE_PREFIXES) or "/." in f"/{normalized}":
        raise Http404
    try:
        full_path = safe_join(str(settings.MEDIA_ROOT), normalized)
    except Exception as exc:  # SuspiciousFileOperation: the path tried to leave MEDIA_ROOT
        raise Http404 from exc
    if not os.path.isfile(full_path):
        raise Http404

    stat = os.stat(full_path)
    size = stat.st_size
    etag = f'"{int(stat.st_mtime)}-{size}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": http_date(stat.st_mtime),
        "Cache-Control": IMMUTABLE
        if normalized.startswith(PUBLIC_PREFIX)
        else "public, max-age=3600",
        # Players on other origins (a CDN test page, hls.js workers) read these.
        "Access-Control-Allow-Origin": "*",
    }
    content_type = content_type_for(normalized)

    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
        for name, value in headers.items():
            response[name] = value
        return response

    range_header = request.headers.get("Range", "")
    match = RANGE_RE.match(range_header.strip()) if range_header else None
    if range_header and request.headers.get("If-Range") not in (None, etag):
        match = None  # the file changed since the client's first part: send it whole
    if match:
        first, last = match.groups()
        if first == "" and last == "":
            match = None
        elif first == "":
            length = min(int(last), size)
            start, end = size - length, size - 1
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if match:
            if start >= size or start > end:
                return HttpResponse(
                    status=416,
                    headers={**headers, "Content-Range": f"bytes */{size}"},
                )
            length = end - start + 1
            body = [] if request.method == "HEAD" else _open_range(full_path, start, length)
            response = FileResponse(body, status=206, content_type=content_type)
            # FileResponse only fills these for file objects.
            response["Content-Length"] = str(length)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
            for name, value in headers.items():
                response[name] = value
            return response

    # FileResponse closes the file when the response is done.
    body = [] if request.method == "HEAD" else open(full_path, "rb")  # noqa: SIM115
    response = FileResponse(body, content_type=content_type)
    response["Content-Length"] = str(size)
    for name, value in headers.items():
        response[name] = value
    response["Date"] = formatdate(usegmt=True)
    return response
