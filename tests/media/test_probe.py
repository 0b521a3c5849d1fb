"""What an upload really is: read from its content with PyAV, never from its name."""

import shutil

import pytest

from media_pipeline.engine.errors import InvalidSource
from media_pipeline.engine.probe import probe_source
from tests.media.clips import ClipMaker


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    return ClipMaker.for_session(tmp_path_factory)


def test_a_phone_style_mp4_is_measured(clips):
    info = probe_source(clips.video(width=640, height=360, seconds=3))
    assert info.format == "mov"
    assert abs(info.duration - 3.0) < 0.1
    assert (info.width, info.height, info.rotation) == (640, 360, 0)
    assert (info.display_width, info.display_height) == (640, 360)
    assert info.fps == pytest.approx(30, abs=0.01)
    assert not info.vfr
    assert (info.video_codec, info.audio_codec, info.has_audio) == ("h264", "aac", True)
    assert info.size > 0


def test_rotation_comes_from_the_display_matrix(clips):
    info = probe_source(clips.video(width=640, height=360, seconds=2, rotate=90))
    assert info.rotation == 90
    assert (info.width, info.height) == (640, 360)  # as stored
    assert (info.display_width, info.display_height) == (360, 640)  # as shown
    assert info.portrait


def test_variable_frame_rate_is_detected(clips):
    info = probe_source(clips.video(width=640, height=360, seconds=4, vfr=True))
    assert info.vfr
    assert info.max_fps == pytest.approx(30, abs=0.5)
    assert info.fps < 25


def test_hdr_phone_video_is_recognised(clips):
    assert probe_source(clips.video(width=320, height=240, seconds=1, hdr="hlg")).hdr == "hlg"
    assert probe_source(clips.video(width=320, height=240, seconds=1, hdr="pq")).hdr == "pq"
    assert probe_source(clips.video(width=320, height=240, seconds=1)).hdr is None


def test_silent_recording_has_no_audio(clips):
    info = probe_source(clips.video(width=640, height=360, seconds=2, audio=False))
    assert not info.has_audio and info.audio_codec is None


@pytest.mark.parametrize(
    ("container", "demuxer"), [("webm", "matroska"), ("ts", "mpegts"), ("mkv", "matroska")]
)
def test_other_real_containers_are_accepted(clips, container, demuxer):
    info = probe_source(clips.video(width=320, height=240, seconds=2, container=container))
    assert info.format == demuxer


def test_the_file_name_does_not_matter(clips, tmp_path):
    # A real MP4 called "notes.txt" is still a video.
    renamed = tmp_path / "notes.txt"
    shutil.copy(clips.video(width=320, height=240, seconds=2), renamed)
    assert probe_source(renamed).format == "mov"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda c: c.text_as_mp4(), "not_video"),
        (lambda c: c.photo_as_mp4(), "not_video"),
        (lambda c: c.empty(), "empty"),
        (lambda c: c.audio_only(), "no_video_stream"),
        (lambda c: c.truncated(faststart=False), "truncated"),
        (lambda c: c.hls_disguise(c.video(width=320, height=240, seconds=2)), "playlist"),
        (
            lambda c: c.hls_disguise(c.video(width=320, height=240, seconds=2), name="a.m3u8"),
            "playlist",
        ),
        (lambda c: c.concat_disguise(c.video(width=320, height=240, seconds=2)), "playlist"),
        (lambda c: c.fifo(), "not_a_file"),
    ],
    ids=[
        "text",
        "photo",
        "empty",
        "audio-only",
        "truncated-index",
        "hls",
        "hls-named-m3u8",
        "concat",
        "fifo",
    ],
)
def test_what_is_not_a_video_is_refused_with_a_reason(clips, make, code):
    with pytest.raises(InvalidSource) as caught:
        probe_source(make(clips))
    assert caught.value.code == code
    assert caught.value.transient is False
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.reason)  # Chinese for editors


def test_a_directory_is_not_a_video(tmp_path):
    with pytest.raises(InvalidSource) as caught:
        probe_source(tmp_path)
    assert caught.value.code == "not_a_file"
