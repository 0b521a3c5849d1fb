"""A worker killed while it works on a video (out of memory, a reboot, SIGKILL) never leaves the
video stuck: the editor sees that processing was interrupted and may re-queue it, and the
scheduler re-queues it anyway, a bounded number of times. Nothing half-done is ever published."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from media_pipeline import leases, tasks
from media_pipeline.engine.ffmpeg import ffmpeg_exe
from media_pipeline.models import VideoAsset, VideoEncoding
from media_pipeline.stalled import GAVE_UP, requeue_stalled
from media_pipeline.storage import public_storage
from sunshine import scheduler
from tests.media.app_support import published_names, uploaded_video

SOURCE = b"\x00\x00\x00\x18ftypisom" + b"lesson bytes" * 100
LEASE = 60


@pytest.fixture
def lease(settings, video_settings):
    settings.SUNSHINE_VIDEO_LEASE_SECONDS = LEASE
    settings.SUNSHINE_VIDEO_MAX_ATTEMPTS = 3
    return LEASE


def later(seconds=LEASE + 1):
    return timezone.now() + timedelta(seconds=seconds)


def queued(task_queue):
    return [r.args for r in task_queue.results if r.task.name == tasks.process_video.name]


@pytest.mark.django_db
def test_a_worker_killed_while_probing_is_seen_and_the_video_can_be_requeued(
    lease, client, editor, task_queue
):
    video = uploaded_video(SOURCE)
    video.transition(VideoAsset.Status.PROBING)  # hashing a 4 GB recording, then killed
    VideoAsset.objects.filter(pk=video.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    client.force_login(editor)

    status = client.get(reverse("media_pipeline:video_status"), {"ids": video.pk}).json()

    [item] = status["videos"]
    assert item["status"] == "probing" and item["stalled"] and item["can_requeue"]
    assert "中断" in item["status_text"]
    edit = client.get(f"/admin/snippets/media_pipeline/videoasset/edit/{video.pk}/")
    assert re.search(r'__requeue"\s*>重新处理', edit.content.decode())  # the button, not hidden
    response = client.post(
        reverse("media_pipeline:video_requeue", args=[video.pk]),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200 and response.json()["status"] == "uploaded"
    assert queued(task_queue) == [[video.pk]]


@pytest.mark.django_db
def test_a_live_worker_keeps_its_video(lease, task_queue):
    probing = uploaded_video(SOURCE, title="正在分析")
    probing.transition(VideoAsset.Status.PROBING)
    waiting = uploaded_video(SOURCE, title="等待同一文件的转码")
    encoding = leases.encoding_for(waiting.sha256, "fakeprofile")
    assert leases.acquire(encoding, owner="a-live-worker")
    waiting.transition(VideoAsset.Status.PROBING)
    waiting.transition(VideoAsset.Status.TRANSCODING, encoding=encoding)

    assert not probing.is_stalled() and not waiting.is_stalled()
    assert requeue_stalled() == []
    # Even long after its own last update, a video waiting on a live lease is not stalled.
    VideoAsset.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    leases.heartbeat(encoding, owner="a-live-worker")
    assert requeue_stalled() == [probing.pk]
    waiting.refresh_from_db()
    assert waiting.status == "transcoding"


@pytest.mark.django_db
def test_the_sweep_requeues_a_stalled_video_a_few_times_then_gives_up(
    lease, task_queue, django_capture_on_commit_callbacks
):
    video = uploaded_video(SOURCE)
    for attempt in (1, 2):
        video.transition(VideoAsset.Status.PROBING)

        with django_capture_on_commit_callbacks(execute=True):
            assert requeue_stalled(now=later()) == [video.pk]

        video.refresh_from_db()
        assert video.status == "uploaded" and video.attempts == attempt
        assert f"第 {attempt} 次" in video.failure_reason
    assert queued(task_queue) == [[video.pk], [video.pk]]

    video.transition(VideoAsset.Status.PROBING)  # the file kills its worker every time
    assert requeue_stalled(now=later()) == [video.pk]

    video.refresh_from_db()
    assert video.status == "failed" and video.failure_reason == GAVE_UP
    assert len(queued(task_queue)) == 2


def test_the_sweep_runs_every_minute_from_the_scheduler():
    job = {job.name: job for job in scheduler.registered_jobs()}["requeue_stalled_videos"]
    assert job.func is requeue_stalled and job.every == timedelta(minutes=1)


# -- a real worker process, killed ------------------------------------------------------------
WORKER = """
import os, signal, sys, time
import django
django.setup()
from media_pipeline import transcode_job
report = transcode_job.EngineProgress.__call__
def children():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[1] == str(os.getpid()):
                yield int(pid)
def report_then_wait(self, fraction, stage):
    report(self, fraction, stage)
    if stage == "encode" and 0 < fraction < 0.85:
        for pid in children():  # ffmpeg, held where it is: the kill lands mid-encode
            os.kill(pid, signal.SIGSTOP)
        print("mid-encode", flush=True)
        time.sleep(600)  # SIGKILLed here
transcode_job.EngineProgress.__call__ = report_then_wait
transcode_job.process(int(sys.argv[1]))
print("finished", flush=True)
"""


class SharedDatabase:
    """The test database as another process sees it: PostgreSQL's is shared already; SQLite's
    in-memory one is copied to a file for the worker and copied back afterwards."""

    def __init__(self, folder: Path):
        self.file = folder / "shared.sqlite3"

    def url(self):
        settings = connection.settings_dict
        if connection.vendor == "postgresql":
            auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
            host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            return f"postgres://{auth}@{host}/{settings['NAME']}"
        connection.ensure_connection()
        with sqlite3.connect(self.file) as copy:
            connection.connection.backup(copy)
        return f"sqlite:///{self.file}"

    def take_back(self):
        if connection.vendor == "sqlite":
            with sqlite3.connect(self.file) as copy:
                copy.backup(connection.connection)


def slow_ffmpeg(folder: Path) -> Path:
    """ffmpeg reading its input at twice real time, so a short clip takes long enough to be
    killed in the middle of its encode."""
    wrapper = folder / "ffmpeg-slow"
    wrapper.write_text(f'#!/bin/sh\nexec "{ffmpeg_exe()}" -readrate 2 "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def ffmpeg_pids_in(folder: Path) -> list[int]:
    """ffmpeg processes working in `folder` (the engine runs each in its scratch folder)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            cwd = os.readlink(entry / "cwd")
        except OSError:  # gone meanwhile, or not ours to look at
            continue
        if b"ffmpeg" in cmdline and cwd.startswith(str(folder)):
            pids.append(int(entry.name))
    return pids


def wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_encode_publishes_nothing_and_the_video_is_made_after_the_sweep(
    lease, settings, clips, tmp_path, task_queue
):
    video = uploaded_video(clips.video(width=640, height=360, seconds=3), with_sha=False)
    database = SharedDatabase(tmp_path)
    workdir = Path(settings.SUNSHINE_VIDEO_WORKDIR)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sunshine.settings",
        "DATABASE_URL": database.url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SUNSHINE_VIDEO_WORKDIR": str(workdir),
        "SUNSHINE_VIDEO_PROFILE": "fast",
        "SUNSHINE_VIDEO_LEASE_SECONDS": str(LEASE),
        "IMAGEIO_FFMPEG_EXE": str(slow_ffmpeg(tmp_path)),
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(video.pk)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout.readline().strip() == "mid-encode"
        assert ffmpeg_pids_in(workdir)  # in the middle of its encode
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()
    # ffmpeg dies with its worker (PR_SET_PDEATHSIG): no orphan keeps encoding.
    assert wait_until(lambda: not ffmpeg_pids_in(workdir))
    database.take_back()

    video.refresh_from_db()
    assert video.status == "transcoding" and len(video.sha256) == 64
    assert video.master_playlist == "" and published_names() == []  # nothing half-done is out
    assert not (workdir / "videos").exists()  # the engine's result was never finished either
    assert any((workdir / ".partial").iterdir())  # what it was doing, in its scratch folder
    dead = VideoEncoding.objects.get(sha256=video.sha256)
    assert dead.lease_owner and dead.status == "running"

    assert requeue_stalled(now=later()) == [video.pk]  # the scheduler, a lease later
    assert queued(task_queue) == [[video.pk]]
    assert tasks.process_video.call(video.pk) == "ready"  # the re-run, in another worker

    video.refresh_from_db()
    assert video.status == "ready" and video.attempts == 1
    master = public_storage().open(video.master_playlist).read().decode()
    assert "#EXT-X-STREAM-INF" in master and "360p/index.m3u8" in master
    assert not list((workdir / ".partial").iterdir())  # the dead worker's scratch, swept
