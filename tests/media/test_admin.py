"""An editor always knows what a video is doing: the 视频 listing shows status, progress and
why a video failed; one click re-queues it; lessons can choose a video."""

import pytest
from django.urls import reverse

from media_pipeline.factories import ReadyVideoFactory, VideoAssetFactory
from media_pipeline.models import VideoAsset

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/snippets/media_pipeline/videoasset/"


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_the_listing_shows_status_progress_and_the_failure_reason(editor_client):
    VideoAssetFactory(title="第三课 情绪小怪兽", status="transcoding", progress=37)
    VideoAssetFactory(
        title="第四课 考试不焦虑", status="failed", failure_reason="视频文件不完整，可能上传中断。"
    )
    ReadyVideoFactory(title="第一课 认识自己")

    response = editor_client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "第三课 情绪小怪兽" in html and "正在转码 37%" in html
    assert 'value="37"' in html  # the progress bar
    assert "处理失败：视频文件不完整，可能上传中断。" in html
    assert "重新处理" in html
    assert "media_pipeline/admin_status.js" in html  # kept live by polling


def test_the_status_endpoint_tells_the_admin_what_each_video_is_doing(editor_client):
    busy = VideoAssetFactory(status="transcoding", progress=64)
    failed = VideoAssetFactory(status="failed", failure_reason="文件中没有视频画面。")

    data = editor_client.get(
        reverse("media_pipeline:video_status"), {"ids": f"{busy.pk},{failed.pk}"}
    ).json()

    by_id = {v["id"]: v for v in data["videos"]}
    assert by_id[busy.pk]["progress"] == 64 and by_id[busy.pk]["status_text"] == "正在转码 64%"
    assert by_id[failed.pk]["failure_reason"] == "文件中没有视频画面。"


def test_the_status_endpoint_is_for_editors_only(client):
    response = client.get(reverse("media_pipeline:video_status"), {"ids": "1"})
    assert response.status_code == 403 and "登录" in response.json()["error"]


def test_requeue_puts_a_failed_video_back_in_the_queue(editor_client, task_queue):
    video = VideoAssetFactory(status="failed", failure_reason="处理超时", attempts=2)

    response = editor_client.post(
        reverse("media_pipeline:video_requeue", args=[video.pk]),
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200 and response.json()["status"] == "uploaded"
    video.refresh_from_db()
    assert (video.status, video.failure_reason, video.attempts) == ("uploaded", "", 0)
    assert [r.args for r in task_queue.results if r.task.name == "process_video"] == [[video.pk]]


def test_a_video_being_transcoded_is_not_queued_twice(editor_client, task_queue):
    video = VideoAssetFactory(status="transcoding", progress=10)
    response = editor_client.post(
        reverse("media_pipeline:video_requeue", args=[video.pk]),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409 and "正在处理" in response.json()["error"]
    assert VideoAsset.objects.get(pk=video.pk).status == "transcoding"


def test_adding_a_video_opens_the_resumable_uploader(editor_client):
    response = editor_client.get(f"{LIST_URL}add/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-create-url="/media-pipeline/uploads/"' in html
    assert "media_pipeline/uploader.js" in html
    assert "从中断处继续" in html


def test_the_edit_page_shows_status_facts_and_a_preview(editor_client):
    video = ReadyVideoFactory(title="第一课 认识自己", rotation=90, fps=29.97)
    response = editor_client.get(f"{LIST_URL}edit/{video.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "可以播放" in html and "1280×720" in html and "旋转 90°" in html
    assert 'class="sunshine-player"' in html


def test_a_lesson_editor_can_choose_a_video(editor_client):
    ReadyVideoFactory(title="第一课 认识自己")
    response = editor_client.get("/admin/snippets/choose/media_pipeline/videoasset/")
    assert response.status_code == 200
    assert "第一课 认识自己" in response.json()["html"]


def test_district_staff_in_the_admin_do_not_see_anyones_videos(client, django_user_model):
    from django.contrib.auth.models import Group

    from sunshine.roles import DISTRICT_STAFF

    video = VideoAssetFactory(status="failed", failure_reason="文件中没有视频画面。")
    officer = django_user_model.objects.create_user("heping", password="pw-123456-x")
    officer.groups.add(Group.objects.get(name=DISTRICT_STAFF))
    client.force_login(officer)

    response = client.get(reverse("media_pipeline:video_status"), {"ids": video.pk})
    assert response.status_code == 403 and "权限" in response.json()["error"]
    assert client.post(reverse("media_pipeline:video_requeue", args=[video.pk])).status_code == 403


def test_reviewers_see_videos_and_may_requeue_one_by_their_role(client, django_user_model):
    from django.contrib.auth.models import Group

    from sunshine.roles import REVIEWER

    reviewer = django_user_model.objects.create_user("chen", password="pw-123456-x")
    reviewer.groups.add(Group.objects.get(name=REVIEWER))
    assert reviewer.has_perm("media_pipeline.change_videoasset")
    video = VideoAssetFactory(status="transcoding", progress=64)
    client.force_login(reviewer)
    data = client.get(reverse("media_pipeline:video_status"), {"ids": video.pk}).json()
    assert data["videos"][0]["progress"] == 64


@pytest.mark.parametrize(
    "next_url, lands_on",
    [
        ("/admin/snippets/media_pipeline/videoasset/?status=failed", "?status=failed"),
        ("https://evil.example/phish", LIST_URL),
        ("//evil.example/phish", LIST_URL),
    ],
)
def test_requeue_returns_only_to_a_page_of_this_site(editor_client, task_queue, next_url, lands_on):
    video = VideoAssetFactory(status="failed", failure_reason="处理超时")
    response = editor_client.post(
        reverse("media_pipeline:video_requeue", args=[video.pk]), {"next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/") and not response["Location"].startswith("//")
    assert lands_on in response["Location"]
