"""The Content-Security-Policy (sunshine.csp): strict on every page children read, cached ones
included, with the few allowances the Wagtail admin needs under /admin/ only; and no inline
script or style of ours anywhere in the templates."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sunshine.csp import STANDALONE_PAGES, directives, media_origins

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def policy(response):
    header = response.headers["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in header.split(";") if part.strip())
    }


def test_public_pages_run_only_our_static_files(site_pages, client):
    url = site_pages.lessons[0].url
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        cached = client.get(url)
    assert len(queries) == 0  # the second one came out of the page cache
    for response in (first, cached):
        csp = policy(response)
        assert csp["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
        assert csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
        assert "blob:" in csp["media-src"] and "blob:" in csp["worker-src"]  # hls.js


def test_the_admin_gets_wagtails_allowances_and_nothing_more(client, admin_user):
    for response in (client.get("/admin/login/"), client.get("/")):
        assert "Content-Security-Policy" in response.headers
    csp = policy(client.get("/admin/login/"))
    assert csp["script-src"] == ["'self'", "'unsafe-inline'"]
    # Without the 500 page's hash, which would make the browser ignore 'unsafe-inline'.
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert csp["object-src"] == ["'none'"] and "'unsafe-eval'" not in csp["script-src"]
    client.force_login(admin_user)
    assert policy(client.get("/admin/"))["script-src"] == ["'self'", "'unsafe-inline'"]


@pytest.mark.parametrize("name", STANDALONE_PAGES)
def test_the_error_pages_keep_their_own_style(name):
    html = (TEMPLATES / name).read_text()
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in directives({}, Path(settings.BASE_DIR))["style-src"]


def test_media_origins_come_from_the_storage_settings():
    assert media_origins({}) == []
    assert media_origins({"MEDIA_URL": "https://media.example.cn/media/"}) == [
        "https://media.example.cn"
    ]
    minio = media_origins(
        {
            "AWS_STORAGE_BUCKET_NAME": "sunshine",
            "AWS_S3_ENDPOINT_URL": "https://s3.bureau.example.cn:9000",
            "AWS_S3_CUSTOM_DOMAIN": "cdn.example.cn",
        }
    )
    assert minio == [
        "https://cdn.example.cn",
        "https://s3.bureau.example.cn:9000",
        "https://sunshine.s3.bureau.example.cn:9000",
    ]
    aws = media_origins({"AWS_STORAGE_BUCKET_NAME": "yg", "AWS_S3_REGION_NAME": "cn-north-1"})
    assert "https://yg.s3.cn-north-1.amazonaws.com.cn" in aws
    extra = media_origins({"CSP_MEDIA_ORIGINS": "https://a.example.cn/x, https://b.example.cn"})
    assert extra == ["https://a.example.cn", "https://b.example.cn"]
    csp = directives({"AWS_S3_CUSTOM_DOMAIN": "cdn.example.cn"}, Path(settings.BASE_DIR))
    for directive in ("img-src", "media-src", "connect-src"):
        assert "https://cdn.example.cn" in csp[directive]
    assert "https://cdn.example.cn" not in csp["script-src"]


def template_files():
    roots = [TEMPLATES, *Path(settings.BASE_DIR).glob("*/templates")]
    return [path for root in roots for path in root.rglob("*.html")]


def test_no_template_of_ours_has_inline_script_or_style():
    assert len(template_files()) > 20
    for path in template_files():
        html = path.read_text()
        for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
            assert "src=" in attrs and not body.strip(), f"inline script in {path}"
        assert not re.search(r"\son[a-z]+=", html), f"event handler attribute in {path}"
        assert not re.search(r"\sstyle=", html), f"style attribute in {path}"
        if path.name not in STANDALONE_PAGES:  # rendered without static files; style hashed
            assert "<style" not in html, f"inline style in {path}"


def _middleware_answer(path="/", **attributes):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from sunshine.csp import ContentSecurityPolicyMiddleware

    def view(request):
        response = HttpResponse("ok")
        for name, value in attributes.items():
            setattr(response, name, value)
        return response

    request = RequestFactory().get(path)
    return ContentSecurityPolicyMiddleware(view)(request), request


def test_the_policy_kept_between_responses_is_the_one_django_csp_builds():
    from csp.utils import build_policy

    from sunshine.csp import _policies

    _policies.clear()
    first, _ = _middleware_answer()
    kept, request = _middleware_answer()
    assert _policies and kept["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert kept["Content-Security-Policy"] == build_policy()
    # The admin's policy is kept apart, with its allowances.
    admin, _ = _middleware_answer("/admin/login/")
    assert admin["Content-Security-Policy"] != kept["Content-Security-Policy"]
    assert "'unsafe-inline'" in _middleware_answer("/admin/")[0]["Content-Security-Policy"]
    # As with django-csp, asking for a nonce once the header is written is an error.
    with pytest.raises(Exception, match="not available after the CSP header"):
        str(request.csp_nonce)


def test_a_response_with_a_policy_of_its_own_gets_it_and_changes_nothing_else():
    _middleware_answer()  # the shared policy is kept
    own, _ = _middleware_answer(_csp_update={"img-src": ["https://img.example.cn"]})
    assert "https://img.example.cn" in own["Content-Security-Policy"]
    assert "https://img.example.cn" not in _middleware_answer()[0]["Content-Security-Policy"]
    exempt, _ = _middleware_answer(_csp_exempt=True)
    assert "Content-Security-Policy" not in exempt


def test_a_changed_policy_setting_is_served_at_once(settings):
    _middleware_answer()
    changed = {"DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]}}
    changed["DIRECTIVES"]["img-src"] = ["'self'", "https://cdn.example.cn"]
    settings.CONTENT_SECURITY_POLICY = changed
    assert "https://cdn.example.cn" in _middleware_answer()[0]["Content-Security-Policy"]
