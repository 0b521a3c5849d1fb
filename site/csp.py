"""The Content-Security-Policy (django-csp): what the site's pages may load and run.

Public pages run only our own static ES modules (no inline script, no inline style, no eval),
so an injected `<script>` in a page a child reads does nothing. No nonces: anonymous pages are
served from the page cache to everybody, and a cached nonce would be the same for all.

The media origins (a CDN, the S3 endpoint that takes uploads straight from the browser) are
added from the storage settings. The Wagtail admin gets the few allowances Wagtail 8 still
needs (`ADMIN_ALLOWANCES`); nothing of ours relies on them.
"""

import base64
import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import HEADER, HEADER_REPORT_ONLY, NONE, SELF, UNSAFE_INLINE
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from django.conf import settings

from sunshine import process_state

# What Wagtail 8's admin still does that a strict policy forbids (wagtail/wagtail#1288 and
# #7053 track it), as its screens showed it in tests/browser/test_admin_csp.py:
# - inline <script> in its form widgets and panels (date and time pickers in report filters
#   and page editors, InlinePanel, MultipleChooserPanel): "script-src 'unsafe-inline'";
# - <style> elements its editor scripts insert (vendor.js, in every page editor):
#   "style-src 'unsafe-inline'";
# - the preview of an image chosen for upload, a blob: URL: "img-src blob:".
# Only under the admin's URL prefix (staff, signed in), never on the pages children read.
ADMIN_ALLOWANCES = {
    "script-src": [UNSAFE_INLINE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["blob:"],
}
ADMIN_PREFIX = "/admin/"


def origin(url):
    """'https://cdn.example.cn/media/' → 'https://cdn.example.cn'; '' or a path → None."""
    parts = urlsplit(url or "")
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def media_origins(variables):
    """Where the browser fetches video, posters and captions from, and sends S3 upload parts
    to, besides the site itself: from MEDIA_URL, the CDN domain, the S3 endpoint (path-style
    and virtual-hosted), AWS's own bucket hosts, and CSP_MEDIA_ORIGINS for anything else."""
    found = [origin(variables.get("MEDIA_URL"))]
    if variables.get("AWS_S3_CUSTOM_DOMAIN"):
        found.append(f"https://{variables['AWS_S3_CUSTOM_DOMAIN']}")
    buckets = [
        name
        for name in (
            variables.get("AWS_STORAGE_BUCKET_NAME"),
            variables.get("AWS_S3_PUBLIC_BUCKET_NAME"),
        )
        if name
    ]
    if buckets:
        endpoint = origin(variables.get("AWS_S3_ENDPOINT_URL"))
        if endpoint:
            scheme, host = endpoint.split("://", 1)
            found.append(endpoint)
            found += [f"{scheme}://{bucket}.{host}" for bucket in buckets]
        else:
            region = variables.get("AWS_S3_REGION_NAME", "us-east-1")
            suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
            for bucket in buckets:
                found += [f"https://{bucket}.s3.{region}.{suffix}", f"https://{bucket}.s3.{suffix}"]
    found += [
        origin(item.strip()) or item.strip()
        for item in variables.get("CSP_MEDIA_ORIGINS", "").split(",")
    ]
    return list(dict.fromkeys(item for item in found if item))


# Pages rendered without static files or template tags: the server error and the database-away
# page (sunshine.unavailable), which must look right when nothing else works.
STANDALONE_PAGES = ("500.html", "503.html")


def inline_style_hashes(*templates):
    """'sha256-…' sources for the <style> blocks of pages rendered without static files (the
    500 page), so that they keep their look under "style-src 'self'"."""
    sources = []
    for template in templates:
        for block in re.findall(r"<style>(.*?)</style>", Path(template).read_text(), re.S):
            digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
            sources.append(f"'sha256-{digest}'")
    return sources


def directives(variables, base_dir):
    media = media_origins(variables)
    return {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [
            SELF,
            *inline_style_hashes(*(base_dir / "templates" / n for n in STANDALONE_PAGES)),
        ],
        "img-src": [SELF, "data:", *media],
        # hls.js plays through MediaSource (blob: URLs) and fetches playlists and segments.
        "media-src": [SELF, "blob:", *media],
        "connect-src": [SELF, *media],
        # hls.js starts its transmuxer in a worker made from a blob.
        "worker-src": [SELF, "blob:"],
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }


# What a response can carry that makes its policy its own (django-csp's decorators and
# exemptions); a response with none of them gets the policy of its side of the site.
PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
# {under the admin's prefix: {header: value}}, built by django-csp on first use. django-csp
# builds the policy again for every response (a large part of a beat's CPU), though without a nonce
# or a decorator it depends only on the settings and on that prefix.
_policies: dict[bool, dict[str, str]] = {}
process_state.register(
    "sunshine.csp_policies",
    _policies.clear,
    settings=["CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY", "DEBUG"],
)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's allowances under the admin's prefix, and the
    policy of a response that has nothing of its own kept once built (`_policies`).

    The allowances replace their directives' hashes: a browser ignores 'unsafe-inline' in a
    directive that also lists a hash (the 500 page's style)."""

    def process_response(self, request, response):
        if not self._shared_policy(request, response):
            return super().process_response(request, response)
        admin = request.path_info.startswith(ADMIN_PREFIX)
        headers = _policies.get(admin)
        if headers is None:
            response = super().process_response(request, response)
            written = (HEADER, HEADER_REPORT_ONLY)
            _policies[admin] = {name: response[name] for name in written if name in response}
            return response
        for header, value in headers.items():
            response[header] = value
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    @staticmethod
    def _shared_policy(request, response) -> bool:
        return (
            getattr(request, "_csp_nonce", None) is None
            and not any(hasattr(response, name) for name in PER_RESPONSE)
            and HEADER not in response
            and HEADER_REPORT_ONLY not in response
            and not settings.DEBUG
            and not (settings.CONTENT_SECURITY_POLICY or {}).get("EXCLUDE_URL_PREFIXES")
            and not (getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}).get(
                "EXCLUDE_URL_PREFIXES"
            )
        )

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(ADMIN_PREFIX):
            base = (parts.config or settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]).copy()
            base.update(parts.replace or {})
            replace = dict(parts.replace or {})
            for directive, allowed in ADMIN_ALLOWANCES.items():
                kept = [source for source in base.get(directive) or [] if "sha256-" not in source]
                replace[directive] = kept + allowed
            parts.replace = replace
        return parts
