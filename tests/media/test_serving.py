"""The embedded default serves media itself: players seek with Range requests, content-addressed
outputs are cached forever with the right MIME types, and private files are never served."""

import pytest
from django.conf import settings

# A 404 goes through Wagtail's redirect middleware, which looks in the database.
pytestmark = pytest.mark.django_db

DATA = bytes(range(256)) * 40  # 10,240 bytes
PREFIX = "videos/ab/" + "ab" * 32 + "/p1"


@pytest.fixture
def media():
    def put(name, data=DATA):
        path = settings.MEDIA_ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return f"/media/{name}"

    return put


def body(response):
    return b"".join(response.streaming_content)


def test_a_player_seeking_gets_just_the_bytes_it_asked_for(client, media):
    url = media(f"{PREFIX}/fallback.mp4")
    response = client.get(url, headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(DATA)}"
    assert response["Content-Length"] == "100"
    assert body(response) == DATA[100:200]


def test_open_ended_and_suffix_ranges(client, media):
    url = media(f"{PREFIX}/fallback.mp4")
    tail = client.get(url, headers={"Range": "bytes=10000-"})
    assert tail.status_code == 206 and body(tail) == DATA[10000:]
    last = client.get(url, headers={"Range": "bytes=-40"})
    assert last["Content-Range"] == f"bytes {len(DATA) - 40}-{len(DATA) - 1}/{len(DATA)}"
    assert body(last) == DATA[-40:]


def test_a_range_past_the_end_is_416(client, media):
    url = media(f"{PREFIX}/fallback.mp4")
    response = client.get(url, headers={"Range": "bytes=999999-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(DATA)}"


def test_without_a_range_the_whole_file_says_it_accepts_ranges(client, media):
    response = client.get(media(f"{PREFIX}/fallback.mp4"))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(DATA))
    assert body(response) == DATA


@pytest.mark.parametrize(
    "name, mime",
    [
        ("master-0123456789ab.m3u8", "application/vnd.apple.mpegurl"),
        ("360p/seg_00001.m4s", "video/iso.segment"),
        ("360p/init.mp4", "video/mp4"),
        ("captions/zh-Hans-1a2b3c4d.vtt", "text/vtt; charset=utf-8"),
        ("poster.jpg", "image/jpeg"),
        ("audio.m4a", "audio/mp4"),
    ],
)
def test_hls_outputs_have_the_right_type_and_are_cached_forever(client, media, name, mime):
    response = client.get(media(f"{PREFIX}/{name}"))
    assert response["Content-Type"] == mime
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_files_that_can_change_are_not_cached_forever(client, media):
    response = client.get(media("original_images/photo.jpg"))
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]


def test_an_unchanged_file_is_not_sent_again(client, media):
    url = media(f"{PREFIX}/poster.jpg")
    etag = client.get(url)["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert client.get(url).status_code == 200  # a 304 is never what the next visitor gets


@pytest.mark.parametrize(
    "name",
    [
        "video-sources/ab/abc.mp4",  # untrusted uploads
        "uploads/0000.part",  # half-received
        "video-captions/第一课.vtt",  # editors' caption files: their published copies are public
        "documents/教案.docx",  # login-gated kit files go through Wagtail's serve view
        "kit-bundles/ab/abc.zip",  # so do the kit zips
    ],
)
def test_private_files_are_not_served(client, media, name):
    media(name)
    assert client.get(f"/media/{name}").status_code == 404


def test_paths_cannot_leave_the_media_folder(client, media):
    media(f"{PREFIX}/poster.jpg")
    assert client.get("/media/../site/settings.py").status_code == 404
    assert client.get("/media/videos/%2e%2e/%2e%2e/settings.py").status_code == 404
    assert client.get(f"/media/{PREFIX}/.hidden").status_code == 404


def test_head_answers_without_a_body(client, media):
    response = client.head(media(f"{PREFIX}/fallback.mp4"))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(DATA))
    assert body(response) == b""
