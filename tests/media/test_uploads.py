"""A 90-minute recording over a school's network: chunks, a dropped connection, a resumed
upload, and a refusal that says what is wrong (in Chinese) before a byte is kept."""

import hashlib
import io
from types import SimpleNamespace

import pytest
from django.core.files.storage import default_storage

from media_pipeline.models import UploadSession, VideoAsset
from media_pipeline.uploads import local

pytestmark = pytest.mark.django_db

CHUNK = 64 * 1024
VIDEO = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(range(256)) * 1000


@pytest.fixture
def uploader(client, editor, settings, task_queue):
    settings.SUNSHINE_UPLOAD_CHUNK_SIZE = CHUNK
    settings.SUNSHINE_VIDEO_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
    client.force_login(editor)
    return client


def start(client, data=VIDEO, filename="第一课 认识情绪.mp4", **extra):
    body = {"filename": filename, "size": len(data), "title": "认识情绪", **extra}
    return client.post("/media-pipeline/uploads/", body, content_type="application/json")


def send(client, session, data, offset):
    return client.generic(
        "PATCH",
        session["url"],
        data[offset : offset + session["part_size"]],
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": str(offset)},
    )


def test_an_upload_interrupted_halfway_continues_where_it_stopped(uploader, task_queue):
    session = start(uploader).json()
    assert session["mode"] == "local" and session["offset"] == 0

    offset = 0
    for _ in range(3):
        response = send(uploader, session, VIDEO, offset)
        assert response.status_code == 200
        offset = response.json()["offset"]
    assert offset == 3 * CHUNK

    # The connection drops; the server process restarts (its running hash is gone).
    local._hashers.clear()
    status = uploader.get(session["url"])
    assert status.json()["offset"] == 3 * CHUNK
    assert status["Upload-Offset"] == str(3 * CHUNK)

    offset = status.json()["offset"]
    while offset < len(VIDEO):
        offset = send(uploader, session, VIDEO, offset).json()["offset"]
    done = uploader.post(session["complete_url"])

    assert done.status_code == 201
    video = VideoAsset.objects.get(pk=done.json()["video"]["id"])
    # The new process never saw the first chunks: the worker hashes the source instead.
    assert video.sha256 == "" and UploadSession.objects.get(pk=session["id"]).hash_deferred
    assert video.title == "认识情绪" and video.source_name == "第一课 认识情绪.mp4"
    assert video.status == "uploaded" and video.source_size == len(VIDEO)
    assert default_storage.open(video.source.name).read() == VIDEO
    assert not default_storage.exists(local.part_name(session["id"]))


class CountingSha256:
    """hashlib.sha256 that counts the bytes it is fed."""

    fed = 0

    def __init__(self):
        self.real = hashlib.sha256()

    def update(self, data):
        CountingSha256.fed += len(data)
        self.real.update(data)

    def copy(self):
        twin = CountingSha256.__new__(CountingSha256)
        twin.real = self.real.copy()
        return twin

    def hexdigest(self):
        return self.real.hexdigest()


def test_one_server_hashes_the_upload_while_receiving_it(uploader):
    session = start(uploader).json()
    offset = 0
    while offset < len(VIDEO):
        offset = send(uploader, session, VIDEO, offset).json()["offset"]
    video_id = uploader.post(session["complete_url"]).json()["video"]["id"]
    video = VideoAsset.objects.get(pk=video_id)
    assert video.sha256 == hashlib.sha256(VIDEO).hexdigest()
    assert video.source.name == f"video-sources/{video.sha256[:2]}/{video.sha256}.mp4"


def test_a_chunk_at_another_web_worker_never_reads_the_stored_part_again(
    uploader, monkeypatch, fake_engine
):
    monkeypatch.setattr(local, "hashlib", SimpleNamespace(sha256=CountingSha256))
    CountingSha256.fed = 0
    session = start(uploader).json()
    send(uploader, session, VIDEO, 0)
    send(uploader, session, VIDEO, CHUNK)
    assert CountingSha256.fed == 2 * CHUNK

    local._hashers.clear()  # the next chunks land on another gunicorn worker
    offset = 2 * CHUNK
    while offset < len(VIDEO):
        offset = send(uploader, session, VIDEO, offset).json()["offset"]
    done = uploader.post(session["complete_url"]).json()

    assert CountingSha256.fed == 2 * CHUNK  # nothing re-read, nothing more hashed
    video = VideoAsset.objects.get(pk=done["video"]["id"])
    assert video.sha256 == "" and default_storage.open(video.source.name).read() == VIDEO
    from media_pipeline import transcode_job

    transcode_job.process(video.pk)  # the worker hashes it once, as it does for S3 uploads
    video.refresh_from_db()
    assert video.sha256 == hashlib.sha256(VIDEO).hexdigest() and video.status == "ready"


def test_completing_an_upload_queues_the_video_for_processing(
    uploader, task_queue, django_capture_on_commit_callbacks
):
    session = start(uploader).json()
    offset = 0
    while offset < len(VIDEO):
        offset = send(uploader, session, VIDEO, offset).json()["offset"]
    with django_capture_on_commit_callbacks(execute=True):
        video_id = uploader.post(session["complete_url"]).json()["video"]["id"]
    queued = [r.args for r in task_queue.results if r.task.name == "process_video"]
    assert queued == [[video_id]]


def test_a_chunk_cut_off_mid_way_is_not_counted():
    session = UploadSession.objects.create(
        id="00000000-0000-0000-0000-000000000001",
        title="t",
        filename="a.mp4",
        size=len(VIDEO),
        part_size=CHUNK,
        storage_name=local.part_name("00000000-0000-0000-0000-000000000001"),
    )
    local.receive_chunk(session, io.BytesIO(VIDEO[:CHUNK]), CHUNK, lambda head: None)

    with pytest.raises(local.ChunkError) as cut:
        local.receive_chunk(session, io.BytesIO(VIDEO[CHUNK : CHUNK + 100]), CHUNK, lambda h: None)

    assert cut.value.status == 400
    session.refresh_from_db()
    assert session.offset == CHUNK
    assert local.part_path(session).stat().st_size == CHUNK  # the partial bytes were dropped
    local.receive_chunk(session, io.BytesIO(VIDEO[CHUNK : 2 * CHUNK]), CHUNK, lambda h: None)
    assert local.part_path(session).read_bytes() == VIDEO[: 2 * CHUNK]


def test_a_chunk_at_the_wrong_offset_is_told_where_to_continue(uploader):
    session = start(uploader).json()
    send(uploader, session, VIDEO, 0)
    response = send(uploader, session, VIDEO, 2 * CHUNK)
    assert response.status_code == 409
    assert response.json()["offset"] == CHUNK
    assert "位置" in response.json()["error"]


def test_a_file_over_the_size_limit_is_refused_before_any_bytes(uploader):
    response = uploader.post(
        "/media-pipeline/uploads/",
        {"filename": "讲座.mp4", "size": 50 * 1024**3},
        content_type="application/json",
    )
    assert response.status_code == 413
    assert "文件太大" in response.json()["error"]
    assert not UploadSession.objects.exists()


def test_a_file_that_is_not_a_video_type_is_refused(uploader):
    response = start(uploader, filename="课件.pptx")
    assert response.status_code == 415
    assert "不支持 .pptx" in response.json()["error"]


@pytest.mark.parametrize(
    "first_bytes",
    [
        b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\nfile:///etc/passwd\n",
        b"ffconcat version 1.0\nfile '/etc/passwd'\n",
        "这只是一个文本文件，改了扩展名。".encode(),
    ],
    ids=["hls-playlist", "concat-list", "text"],
)
def test_a_playlist_or_text_named_mp4_is_refused_on_its_first_bytes(uploader, first_bytes):
    data = first_bytes * 10
    session = start(uploader, data=data).json()

    response = send(uploader, session, data, 0)

    assert response.status_code == 415
    assert "不是视频" in response.json()["error"]
    assert UploadSession.objects.get(pk=session["id"]).status == "aborted"
    assert not default_storage.exists(local.part_name(session["id"]))


def test_an_unfinished_upload_cannot_be_completed(uploader):
    session = start(uploader).json()
    send(uploader, session, VIDEO, 0)
    response = uploader.post(session["complete_url"])
    assert response.status_code == 409
    assert response.json()["error"] == "文件还没有上传完，请继续上传。"
    assert not VideoAsset.objects.exists()


def test_the_same_file_uploaded_twice_keeps_one_source(uploader):
    sources = []
    for _ in range(2):
        session = start(uploader).json()
        offset = 0
        while offset < len(VIDEO):
            offset = send(uploader, session, VIDEO, offset).json()["offset"]
        video_id = uploader.post(session["complete_url"]).json()["video"]["id"]
        sources.append(VideoAsset.objects.get(pk=video_id).source.name)
    assert sources[0] == sources[1]
    assert VideoAsset.objects.count() == 2


def test_only_editors_may_upload(client, django_user_model):
    response = client.post(
        "/media-pipeline/uploads/",
        {"filename": "a.mp4", "size": 10},
        content_type="application/json",
    )
    assert response.status_code == 401 and "登录" in response.json()["error"]

    client.force_login(django_user_model.objects.create_user("teacher", password="pw-123456-x"))
    response = client.post(
        "/media-pipeline/uploads/",
        {"filename": "a.mp4", "size": 10},
        content_type="application/json",
    )
    assert response.status_code == 403 and "权限" in response.json()["error"]


def test_someone_elses_upload_session_is_not_found(uploader, django_user_model, client):
    session = start(uploader).json()
    other = django_user_model.objects.create_superuser("other", password="pw-123456-x")
    client.force_login(other)
    response = client.get(session["url"])
    assert response.status_code == 404 and "找不到" in response.json()["error"]
