"""Demo video: a short clip made with ffmpeg, run through the real pipeline and attached to the
demo lessons and lectures that have no video. Runs after the courses demo; idempotent (the clip
is the same bytes every time, so a second run finds the asset ready and changes nothing).

Pages get the video the way an editor would give it: a new revision, published (or scheduled
again, for a page waiting for its go-live time). A page in review or with unpublished edits is
left alone: its content is for its editors and reviewers to decide.
"""

import subprocess
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile

from . import storage, transcode_job
from .models import VideoAsset, VideoCaption

TITLE = "演示视频：认识情绪"
SECONDS = 8
CAPTIONS = """WEBVTT

00:00:00.000 --> 00:00:04.000
同学们好，欢迎来到阳光课堂。

00:00:04.000 --> 00:00:08.000
今天我们一起认识自己的情绪。
"""


def make_clip(path, seconds=SECONDS):
    """A small 640×360 test pattern with a tone: deterministic, so the same sha256 every run."""
    from .engine.ffmpeg import ffmpeg_exe

    subprocess.run(
        [
            ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50",
            "-c:a", "aac", "-b:a", "96k", "-map_metadata", "-1", "-fflags", "+bitexact",
            "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-movflags", "+faststart",
            str(path),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip


def demo_video(stdout):
    video = VideoAsset.objects.filter(title=TITLE).order_by("pk").first()
    if video is None:
        from .engine.workspace import sha256_file

        with tempfile.TemporaryDirectory() as tmp:
            clip = Path(tmp) / "demo.mp4"
            make_clip(clip)
            sha = sha256_file(clip)
            name = storage.save_private(clip, f"video-sources/{sha[:2]}/{sha}.mp4")
            video = VideoAsset.objects.create(
                title=TITLE,
                source=name,
                source_name="认识情绪.mp4",
                source_size=clip.stat().st_size,
                sha256=sha,
            )
        caption = VideoCaption(video=video, language="zh-Hans", label="中文", is_default=True)
        caption.file.save("demo-zh.vtt", ContentFile(CAPTIONS.encode()), save=False)
        caption.save()
    if video.status == VideoAsset.Status.FAILED:
        transcode_job.requeue(video)
    if not video.is_ready:
        outcome = transcode_job.process(video.pk)  # in this process: the demo must play at once
        video.refresh_from_db()
        stdout.write(f"  演示视频：{video.get_status_display()} {outcome.reason}")
    return video


def _attachable(page):
    """Live or scheduled, with nothing in review and no unpublished edits of anyone's."""
    if page.workflow_in_progress:
        return False
    return not page.has_unpublished_changes or page.approved_schedule


def attach_to_pages(video):
    from courses.models import LecturePage, LessonPage

    attached = 0
    for model in (LessonPage, LecturePage):
        for page in model.objects.filter(video__isnull=True):
            if not _attachable(page):
                continue
            draft = page.get_scheduled_revision_as_object() or page
            if draft.video_id:  # given one on an earlier run, waiting for its go-live time
                continue
            draft.video = video
            # publish() schedules the revision again when the page's go-live time is ahead.
            draft.save_revision(log_action=True).publish()
            attached += 1
    return attached


def seed(stdout):
    video = demo_video(stdout)
    if not video.is_ready:
        stdout.write("  演示视频没有处理成功，课程页面将显示“视频正在处理中”。")
        return
    attached = attach_to_pages(video)
    stdout.write(f"  演示视频已就绪（{video.duration_text}），新关联 {attached} 个课程/讲座页面")
