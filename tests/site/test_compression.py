"""Text is compressed on the way out (Lighthouse's "enable text compression"): the pages Django
renders by gzip, except those holding a CSRF token (BREACH), and static files by WhiteNoise from
the gzip copies collectstatic writes. And /favicon.ico is the site's own icon, not a 404."""

import gzip
import io
import runpy

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from PIL import Image
from whitenoise.middleware import WhiteNoiseMiddleware

from sunshine import settings as sunshine_settings

pytestmark = pytest.mark.django_db


def get_gzipped(client, url):
    return client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")


def test_a_lesson_page_is_sent_gzipped_whether_built_or_from_the_page_cache(site_pages, client):
    lesson = site_pages.lessons[0]
    for _ in ("built", "cached"):
        response = get_gzipped(client, lesson.url)
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        html = gzip.decompress(response.content).decode()
        assert lesson.title in html and "12356" in html
        assert len(response.content) < len(html.encode()) / 2
    # A client that does not take gzip gets the same page uncompressed, from the same cache.
    plain = client.get(lesson.url)
    assert not plain.has_header("Content-Encoding")
    assert lesson.title in plain.content.decode()


def test_a_page_with_a_csrf_token_is_not_compressed(client):
    # BREACH: the 心灵信箱 form holds a CSRF token and reflects what was typed when it has errors.
    response = get_gzipped(client, "/mailbox/")
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert not response.has_header("Content-Encoding")
    login = get_gzipped(client, "/accounts/login/")
    assert login.status_code == 200 and not login.has_header("Content-Encoding")


def test_the_search_results_page_is_compressed_too(client, site_pages):
    response = get_gzipped(client, "/search/?q=" + "情绪")
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.parametrize(
    "content_type, status, compressed",
    [
        ("text/html; charset=utf-8", 200, True),
        ("application/json", 200, True),
        ("application/vnd.apple.mpegurl", 200, True),  # HLS playlists are text
        ("video/mp4", 200, False),  # already compressed
        ("video/iso.segment", 200, False),
        ("application/zip", 200, False),  # a kit's zip
        ("application/pdf", 200, False),
        ("text/vtt", 206, False),  # a byte range stays a range of the file
    ],
)
def test_only_text_is_compressed(content_type, status, compressed):
    from django.http import HttpResponse

    from sunshine.compression import TextCompressionMiddleware

    body = ("字幕 " * 500).encode()
    middleware = TextCompressionMiddleware(
        lambda request: HttpResponse(body, content_type=content_type, status=status)
    )
    response = middleware(RequestFactory().get("/x", HTTP_ACCEPT_ENCODING="gzip"))
    assert (response.get("Content-Encoding") == "gzip") is compressed
    assert (response.content == body) is not compressed


def test_static_files_are_collected_with_gzip_copies_and_served_compressed(
    settings, tmp_path, monkeypatch
):
    monkeypatch.delenv("STATIC_MANIFEST", raising=False)
    monkeypatch.delenv("SUNSHINE_ENV", raising=False)
    configured = runpy.run_path(sunshine_settings.__file__)
    backend = configured["STORAGES"]["staticfiles"]["BACKEND"]
    assert backend == "whitenoise.storage.CompressedStaticFilesStorage"  # what make demo uses

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": backend}}
    call_command("collectstatic", "--noinput", "-v0")
    assert (tmp_path / "sunshine" / "site.css.gz").is_file()
    assert (tmp_path / "media_pipeline" / "player.js.gz").is_file()

    whitenoise = WhiteNoiseMiddleware(lambda request: pytest.fail("not a static file"))
    for path in ("/static/sunshine/site.css", "/static/media_pipeline/player.js"):
        request = RequestFactory().get(path, HTTP_ACCEPT_ENCODING="gzip")
        response = whitenoise(request)
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        body = b"".join(response.streaming_content)
        source = (tmp_path / path.removeprefix("/static/")).read_bytes()
        assert gzip.decompress(body) == source
        response.close()


def test_the_favicon_is_an_icon_of_our_own(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age" in response["Cache-Control"]
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32), (48, 48)} <= set(icon.info["sizes"])
    # The site's brown in a corner, the sun's gold in the middle.
    icon = icon.convert("RGBA")
    assert icon.getpixel((24, 24))[:3] == (255, 196, 77)
    assert client.post("/favicon.ico").status_code == 405


def test_pages_link_the_svg_icon(client, site_pages):
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/sunshine/favicon.svg" type="image/svg+xml"' in html
