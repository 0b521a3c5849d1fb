"""An editor uploads a recording in the admin; the connection drops and the tab is closed
mid-way; choosing the same file again continues from where the server says it stopped."""

import hashlib

import pytest
from django.contrib.auth import get_user_model

from media_pipeline.models import VideoAsset
from tests.media.clips import ClipMaker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHUNK = 64 * 1024


def test_an_interrupted_upload_resumes_after_the_tab_is_reopened(
    live_server, chromium, settings, tmp_path_factory
):
    settings.SUNSHINE_UPLOAD_CHUNK_SIZE = CHUNK
    clip = ClipMaker.for_session(tmp_path_factory).video(width=640, height=360, seconds=4)
    size = clip.stat().st_size
    assert size > 4 * CHUNK
    get_user_model().objects.create_superuser("editor", password="pw-editor-123")
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")

    offsets = []

    def drop_the_third_chunk(route, request):
        if request.method != "PATCH":
            return route.continue_()
        offsets.append(int(request.headers["upload-offset"]))
        if len(offsets) == 3:
            return route.abort("connectionreset")
        return route.continue_()

    page.route("**/media-pipeline/uploads/*/", drop_the_third_chunk)
    page.goto(live_server.url + "/admin/snippets/media_pipeline/videoasset/add/")
    page.fill("#sunshine-upload-title", "心理讲座（完整版）")
    page.set_input_files("#sunshine-upload-file", str(clip))
    page.get_by_role("button", name="开始上传").click()
    page.wait_for_function(
        "() => document.querySelector('.sunshine-uploader__message')"
        ".textContent.includes('网络中断')"
    )
    page.close()  # the editor gives up for now: the tab is gone

    page = context.new_page()
    page.goto(live_server.url + "/admin/snippets/media_pipeline/videoasset/add/")
    resumed = []
    page.on(
        "request",
        lambda r: r.method == "PATCH" and resumed.append(int(r.headers["upload-offset"])),
    )
    page.set_input_files("#sunshine-upload-file", str(clip))
    page.get_by_role("button", name="开始上传").click()
    page.get_by_text("上传成功，视频已进入处理队列。").wait_for(timeout=30_000)

    assert offsets[:3] == [0, CHUNK, 2 * CHUNK]
    assert resumed[0] == 2 * CHUNK  # not from the start: from what the server had
    video = VideoAsset.objects.get()
    assert video.title == "心理讲座（完整版）"
    assert video.sha256 == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert video.source_size == size
    assert page.get_by_role("link", name="查看处理进度").is_visible()
    context.close()
