"""An editor's upload becomes a playable video: once per content, never half-published, and a
bad file says why without stopping the worker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from media_pipeline import leases, storage, tasks, transcode_job
from media_pipeline.engine.errors import EnvironmentFailure
from media_pipeline.models import VideoAsset, VideoEncoding
from media_pipeline.stalled import requeue_stalled
from media_pipeline.storage import public_storage
from tests.media.app_support import published_names, uploaded_video

pytestmark = pytest.mark.django_db

SOURCE = b"\x00\x00\x00\x18ftypisom" + b"lesson bytes" * 100


def enqueued(queue, task):
    return [r for r in queue.results if r.task.name == task.name]


def heights(video):
    """The rungs the published master offers, highest first."""
    return sorted((v["height"] for v in video.manifest["variants"]), reverse=True)


def test_an_upload_goes_from_uploaded_through_transcoding_to_ready(fake_engine):
    video = uploaded_video(SOURCE)
    seen = []
    fake_engine.during_encode = lambda source: seen.append(
        VideoAsset.objects.values_list("status", "progress").get(pk=video.pk)
    )

    assert tasks.process_video.call(video.pk) == "ready"

    assert seen == [("transcoding", 10)]  # an editor watching saw it transcoding, with %
    video.refresh_from_db()
    assert video.status == "ready" and video.progress == 100
    assert video.duration == 4.0 and video.width == 640 and video.has_audio is True
    prefix = f"videos/{video.sha256[:2]}/{video.sha256}/fakeprofile"
    assert video.master_playlist == f"{prefix}/master-aaaaaaaaaaaa.m3u8"
    assert video.fallback_mp4 == f"{prefix}/fallback.mp4"
    assert video.poster == f"{prefix}/poster.jpg"
    assert public_storage().exists(video.master_playlist)
    assert public_storage().exists(f"{prefix}/360p/seg_00000.m4s")
    assert not public_storage().exists(f"{prefix}/manifest.json")  # the app's copy is the DB's
    assert video.master_url == f"/media/{prefix}/master-aaaaaaaaaaaa.m3u8"


def test_the_master_playlist_is_published_last(fake_engine, monkeypatch):
    order = []
    monkeypatch.setattr(storage, "publish_file", lambda path, name: order.append(name))
    video = uploaded_video(SOURCE)
    transcode_job.process(video.pk)
    assert order[-1].endswith("master-aaaaaaaaaaaa.m3u8")
    assert len(order) == 8


def test_the_same_file_uploaded_twice_reuses_the_outputs(fake_engine):
    first = uploaded_video(SOURCE, title="第一次上传")
    tasks.process_video.call(first.pk)
    second = uploaded_video(SOURCE, title="同一个文件又上传了一次")

    assert tasks.process_video.call(second.pk) == "ready"

    assert fake_engine.encodes == 1
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.master_playlist == first.master_playlist
    assert second.encoding_id == first.encoding_id
    assert VideoEncoding.objects.count() == 1


def as_worker(monkeypatch, worker_id, job):
    """Run `job` as if in another worker process (its own lease owner id)."""
    with monkeypatch.context() as m:
        m.setattr(leases, "WORKER_ID", worker_id)
        return job()


def test_two_jobs_for_the_same_file_at_once_encode_it_once(fake_engine, task_queue, monkeypatch):
    a = uploaded_video(SOURCE, title="甲")
    b = uploaded_video(SOURCE, title="乙")
    second_job = []
    # While worker A holds the lease, worker B's job for the same bytes runs.
    fake_engine.during_encode = lambda source: second_job.append(
        as_worker(monkeypatch, "worker-b", lambda: transcode_job.process(b.pk))
    )

    assert tasks.process_video.call(a.pk) == "ready"

    assert fake_engine.encodes == 1
    assert second_job[0].state == "waiting"
    a.refresh_from_db()
    b.refresh_from_db()
    # A's worker finished B as well; B's re-run (queued while waiting) has nothing left to do.
    assert a.status == b.status == "ready"
    assert b.master_playlist == a.master_playlist
    assert transcode_job.process(b.pk).state == "skipped"


def test_a_waiting_job_is_rescheduled_not_dropped(fake_engine, task_queue):
    a = uploaded_video(SOURCE)
    b = uploaded_video(SOURCE)
    encoding = leases.encoding_for(a.sha256, "fakeprofile")
    assert leases.acquire(encoding, owner="another-worker")

    assert tasks.process_video.call(b.pk) == "waiting"

    again = enqueued(task_queue, tasks.process_video)
    assert [r.args for r in again] == [[b.pk]]
    assert again[0].task.run_after > timezone.now()
    b.refresh_from_db()
    assert b.status == "transcoding"


def lease_runs_out():
    """Time passes without a heartbeat: every lease and worker claim is older than the lease."""
    long_ago = timezone.now() - timedelta(seconds=61)
    VideoEncoding.objects.exclude(lease_expires=None).update(lease_expires=long_ago)
    VideoAsset.objects.update(updated_at=long_ago)


class WorkerKilled(BaseException):
    """Like SIGKILL: no `except Exception` handler runs."""


def test_a_worker_killed_mid_encode_publishes_nothing_and_the_job_runs_again(
    fake_engine, client, editor, monkeypatch
):
    video = uploaded_video(SOURCE)

    def die(source):
        raise WorkerKilled

    fake_engine.during_encode = die
    with pytest.raises(WorkerKilled):
        transcode_job.process(video.pk)

    video.refresh_from_db()
    assert video.status == "transcoding"
    assert published_names("videos/") == []
    assert not video.master_playlist
    monkeypatch.setattr(leases, "WORKER_ID", "another-worker-process")
    # Until its lease runs out, nobody else starts a second encode of the same bytes.
    assert transcode_job.process(video.pk).state == "waiting"
    assert fake_engine.encodes == 1

    lease_runs_out()
    client.force_login(editor)
    status = client.get(f"/media-pipeline/videos/status/?ids={video.pk}").json()["videos"][0]
    assert status["stalled"] is True and "中断" in status["status_text"]
    assert status["can_requeue"] is True

    fake_engine.during_encode = None
    assert requeue_stalled() == [video.pk]  # the scheduler's sweep
    assert transcode_job.process(video.pk).state == "ready"
    video.refresh_from_db()
    assert video.status == "ready"
    assert public_storage().exists(video.master_playlist)


def test_transient_failures_retry_with_growing_waits_then_give_up(fake_engine, task_queue):
    fake_engine.fail_with = EnvironmentFailure("disk_full", "服务器磁盘已满")
    video = uploaded_video(SOURCE)

    tasks.process_video.call(video.pk)
    video.refresh_from_db()
    assert video.status == "uploaded"
    assert "自动重试" in video.failure_reason and "磁盘已满" in video.failure_reason
    first = enqueued(task_queue, tasks.process_video)[-1]

    tasks.process_video.call(video.pk)
    second = enqueued(task_queue, tasks.process_video)[-1]
    assert second.task.run_after - first.task.run_after > timedelta(seconds=25)  # 30 s, then 60 s

    tasks.process_video.call(video.pk)  # the third attempt is the last (max 3)
    video.refresh_from_db()
    assert video.status == "failed"
    assert video.failure_reason.startswith("多次重试后仍失败")
    assert published_names("videos/") == []


def test_a_file_that_is_not_a_video_fails_at_once_with_a_reason(fake_engine, task_queue):
    video = uploaded_video(b"this is not a video, just text")

    assert tasks.process_video.call(video.pk) == "failed"

    video.refresh_from_db()
    assert video.status == "failed"
    assert "无法识别为视频文件" in video.failure_reason
    assert enqueued(task_queue, tasks.process_video) == []  # not retried


def test_a_ready_video_leaves_its_lessons_content_to_the_editors(fake_engine):
    """The measured duration is the video's own; the page (live row and revisions, maybe in
    review) is not rewritten behind its editors' backs."""
    from wagtail.models import Page

    from courses.factories import CourseSeriesPageFactory, LessonPageFactory

    video = uploaded_video(SOURCE)
    series = CourseSeriesPageFactory(parent=Page.get_first_root_node())
    lesson = LessonPageFactory(parent=series, video=video, duration=None)
    revision = lesson.save_revision()
    content_before = dict(revision.content)

    transcode_job.process(video.pk)

    lesson.refresh_from_db()
    revision.refresh_from_db()
    assert lesson.duration is None and lesson.latest_revision_id == revision.pk
    assert revision.content == content_before
    video.refresh_from_db()
    assert video.duration_timedelta == timedelta(seconds=4)  # what templates show instead


def test_a_1080p_source_queues_the_second_pass_on_the_hd_queue(fake_engine, task_queue):
    fake_engine.hd_pending = True
    video = uploaded_video(SOURCE)

    tasks.process_video.call(video.pk)

    video.refresh_from_db()
    assert video.status == "ready" and video.hd_status == "pending"
    hd = enqueued(task_queue, tasks.process_video_hd)
    assert [r.args for r in hd] == [[video.pk]]
    assert tasks.process_video_hd.queue_name == "video-hd"
    assert tasks.process_video_hd.priority < tasks.process_video.priority


def test_requeue_after_failure_starts_again(fake_engine, task_queue):
    fake_engine.fail_with = EnvironmentFailure("disk_full", "服务器磁盘已满")
    video = uploaded_video(b"not a video")
    transcode_job.process(video.pk)
    video.refresh_from_db()
    assert video.status == "failed"

    tasks.requeue_video(video)

    video.refresh_from_db()
    assert video.status == "uploaded" and video.failure_reason == "" and video.attempts == 0
    assert [r.args for r in enqueued(task_queue, tasks.process_video)] == [[video.pk]]


# -- with the real engine -----------------------------------------------------------------------
@pytest.mark.slow
def test_a_real_clip_is_transcoded_and_published(video_settings, clips):
    video = uploaded_video(clips.video(width=640, height=360, seconds=3), with_sha=False)

    assert tasks.process_video.call(video.pk) == "ready"

    video.refresh_from_db()
    assert len(video.sha256) == 64  # computed by the worker when it was not known
    assert round(video.duration) == 3 and (video.width, video.height) == (640, 360)
    assert heights(video) == [360]  # never upscaled
    master = public_storage().open(video.master_playlist).read().decode()
    assert "#EXT-X-STREAM-INF" in master and "360p/index.m3u8" in master
    names = published_names(f"videos/{video.sha256[:2]}/{video.sha256}/")
    assert any(n.endswith("/fallback.mp4") for n in names)
    assert any(n.endswith("/poster.jpg") for n in names)
    assert any(n.endswith(".m4s") for n in names)


@pytest.mark.slow
def test_bad_inputs_fail_with_the_engines_reason_and_the_worker_serves_the_next_job(
    video_settings, clips, tmp_path
):
    secret = tmp_path / "secret.txt"
    secret.write_text("校长的密码")
    bad = {
        "text named .mp4": clips.text_as_mp4(),
        "empty": clips.empty(),
        "playlist disguised as a video": clips.hls_disguise(secret),
        "audio only": clips.audio_only(),
    }
    videos = {
        label: uploaded_video(path, title=label, with_sha=False) for label, path in bad.items()
    }
    good = uploaded_video(clips.video(width=320, height=180, seconds=2), title="正常视频")

    for video in [*videos.values(), good]:  # one worker, in order
        tasks.process_video.call(video.pk)

    for label, video in videos.items():
        video.refresh_from_db()
        assert video.status == "failed", label
        assert video.failure_reason and not video.failure_reason.isascii(), label
        assert not video.master_playlist, label
    good.refresh_from_db()
    assert good.status == "ready"
    published = published_names("videos/")
    assert published and all(good.sha256 in name for name in published)


@pytest.mark.slow
def test_the_demo_video_is_published_on_lessons_without_one_and_drafts_are_left_alone(
    video_settings,
):
    import io

    from wagtail.models import Site

    from courses.factories import CourseSeriesPageFactory, LessonPageFactory
    from media_pipeline import demo

    series = CourseSeriesPageFactory(parent=Site.objects.get(is_default_site=True).root_page)
    lesson = LessonPageFactory(parent=series, duration=None)
    lesson.save_revision().publish()
    edited = LessonPageFactory(parent=series, duration=None)
    edited.save_revision().publish()
    edited.title = "编辑正在修改的课"
    draft = edited.save_revision()  # unpublished edits: the editor's, not the demo's
    out = io.StringIO()

    demo.seed(out)
    demo.seed(out)

    video = VideoAsset.objects.get(title=demo.TITLE)
    assert video.is_ready and video.caption_tracks()[0]["label"] == "中文"
    lesson.refresh_from_db()
    assert lesson.video_id == video.pk and lesson.live and not lesson.has_unpublished_changes
    assert lesson.duration == video.duration_timedelta  # 时长 is the video's own length
    edited.refresh_from_db()
    assert edited.video_id is None and edited.latest_revision_id == draft.pk
    assert VideoEncoding.objects.count() == 1
    assert "新关联 0 个" in out.getvalue().splitlines()[-1]  # the second run changed nothing


def test_the_1080p_pass_adds_a_rung_without_taking_the_video_offline(fake_engine, task_queue):
    fake_engine.hd_pending = True
    video = uploaded_video(SOURCE)
    tasks.process_video.call(video.pk)
    video.refresh_from_db()
    sd_master = video.master_playlist

    assert tasks.process_video_hd.call(video.pk) == "ready"

    video.refresh_from_db()
    assert video.status == "ready" and video.hd_status == "ready"
    assert video.master_playlist != sd_master and public_storage().exists(video.master_playlist)
    assert public_storage().exists(sd_master)  # players holding the old master keep working
    assert heights(video) == [1080, 360]
    assert tasks.process_video_hd.call(video.pk) == "skipped"  # nothing to do twice
    assert fake_engine.hd_encodes == 1


def test_captions_added_to_a_ready_video_get_a_new_master(
    fake_engine, task_queue, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from media_pipeline.models import VideoCaption

    video = uploaded_video(SOURCE)
    tasks.process_video.call(video.pk)
    video.refresh_from_db()
    old_master = video.master_playlist

    caption = VideoCaption(video=video, language="zh-Hans", label="中文", is_default=True)
    caption.file = ContentFile(
        b"1\n00:00:00,000 --> 00:00:02,000\n\xe4\xbd\xa0\xe5\xa5\xbd\n", name="a.srt"
    )
    with django_capture_on_commit_callbacks(execute=True):
        caption.save()
    queued = [r.args for r in task_queue.results if r.task.name == "refresh_video_captions"]
    assert queued == [[video.pk]]

    tasks.refresh_video_captions.call(video.pk)

    video.refresh_from_db()
    assert video.master_playlist != old_master
    assert public_storage().exists(video.master_playlist)
    [track] = video.caption_tracks()
    assert track["lang"] == "zh-Hans" and track["default"] is True
    assert public_storage().open(track["url"].removeprefix("/media/")).read().startswith(b"WEBVTT")


@pytest.mark.slow
def test_a_1080p_source_plays_first_then_gains_1080p_with_the_real_engine(video_settings, clips):
    video = uploaded_video(clips.video(width=1920, height=1080, seconds=2), with_sha=False)

    tasks.process_video.call(video.pk)
    video.refresh_from_db()
    assert video.status == "ready" and video.hd_status == "pending"
    assert heights(video) == [720, 540, 360]

    assert tasks.process_video_hd.call(video.pk) == "ready"

    video.refresh_from_db()
    assert video.hd_status == "ready"
    assert heights(video) == [1080, 720, 540, 360]
    master = public_storage().open(video.master_playlist).read().decode()
    assert "1080p/index.m3u8" in master
