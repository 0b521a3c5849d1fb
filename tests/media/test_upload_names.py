"""Absurd file names on the video upload: refused in Chinese (4xx) before a session exists,
never stored cut short or with characters silently dropped, never a 500."""

import json

import pytest

from media_pipeline.models import UploadSession
from tests.media.test_uploads import start

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploader(client, editor, settings, task_queue):
    settings.SUNSHINE_VIDEO_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
    client.force_login(editor)
    return client


@pytest.mark.parametrize(
    ("filename", "words"),
    [
        ("讲" * 5000 + ".mp4", "文件名太长（5004 个字符）"),
        ("第一课\x00.exe.mp4", "控制字符"),
        ("第一课\x00", "控制字符"),
        ("第一\n课.mp4", "控制字符"),
        ("第一\x1b[31m课.mp4", "控制字符"),
        ("课\u202egpj.mp4", "控制字符"),
        ("CON.mp4", "CON 是 Windows 保留的设备名"),
        ("lpt1.mp4", "LPT1 是 Windows 保留的设备名"),
        ("nul.tar.mp4", "NUL 是 Windows 保留的设备名"),
        ("讲座?.mp4", "不能有字符 ?"),
        ('讲座"1".mp4', '不能有字符 "'),
        ("讲座.mp4.", "不能以点或空格结尾"),
    ],
    ids=[
        "5004-chars",
        "nul-inside",
        "nul-at-end",
        "newline",
        "escape",
        "rtl-override",
        "con",
        "lpt1",
        "nul-device",
        "question-mark",
        "quotes",
        "trailing-dot",
    ],
)
def test_an_absurd_file_name_is_refused_in_chinese(uploader, filename, words):
    response = start(uploader, filename=filename)

    assert response.status_code == 400, response.content
    assert words in response.json()["error"]
    assert not UploadSession.objects.exists()


def test_a_name_of_255_characters_is_kept_whole(uploader):
    filename = "讲" * 251 + ".mp4"

    response = start(uploader, filename=filename, title="")

    assert response.status_code == 201
    assert UploadSession.objects.get().filename == filename
    # The title comes from the name and fits its own column.
    assert len(UploadSession.objects.get().title) == 200


def test_a_title_too_long_is_refused_not_cut(uploader):
    response = start(uploader, title="题" * 201)

    assert response.status_code == 400
    assert "标题太长（201 个字符）" in response.json()["error"]
    assert not UploadSession.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"filename": "a.mp4", "size": 1e999},
        {"filename": "a.mp4", "size": 10, "content_type": "video/mp4\x00"},
        {"filename": "a.mp4", "size": 10, "content_type": "v" * 101},
    ],
    ids=["infinite-size", "nul-content-type", "long-content-type"],
)
def test_odd_fields_are_a_400(uploader, body):
    response = uploader.post(
        "/media-pipeline/uploads/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_json_nested_past_the_parsers_stack_is_a_400(uploader):
    body = '{"filename": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = uploader.post("/media-pipeline/uploads/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "请求格式不正确。"
