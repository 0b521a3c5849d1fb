"""Uploads are untrusted: each bad one fails with a reason editors understand; nothing is published.

Includes the dangerous kind: a "video" that is really a playlist telling ffmpeg to read other files
(or URLs) into the output, and inputs that make ffmpeg hang.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest
from PIL import ImageStat

import media_pipeline.engine.ffmpeg as ffmpeg_mod
import media_pipeline.engine.pass_steps as pass_steps_mod
from media_pipeline.engine.encode import encode_ladder
from media_pipeline.engine.errors import (
    Cancelled,
    EncodeFailed,
    InvalidSource,
    MediaError,
    ProcessTimeout,
)
from media_pipeline.engine.ffmpeg import ffmpeg_exe, run_ffmpeg, run_process
from media_pipeline.engine.first_pass import run_pipeline
from media_pipeline.engine.ladder import get_profile, plan_ladder
from media_pipeline.engine.probe import probe_source
from tests.media.clips import ClipMaker


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    return ClipMaker.for_session(tmp_path_factory)


@pytest.fixture(scope="module")
def secret(clips):
    """A local file an attacker would like to see published: solid red with a 1 kHz tone."""
    return clips.video(width=320, height=240, seconds=3, color="red", tone=1000)


def published(workdir: Path) -> list[Path]:
    return [p for p in workdir.rglob("*") if p.is_file() and ".locks" not in p.parts]


def fails(source, workdir, **kwargs) -> MediaError:
    with pytest.raises(MediaError) as caught:
        run_pipeline(source, workdir, profile="fast", **kwargs)
    error = caught.value
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.reason), error.reason
    assert published(workdir) == []  # nothing published, nothing half-done left behind
    return error


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda c: c.text_as_mp4(), "not_video"),
        (lambda c: c.empty(), "empty"),
        (lambda c: c.truncated(faststart=False), "truncated"),
        (lambda c: c.audio_only(), "no_video_stream"),
        (lambda c: c.video(width=320, height=240, seconds=0.4), "too_short"),
    ],
    ids=["text-named-mp4", "zero-bytes", "truncated-index-missing", "no-video-stream", "too-short"],
)
def test_bad_uploads_fail_permanently_with_a_reason(clips, tmp_path, make, code):
    error = fails(make(clips), tmp_path)
    assert error.code == code and isinstance(error, InvalidSource) and not error.transient


def test_truncated_upload_is_caught_after_ffmpeg_says_all_is_well(clips, tmp_path, monkeypatch):
    # The index survives (faststart) and promises 4 s; only half the media arrived.
    exits = []
    real = pass_steps_mod.encode_ladder

    def spy(*args, **kwargs):
        run = real(*args, **kwargs)
        exits.append(run.returncode)
        return run

    monkeypatch.setattr(pass_steps_mod, "encode_ladder", spy)
    error = fails(clips.truncated(keep=0.5), tmp_path)
    assert exits == [0]  # ffmpeg succeeded…
    assert error.code == "truncated"  # …validation decided
    assert "EXTINF sum" in error.detail


def test_corruption_in_the_middle_is_refused(clips, tmp_path):
    error = fails(clips.corrupted(), tmp_path)
    assert error.code == "corrupt" and not error.transient


@pytest.mark.parametrize("name", ["lesson.mp4", "lesson.m3u8"])
def test_hls_playlist_disguised_as_video_never_reads_the_local_file(clips, secret, tmp_path, name):
    evil = clips.hls_disguise(secret, name=name)
    error = fails(evil, tmp_path / "work")
    assert error.code == "playlist"


def test_the_disguise_is_real_an_unguarded_ffmpeg_would_publish_the_local_file(
    clips, secret, tmp_path
):
    """Control for the test above: without our guards the secret does end up in the output."""
    evil = clips.hls_disguise(secret, name="lesson.m3u8")
    out = tmp_path / "naive.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(evil), "-c", "copy", str(out)],
        check=True,
        timeout=60,
    )
    with av.open(str(out)) as container:
        picture = next(container.decode(video=0)).to_image()
    red, green, blue = ImageStat.Stat(picture).mean
    assert red > 200 and green < 60 and blue < 60  # the red secret leaked


def test_even_past_the_probe_ffmpeg_will_not_demux_a_playlist(clips, secret, tmp_path):
    """Defence in depth: the encoder forces the probed demuxer and the file protocol."""
    info = probe_source(clips.video(width=320, height=240, seconds=2))
    evil = clips.hls_disguise(secret, name="lesson.m3u8")
    with pytest.raises(EncodeFailed):
        encode_ladder(
            evil, info, plan_ladder(info, "fast"), get_profile("fast"), tmp_path, timeout=60
        )
    assert not any(p.suffix == ".m4s" and p.stat().st_size for p in tmp_path.rglob("*"))


def test_concat_list_disguised_as_video_is_refused(clips, secret, tmp_path):
    error = fails(clips.concat_disguise(secret), tmp_path)
    assert error.code == "playlist"


def test_a_playlist_pointing_at_a_url_never_touches_the_network(clips, tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        evil = clips.hls_url_disguise(f"http://127.0.0.1:{port}/secret.ts")
        error = fails(evil, tmp_path)
        assert error.code == "playlist"
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody came knocking
    finally:
        listener.close()


# --- time limits and process groups ------------------------------------------------------------


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie waiting for init is dead too


def test_a_stalled_ffmpeg_is_killed_at_its_time_limit(clips, tmp_path, monkeypatch):
    # Reading a fifo nobody writes to blocks forever: what a stalled input looks like.
    started = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(ffmpeg_mod.subprocess, "Popen", recording_popen)
    with pytest.raises(ProcessTimeout) as caught:
        run_ffmpeg(
            [
                "-protocol_whitelist",
                "file",
                "-f",
                "mov",
                "-i",
                f"file:{clips.fifo()}",
                "-f",
                "null",
                "-",
            ],
            cwd=tmp_path,
            timeout=1.0,
        )
    assert caught.value.code == "timeout" and caught.value.transient is False
    assert "超时" in caught.value.reason
    (proc,) = started
    assert proc.returncode == -signal.SIGKILL
    assert gone(proc.pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # ffmpeg ran in a process group of its own: none of it is left


def test_the_whole_process_group_dies_not_just_the_leader(tmp_path):
    child_pids = []
    script = "sleep 300 & echo $!; sleep 300"
    with pytest.raises(ProcessTimeout):
        run_process(
            ["/bin/sh", "-c", script],
            cwd=tmp_path,
            timeout=1.0,
            on_line=lambda line: child_pids.append(int(line)) if line.isdigit() else None,
        )
    (child,) = child_pids
    deadline = time.monotonic() + 5
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(child)


def test_a_hung_encode_fails_cleanly_and_the_next_job_still_runs(clips, tmp_path):
    source = clips.video(width=640, height=360, seconds=3)
    error = fails(source, tmp_path, time_limit=0.05)
    assert isinstance(error, ProcessTimeout) and error.code == "timeout"
    # Same worker, next job: works, and the killed attempt left nothing in its way.
    result = run_pipeline(source, tmp_path, profile="fast")
    assert (result.root / result.manifest["master"]).exists()


def test_a_cancelled_job_stops_and_will_be_retried(clips, tmp_path):
    error = fails(clips.video(width=640, height=360, seconds=3), tmp_path, cancel=lambda: True)
    assert isinstance(error, Cancelled) and error.transient


def test_ffmpeg_gets_no_inherited_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://proxy.invalid:3128")
    lines = []
    run_process(
        [sys.executable, "-c", "import os; print(sorted(os.environ))"],
        cwd=tmp_path,
        timeout=30,
        on_line=lines.append,
    )
    assert "http_proxy" not in lines[0] and "PATH" in lines[0]
    assert os.environ["http_proxy"]  # ours untouched
