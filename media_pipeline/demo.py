"""Demo videos, run through the real pipeline and attached to the demo's lessons, lectures and
past live events that have none. Runs after the courses demo; idempotent.

Each page gets its own recording that looks like a lesson: slides with its title and the
sentences of its transcript, narrated by espeak-ng with captions timed to each sentence
(media_pipeline.demo_clip), 20 s to about 1.5 min long. Clips are cached under var/, and the
pipeline's outputs are content-addressed, so a second run encodes nothing. Tests (and machines
without espeak-ng or a Chinese font) get one short test pattern for every page instead
(SUNSHINE_DEMO_LESSON_VIDEOS=False).

Pages get the video the way an editor would give it: a new revision, published (or scheduled
again, for a page waiting for its go-live time). A page in review or with unpublished edits is
left alone: its content is for its editors and reviewers to decide.
"""

import subprocess
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile

from . import conf, demo_clip, storage, transcode_job
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
    """The one short test pattern (tests, or a machine that cannot make narrated clips)."""
    video = VideoAsset.objects.filter(title=TITLE).order_by("pk").first()
    if video is None:
        with tempfile.TemporaryDirectory() as tmp:
            clip = Path(tmp) / "demo.mp4"
            make_clip(clip)
            video = _new_asset(TITLE, clip, "认识情绪.mp4", CAPTIONS)
    return _ready(video, stdout)


def lesson_video(page, stdout):
    """The page's own narrated video: its title, then its transcript (or its summary)."""
    lines = demo_clip.narration(page.title, _script(page))
    clip = demo_clip.cached_clip(conf.demo_video_cache(), page.title, lines)
    from .engine.workspace import sha256_file

    sha = sha256_file(clip.path)
    video = VideoAsset.objects.filter(sha256=sha).order_by("pk").first()
    if video is None:
        video = _new_asset(f"演示视频：{page.title}", clip.path, f"{page.title}.mp4", clip.captions)
    return _ready(video, stdout)


def _script(page):
    """What the page's video says. A live event has no transcript: the demo's words for its
    replay, else its summary."""
    transcript = getattr(page, "transcript", "")
    if not transcript and page.specific_class.__name__ == "LiveEventPage":
        from courses.demo import content

        specs = {spec["slug"]: spec for spec in content.LIVE_EVENTS}
        transcript = specs.get(page.slug, {}).get("replay_script", "")
    return transcript or page.summary


def _new_asset(title, clip, source_name, captions):
    from .engine.workspace import sha256_file

    sha = sha256_file(clip)
    name = storage.save_private(clip, f"video-sources/{sha[:2]}/{sha}.mp4")
    video = VideoAsset.objects.create(
        title=title,
        source=name,
        source_name=source_name,
        source_size=clip.stat().st_size,
        sha256=sha,
    )
    caption = VideoCaption(video=video, language="zh-Hans", label="中文", is_default=True)
    caption.file.save("demo-zh.vtt", ContentFile(captions.encode()), save=False)
    caption.save()
    return video


def _ready(video, stdout):
    if video.status == VideoAsset.Status.FAILED:
        transcode_job.requeue(video)
    if not video.is_ready:
        outcome = transcode_job.process(video.pk)  # in this process: the demo must play at once
        video.refresh_from_db()
        if not video.is_ready:
            stdout.write(
                f"  演示视频“{video.title}”：{video.get_status_display()} {outcome.reason}"
            )
    return video


def _attachable(page):
    """Live or scheduled, with nothing in review and no unpublished edits of anyone's."""
    if page.workflow_in_progress:
        return False
    return not page.has_unpublished_changes or page.approved_schedule


def pages_without_video():
    """Lessons and lectures with no video, and live events that ended with no replay: the
    latest content of each that the demo may change. A page still showing the short test
    pattern of an earlier demo counts as having none when narrated videos are made."""
    from django.db.models import Q
    from django.utils import timezone

    from courses.models import LecturePage, LessonPage, LiveEventPage

    no_video = Q(video__isnull=True)
    if conf.demo_lesson_videos():
        no_video |= Q(video__title=TITLE)
    for queryset in (
        LessonPage.objects.filter(no_video),
        LecturePage.objects.filter(no_video),
        LiveEventPage.objects.filter(no_video, ends_at__lt=timezone.now()),
    ):
        for page in queryset.order_by("path"):
            if not _attachable(page):
                continue
            draft = page.get_scheduled_revision_as_object() or page
            if draft.video_id and draft.video_id != page.video_id:
                continue  # given one on an earlier run, waiting for its go-live time
            yield draft


def attach(draft, video):
    if draft.video_id == video.pk:
        return False
    draft.video = video
    # publish() schedules the revision again when the page's go-live time is ahead.
    draft.save_revision(log_action=True).publish()
    return True


def seed(stdout):
    narrated = conf.demo_lesson_videos()
    missing = demo_clip.missing_tools() if narrated else []
    if missing:
        stdout.write(f"  缺少{'、'.join(missing)}，所有演示课程使用同一段测试视频。")
        narrated = False
    pages = list(pages_without_video())
    if narrated and pages:
        stdout.write(f"  为 {len(pages)} 个页面生成演示视频（首次需要几分钟，之后用缓存）")
    shared = None if narrated else demo_video(stdout)
    attached, durations = 0, []
    for draft in pages:
        video = lesson_video(draft, stdout) if narrated else shared
        if not video.is_ready:
            continue  # the page shows 视频正在处理中 until an editor gives it one
        attached += attach(draft, video)
        durations.append(video.duration)
    if shared and not shared.is_ready:
        stdout.write("  演示视频没有处理成功，课程页面将显示“视频正在处理中”。")
        return
    lengths = ""
    if len(set(durations)) > 1:
        lengths = f"，{_minutes(min(durations))}–{_minutes(max(durations))}"
    stdout.write(f"  演示视频已就绪，新关联 {attached} 个课程/讲座/直播回放页面{lengths}")


def _minutes(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}分{seconds:02d}秒" if minutes else f"{seconds}秒"
