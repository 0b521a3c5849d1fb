"""Nothing is published unless the encode passes every check (ffmpeg's exit code proves nothing)."""

import shutil
import struct

import pytest

from media_pipeline.engine.encode import join_fragments
from media_pipeline.engine.errors import OutputInvalid
from media_pipeline.engine.ladder import get_profile, plan_ladder
from media_pipeline.engine.pass_steps import encode_and_validate  # the encode step, no checks yet
from media_pipeline.engine.probe import probe_source
from media_pipeline.engine.validate import check_progressive_mp4, validate_ladder
from tests.media.clips import ClipMaker


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    return ClipMaker.for_session(tmp_path_factory)


@pytest.fixture(scope="module")
def encoded(clips, tmp_path_factory):
    """A raw two-rung encode (360p + 540p, 7 s → segments of 6 s and 1 s), before any check."""
    source = clips.video(width=960, height=540, seconds=7)
    info = probe_source(source)
    out = tmp_path_factory.mktemp("encoded")
    rungs = plan_ladder(info, "fast")
    encode_and_validate(
        source,
        info,
        rungs,
        get_profile("fast"),
        out,
        audio=True,
        timeout=120,
        report=lambda *a: None,
        cancel=None,
    )
    return out, info


@pytest.fixture
def ladder(encoded, tmp_path):
    """A private copy to damage."""
    root, info = encoded
    copy = tmp_path / "ladder"
    shutil.copytree(root, copy)
    return copy, info


def check(root, info, **overrides):
    kwargs = {
        "video_duration": info.video_duration,
        "audio_expected": True,
        "audio_duration": info.audio_duration,
        **overrides,
    }
    return validate_ladder(root, ["360p", "540p"], **kwargs)


def failure(root, info, **overrides):
    with pytest.raises(OutputInvalid) as caught:
        check(root, info, **overrides)
    assert caught.value.transient is False
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.reason)
    return caught.value.code


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_intact_encode_passes_and_is_measured(ladder):
    root, info = ladder
    videos, audio = check(root, info)
    assert [v.name for v in videos] == ["360p", "540p"]
    assert [len(v.segments) for v in videos] == [2, 2]
    assert all(s.starts_with_keyframe for v in videos for s in v.segments)
    assert videos[0].peak_bitrate >= videos[0].average_bitrate > 0
    assert videos[0].frame_rate == 30.0
    assert audio is not None and audio.codec == "mp4a.40.2"


def test_a_playlist_without_endlist_is_not_finished(ladder):
    root, info = ladder
    edit(root / "540p" / "index.m3u8", "#EXT-X-ENDLIST", "")
    assert failure(root, info) == "playlist_incomplete"


def test_a_missing_segment_is_caught(ladder):
    root, info = ladder
    (root / "360p" / "seg_00001.m4s").unlink()
    assert failure(root, info) == "segment_missing"


def test_an_empty_segment_is_caught(ladder):
    root, info = ladder
    (root / "540p" / "seg_00000.m4s").write_bytes(b"")
    assert failure(root, info) == "segment_missing"


def test_a_segment_longer_than_the_target_duration_is_caught(ladder):
    root, info = ladder
    edit(root / "360p" / "index.m3u8", "#EXT-X-TARGETDURATION:6", "#EXT-X-TARGETDURATION:4")
    assert failure(root, info) == "segment_too_long"


def test_output_shorter_than_the_source_is_caught(ladder):
    # What a truncated upload looks like: the index promised more than the encode produced.
    root, info = ladder
    assert failure(root, info, video_duration=info.video_duration + 1.5) == "duration_mismatch"


def test_a_dropped_segment_line_changes_the_duration(ladder):
    root, info = ladder
    playlist = root / "360p" / "index.m3u8"
    lines = playlist.read_text().splitlines()
    cut = lines.index("seg_00000.m4s")  # the 6-second one
    playlist.write_text("\n".join(lines[: cut - 1] + lines[cut + 1 :]) + "\n")
    assert failure(root, info) == "duration_mismatch"


def test_segments_cut_at_different_instants_are_misaligned(ladder):
    # Shift the second 540p segment's decode time by half a second.
    root, info = ladder
    segment = root / "540p" / "seg_00001.m4s"
    data = bytearray(segment.read_bytes())
    at = data.index(b"tfdt") + 4
    version = data[at]
    fmt = ">Q" if version == 1 else ">I"
    value = struct.unpack_from(fmt, data, at + 4)[0]
    struct.pack_into(fmt, data, at + 4, value + 7680)  # 0.5 s at a 15360 timescale
    segment.write_bytes(bytes(data))
    assert failure(root, info) == "keyframes_misaligned"


def test_sound_that_went_missing_is_caught(ladder):
    root, info = ladder
    shutil.rmtree(root / "audio")
    assert failure(root, info) == "audio_missing"


def test_a_last_segment_cut_short_does_not_decode(ladder):
    root, info = ladder
    segment = root / "540p" / "seg_00001.m4s"
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    assert failure(root, info) == "segment_undecodable"


def test_a_playlist_pointing_outside_its_folder_is_refused(ladder):
    root, info = ladder
    edit(root / "360p" / "index.m3u8", "seg_00000.m4s", "../540p/seg_00000.m4s")
    assert failure(root, info) == "segment_missing"


def test_the_fallback_must_be_a_faststart_progressive_mp4(ladder, clips, tmp_path):
    root, info = ladder
    fragmented = join_fragments(root / "540p", tmp_path / "fragmented.mp4")
    with pytest.raises(OutputInvalid) as caught:
        check_progressive_mp4(fragmented, expect_audio=False, duration=info.duration)
    assert caught.value.code == "fallback_invalid"

    index_at_the_end = clips.video(width=320, height=240, seconds=2, faststart=False)
    with pytest.raises(OutputInvalid):
        check_progressive_mp4(index_at_the_end, expect_audio=True, duration=2.0)

    check_progressive_mp4(
        clips.video(width=320, height=240, seconds=2), expect_audio=True, duration=2.0
    )


def test_a_segment_decoded_ahead_counts_only_for_the_very_same_bytes(ladder):
    # While the encode runs, first segments are decoded ahead (first_pass); the check after the
    # encode takes that count only for identical bytes.
    from media_pipeline.engine.validate import DecodedAhead

    root, info = ladder
    folder = root / "360p"
    [init] = folder.glob("init*.mp4")
    data = init.read_bytes() + (folder / "seg_00000.m4s").read_bytes()
    ahead = DecodedAhead()
    ahead.decode(data, "video")
    frames = ahead.frames(data)
    assert frames and frames > 100  # 6 s of video
    assert ahead.frames(data[:-1] + bytes([data[-1] ^ 1])) is None
    check(root, info, ahead=ahead)  # passes with the count decoded ahead

    # The count kept is the one the check uses: a count that is short fails the ladder...
    ahead._frames[ahead._key(data)] = frames - 1
    assert failure(root, info, ahead=ahead) == "segment_undecodable"
    # ...and a decode ahead that failed keeps nothing (the check decodes again, and decides).
    broken = DecodedAhead()
    broken.decode(b"not a video", "video")
    assert broken._frames == {}
    check(root, info, ahead=broken)
