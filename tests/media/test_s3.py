"""With S3 storage, end to end against a real S3-protocol server (moto's, on 127.0.0.1): the
browser uploads parts straight to the bucket and resumes after an interruption, the worker
transcodes, the renditions land in the bucket, and pages point at the CDN."""

import hashlib
import json
import runpy
import socket
import struct
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
from django.core.files.storage import default_storage
from wagtail.models import Site

import sunshine.settings as sunshine_settings
from media_pipeline import bundles, storage, tasks
from media_pipeline.models import VideoAsset
from sunshine.csp import origin

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PART = 5 * 1024 * 1024  # S3's smallest part
CDN = "cdn.sunshine.test"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def readme_block(language, after):
    """The first ```language block after the line containing `after` in README.md: the
    production instructions are what these tests run."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rest = text[text.index(after) :]
    start = rest.index(f"```{language}\n") + len(language) + 4
    return rest[start : rest.index("```", start)]


@pytest.fixture
def s3(settings, s3_endpoint, monkeypatch, video_settings):
    """A bucket set up as README says (public policy for videos/ and images/ only), and the
    storages exactly as site/settings.py makes them from the environment."""
    # Credentials for the local server only; nothing may reach a real AWS account.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"sunshine-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    policy = readme_block("json", "Bucket policy").replace("BUCKET", bucket)
    client.put_bucket_policy(Bucket=bucket, Policy=policy)
    cors = json.loads(readme_block("json", "CORS:"))
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors)
    lifecycle = json.loads(readme_block("json", "Lifecycle rule"))
    client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=lifecycle)

    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", bucket)
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_S3_CUSTOM_DOMAIN", CDN)
    configured = runpy.run_path(sunshine_settings.__file__)
    for name, value in configured.items():
        if name.startswith("AWS_"):
            setattr(settings, name, value)
    settings.STORAGES = configured["STORAGES"]
    settings.CONTENT_SECURITY_POLICY = configured["CONTENT_SECURITY_POLICY"]
    settings.SUNSHINE_S3_PART_SIZE = PART
    return client, bucket


def policy_of(response):
    header = response.headers["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in header.split(";"))}


def anonymous_status(url):
    """What someone without credentials gets for a URL (a visitor, a crawler, a shared link)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def put(url, data):
    # As the browser's fetch() sends a Blob slice: raw bytes, no form encoding.
    request = urllib.request.Request(
        url, data=data, method="PUT", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers["ETag"]


def padded_clip(clips):
    """A real clip grown past one S3 part by a trailing MP4 `free` box (players skip it)."""
    data = clips.video(width=640, height=360, seconds=3).read_bytes()
    padding = PART + 256 * 1024
    return data + struct.pack(">I4s", padding, b"free") + b"\0" * (padding - 8)


def test_a_multipart_upload_resumes_and_the_video_is_published_to_the_bucket(
    s3, client, editor, clips, django_capture_on_commit_callbacks, task_queue
):
    s3_client, bucket = s3
    data = padded_clip(clips)
    client.force_login(editor)

    session = client.post(
        "/media-pipeline/uploads/",
        {"filename": "心理讲座.mp4", "size": len(data), "title": "心理讲座"},
        content_type="application/json",
    ).json()
    assert session["mode"] == "s3" and session["part_count"] == 2

    urls = client.post(session["parts_url"], {"parts": [1, 2]}, content_type="application/json")
    # The admin page's CSP lets the browser send the parts there.
    allowed = policy_of(client.get("/admin/snippets/media_pipeline/videoasset/add/"))
    assert origin(urls.json()["urls"]["1"]) in allowed["connect-src"]
    status, _ = put(urls.json()["urls"]["1"], data[:PART])
    assert status == 200
    # The connection drops before part 2. Later (another day, another page load) the browser
    # asks what S3 already has:
    resumed = client.get(session["url"]).json()
    assert [p["number"] for p in resumed["parts"]] == [1]
    assert resumed["offset"] == PART
    urls = client.post(session["parts_url"], {"parts": [2]}, content_type="application/json")
    put(urls.json()["urls"]["2"], data[PART:])

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(session["complete_url"])
    assert done.status_code == 201, done.content
    video = VideoAsset.objects.get(pk=done.json()["video"]["id"])
    source = s3_client.get_object(Bucket=bucket, Key=video.source.name)["Body"].read()
    assert source == data  # the bytes went browser → bucket, never through Django
    assert video.sha256 == ""  # not seen by the app server: the worker computes it

    assert tasks.process_video.call(video.pk) == "ready"

    video.refresh_from_db()
    assert video.sha256 == hashlib.sha256(data).hexdigest()
    keys = [
        o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket, Prefix="videos/")["Contents"]
    ]
    prefix = f"videos/{video.sha256[:2]}/{video.sha256}/"
    assert keys and all(k.startswith(prefix) for k in keys)
    assert video.master_playlist in keys and video.fallback_mp4 in keys
    assert any(k.endswith(".m4s") for k in keys)
    head = s3_client.head_object(Bucket=bucket, Key=video.master_playlist)
    assert head["ContentType"] == "application/vnd.apple.mpegurl"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert video.master_url == f"https://{CDN}/{video.master_playlist}"
    played = policy_of(client.get("/"))  # and the pages' CSP lets players fetch from the CDN
    assert origin(video.master_url) in played["media-src"]
    assert origin(video.master_url) in played["connect-src"]
    # Players read the renditions without credentials (the CDN does, from the bucket). (The
    # source stays private, outside the public prefixes: moto, unlike S3, lets anyone read an
    # object made by a multipart upload, so that is checked on a stored source below.)
    bucket_url = f"{s3_client.meta.endpoint_url}/{bucket}"
    assert anonymous_status(f"{bucket_url}/{video.master_playlist}") == 200
    assert anonymous_status(f"{bucket_url}/{video.fallback_mp4}") == 200
    assert video.source.name.startswith("video-sources/")


def test_lesson_pages_point_at_the_cdn(s3, client, django_user_model):
    from courses.factories import CourseSeriesPageFactory, LessonPageFactory
    from media_pipeline.factories import ReadyVideoFactory

    video = ReadyVideoFactory()
    series = CourseSeriesPageFactory(parent=Site.objects.get(is_default_site=True).root_page)
    lesson = LessonPageFactory(parent=series, video=video)

    html = client.get(lesson.url).content.decode()

    assert f'data-hls="https://{CDN}/{video.master_playlist}"' in html
    assert f'poster="https://{CDN}/{video.poster}"' in html
    assert f'data-mp4="https://{CDN}/{video.fallback_mp4}"' in html


def test_a_text_file_uploaded_to_s3_is_refused_and_removed(s3, client, editor):
    s3_client, bucket = s3
    data = b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n"
    client.force_login(editor)
    session = client.post(
        "/media-pipeline/uploads/",
        {"filename": "lesson.mp4", "size": len(data)},
        content_type="application/json",
    ).json()
    url = client.post(session["parts_url"], {"parts": [1]}, content_type="application/json")
    put(url.json()["urls"]["1"], data)

    response = client.post(session["complete_url"])

    assert response.status_code == 415 and "不是视频" in response.json()["error"]
    assert "Contents" not in s3_client.list_objects_v2(Bucket=bucket, Prefix="video-sources/")
    assert not VideoAsset.objects.exists()


def test_kit_files_are_private_and_reach_teachers_only_through_the_site(
    s3, client, django_user_model, task_queue, tmp_path
):
    from courses.factories import ClassMeetingKitPageFactory, DocumentFactory, KitMaterialFactory

    s3_client, bucket = s3
    bucket_url = f"{s3_client.meta.endpoint_url}/{bucket}"
    kit = ClassMeetingKitPageFactory(parent=Site.objects.get(is_default_site=True).root_page)
    document = DocumentFactory(file__filename="教案.pdf", file__data=b"%PDF-1.4 lesson plan")
    KitMaterialFactory(page=kit, document=document)
    bundle = bundles.build_for_kit(kit.pk)
    assert default_storage.exists(bundle.file)

    source = tmp_path / "lesson.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypisom recording")
    storage.save_private(source, "video-sources/ab/lesson.mp4")

    # Not from the bucket without a signature: not the zip, not the document, not a source.
    assert anonymous_status(f"{bucket_url}/{bundle.file}") == 403
    assert anonymous_status(f"{bucket_url}/{quote(document.file.name)}") == 403
    assert anonymous_status(f"{bucket_url}/video-sources/ab/lesson.mp4") == 403
    assert "X-Amz-Signature=" in document.file.url  # any URL to it is signed and expires
    # Through the site, the teacher login decides (Wagtail's serve view, the bundle view).
    assert client.get(document.url).status_code == 302
    assert client.get(f"/media-pipeline/kits/{kit.pk}/bundle/").status_code == 302
    client.force_login(
        django_user_model.objects.create_user("t", password="x-123456-x", is_staff=True)
    )
    served = client.get(document.url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == b"%PDF-1.4 lesson plan"

    response = client.get(f"/media-pipeline/kits/{kit.pk}/bundle/")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{bucket_url}/{bundle.file}?") and "X-Amz-Expires=300" in location
    assert "response-content-disposition" in location
    with urllib.request.urlopen(location, timeout=30) as download:
        assert download.read(2) == b"PK"


def test_on_s3_a_caption_file_is_private_and_players_get_the_published_copy(
    s3, client, fake_engine, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from courses.factories import CourseSeriesPageFactory, LessonPageFactory
    from media_pipeline.models import VideoCaption
    from tests.media.app_support import uploaded_video

    s3_client, bucket = s3
    bucket_url = f"{s3_client.meta.endpoint_url}/{bucket}"
    video = uploaded_video(b"\x00\x00\x00\x18ftypisom" + b"lesson bytes" * 100)
    caption = VideoCaption(video=video, language="zh-Hans", label="中文", is_default=True)
    caption.file = ContentFile("1\n00:00:00,000 --> 00:00:02,000\n你好\n".encode(), name="a.srt")
    with django_capture_on_commit_callbacks(execute=True):
        caption.save()
    series = CourseSeriesPageFactory(parent=Site.objects.get(is_default_site=True).root_page)
    lesson = LessonPageFactory(parent=series, video=video)

    assert anonymous_status(f"{bucket_url}/{quote(caption.file.name)}") == 403  # before
    tasks.process_video.call(video.pk)
    video.refresh_from_db()

    [track] = video.caption_tracks()
    published = track["url"].removeprefix(f"https://{CDN}/")
    assert published.startswith(f"{video.manifest['prefix']}/") and published != track["url"]
    assert anonymous_status(f"{bucket_url}/{published}") == 200  # after, like the renditions
    assert anonymous_status(f"{bucket_url}/{quote(caption.file.name)}") == 403  # the upload
    html = client.get(lesson.url).content.decode()
    assert f'src="{track["url"]}"' in html and "video-captions/" not in html
