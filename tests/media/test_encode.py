"""A recording becomes an adaptive HLS ladder with poster, storyboard, captions, MP4 fallback."""

import io
import shutil
import struct
import threading
from types import SimpleNamespace

import av
import pytest
from PIL import Image

import media_pipeline.engine.encode as encode_mod
import media_pipeline.engine.first_pass as first_pass_mod
import media_pipeline.engine.pass_steps as pass_steps_mod
import media_pipeline.engine.workspace as workspace_mod
from media_pipeline.engine.captions import CaptionInput
from media_pipeline.engine.errors import OutputInvalid
from media_pipeline.engine.first_pass import run_pipeline
from media_pipeline.engine.hd_pass import run_hd_pass
from media_pipeline.engine.hls import parse_media_playlist
from media_pipeline.engine.ladder import profile_hash
from media_pipeline.engine.workspace import sha256_file
from tests.media.clips import ClipMaker

SRT = "1\n00:00:00,500 --> 00:00:02,000\n同学们好\n"


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    return ClipMaker.for_session(tmp_path_factory)


@pytest.fixture(scope="module")
def lesson(clips, tmp_path_factory):
    """A 7-second 720p recording with sound, transcoded once for this module (fast profile)."""
    source = clips.video(width=1280, height=720, seconds=7)
    work = tmp_path_factory.mktemp("work")
    events, ffmpeg_calls = [], []
    real_run = encode_mod.run_ffmpeg

    def recording_run(args, **kwargs):
        ffmpeg_calls.append(list(args))
        return real_run(args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(encode_mod, "run_ffmpeg", recording_run)
        result = run_pipeline(
            source,
            work,
            profile="fast",
            progress=lambda fraction, stage: events.append((fraction, stage)),
            captions=[CaptionInput("zh-Hans", "中文", text=SRT)],
        )
    return SimpleNamespace(
        source=source,
        work=work,
        result=result,
        m=result.manifest,
        events=events,
        calls=ffmpeg_calls,
    )


def read_rendition(root, name):
    """(keyframe times, all frame times) of a rung, read back from its init + segments."""
    folder = root / name
    playlist = parse_media_playlist((folder / "index.m3u8").read_text())
    data = b"".join(
        (folder / uri).read_bytes()
        for uri in [playlist.init_uri, *(s.uri for s in playlist.segments)]
    )
    with av.open(io.BytesIO(data), format="mp4") as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.pts is not None]
        times = sorted(float(p.pts * stream.time_base) for p in packets)
        keys = sorted(float(p.pts * stream.time_base) for p in packets if p.is_keyframe)
        size = (stream.codec_context.width, stream.codec_context.height)
    return keys, times, size, playlist


def box_order(path):
    order, data = [], path.read_bytes()
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        order.append(kind.decode())
        pos += size if size > 1 else len(data)
    return order


def master_lines(result):
    return (result.root / result.manifest["master"]).read_text().splitlines()


# --- the main story -----------------------------------------------------------------------------


def test_outputs_are_keyed_by_content_and_profile(lesson):
    sha = sha256_file(lesson.source)
    assert lesson.result.prefix == f"videos/{sha[:2]}/{sha}/{profile_hash('fast')}"
    assert lesson.result.root == lesson.work / lesson.result.prefix
    assert not lesson.result.reused
    assert not list((lesson.work / ".partial").iterdir())  # nothing half-done left behind
    published = {f.relpath for f in lesson.result.files}
    assert "manifest.json" not in published
    assert all((lesson.result.root / rel).stat().st_size > 0 for rel in published)
    assert [f.relpath for f in lesson.result.files][-1] == lesson.m["master"]  # master last


def test_one_ffmpeg_process_decodes_once_and_splits_into_every_rung(lesson):
    encodes = [args for args in lesson.calls if "-var_stream_map" in args]
    assert len(encodes) == 1
    args = encodes[0]
    graph = args[args.index("-filter_complex") + 1]
    assert "split=3" in graph and graph.count("scale=") == 3 and graph.count("setsar=1") == 3
    stream_map = args[args.index("-var_stream_map") + 1]
    assert stream_map == (
        "v:0,name:360p,agroup:aud v:1,name:540p,agroup:aud v:2,name:720p,agroup:aud "
        "a:0,name:audio,agroup:aud"
    )
    # Untrusted input: file protocol only, the probed demuxer forced, never stdin.
    assert args[:4] == ["-protocol_whitelist", "file", "-f", "mov"]
    assert args[args.index("-i") + 1].startswith("file:/")


def test_ladder_follows_a_720p_source(lesson):
    assert [(v["name"], v["width"], v["height"]) for v in lesson.m["variants"]] == [
        ("360p", 640, 360),
        ("540p", 960, 540),
        ("720p", 1280, 720),
    ]
    assert lesson.m["hd_pending"] is False
    for variant in lesson.m["variants"]:
        *_, size, _ = read_rendition(lesson.result.root, variant["name"])
        assert size == (variant["width"], variant["height"])


def test_keyframes_every_two_seconds_and_segments_align_across_rungs(lesson):
    boundaries = []
    for variant in lesson.m["variants"]:
        keys, _, _, playlist = read_rendition(lesson.result.root, variant["name"])
        assert [k - keys[0] for k in keys] == pytest.approx([0, 2, 4, 6], abs=0.001)
        assert playlist.endlist and playlist.target_duration == 6
        boundaries.append([round(s.duration, 3) for s in playlist.segments])
    assert boundaries[0] == boundaries[1] == boundaries[2] == pytest.approx([6.0, 1.0], abs=0.05)
    assert lesson.m["segment_durations"] == pytest.approx(boundaries[0], abs=0.001)


def test_master_playlist_has_audio_group_captions_and_audio_only_variant(lesson):
    lines = master_lines(lesson.result)
    assert lines[0] == "#EXTM3U"
    assert any(
        line.startswith('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud"')
        and 'URI="audio/index.m3u8"' in line
        for line in lines
    )
    subtitles = [line for line in lines if line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES")]
    assert len(subtitles) == 1 and 'LANGUAGE="zh-Hans"' in subtitles[0]
    variants = [
        (lines[i], lines[i + 1])
        for i, line in enumerate(lines)
        if line.startswith("#EXT-X-STREAM-INF")
    ]
    assert [uri for _, uri in variants] == [
        "360p/index.m3u8",
        "540p/index.m3u8",
        "720p/index.m3u8",
        "audio/index.m3u8",
    ]
    audio_only = variants[-1][0]
    assert 'CODECS="mp4a.40.2"' in audio_only and "RESOLUTION" not in audio_only
    for info, _ in variants:
        assert 'AUDIO="aud"' in info and 'SUBTITLES="subs"' in info


def test_master_declares_what_was_measured_from_the_segments(lesson):
    root = lesson.result.root

    def peak_and_average(name):
        playlist = parse_media_playlist((root / name / "index.m3u8").read_text())
        sizes = [(root / name / s.uri).stat().st_size for s in playlist.segments]
        peak = max(round(b * 8 / s.duration) for b, s in zip(sizes, playlist.segments, strict=True))
        return peak, round(sum(sizes) * 8 / playlist.total_duration)

    audio_peak, audio_avg = peak_and_average("audio")
    text = "\n".join(master_lines(lesson.result))
    for variant in lesson.m["variants"]:
        peak, avg = peak_and_average(variant["name"])
        assert (
            f"BANDWIDTH={peak + audio_peak},AVERAGE-BANDWIDTH={avg + audio_avg},"
            f'CODECS="{variant["codecs"]}",RESOLUTION={variant["width"]}x{variant["height"]},'
            "FRAME-RATE=30.000"
        ) in text
        assert variant["codecs"].startswith("avc1.") and variant["codecs"].endswith(",mp4a.40.2")


def test_poster_and_storyboard_exist_and_the_map_points_inside_the_sprite(lesson):
    root = lesson.result.root
    poster = Image.open(root / lesson.m["poster"]["path"])
    assert poster.size == (960, 540)
    board = lesson.m["storyboard"]
    sprite = Image.open(root / board["image"])
    vtt = (root / board["vtt"]).read_text()
    assert vtt.startswith("WEBVTT")
    cues = [line for line in vtt.splitlines() if "#xywh=" in line]
    assert len(cues) == board["count"] == 4  # 7 s at one thumbnail per 2 s
    for cue in cues:
        x, y, w, h = map(int, cue.split("#xywh=")[1].split(","))
        assert (w, h) == (160, 90) and x + w <= sprite.width and y + h <= sprite.height
    assert "00:00:06.000 --> 00:00:07.000" in vtt  # the last cue ends with the video


def test_fallback_mp4_is_faststart_540p_with_sound(lesson):
    path = lesson.result.root / lesson.m["fallback_mp4"]["path"]
    order = box_order(path)
    assert order.index("moov") < order.index("mdat") and "moof" not in order
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (960, 540)
        assert container.streams.audio
        assert abs(container.duration / av.time_base - 7.0) < 0.2


def test_audio_only_rendition_is_playable_sound(lesson):
    path = lesson.result.root / lesson.m["audio_only"]["path"]
    with av.open(str(path)) as container:
        assert not container.streams.video and container.streams.audio
        frames = sum(1 for _ in container.decode(audio=0))
    assert frames > 300  # 7 s of 1024-sample AAC frames at 48 kHz


def test_progress_runs_through_every_stage_and_never_goes_back(lesson):
    fractions = [f for f, _ in lesson.events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    stages = list(dict.fromkeys(stage for _, stage in lesson.events))
    assert stages == ["probe", "encode", "validate", "fallback", "images", "done"]


# --- idempotent and restartable -------------------------------------------------------------------


def test_the_same_file_again_reuses_its_outputs(lesson, monkeypatch):
    def no_encode(*args, **kwargs):
        raise AssertionError("encoded again")

    monkeypatch.setattr(pass_steps_mod, "encode_ladder", no_encode)
    again = run_pipeline(lesson.source, lesson.work, profile="fast")
    assert again.reused and again.root == lesson.result.root
    assert again.manifest["master"] == lesson.m["master"]


def test_two_jobs_for_the_same_file_encode_once(clips, tmp_path, monkeypatch):
    source = clips.video(width=320, height=240, seconds=2)
    encodes = []
    real = pass_steps_mod.encode_ladder

    def counting(*args, **kwargs):
        encodes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pass_steps_mod, "encode_ladder", counting)
    results = []
    jobs = [
        threading.Thread(
            target=lambda: results.append(run_pipeline(source, tmp_path, profile="fast"))
        )
        for _ in range(2)
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    assert len(encodes) == 1
    assert sorted(r.reused for r in results) == [False, True]
    assert results[0].root == results[1].root


def test_a_job_that_dies_midway_publishes_nothing_and_can_run_again(clips, tmp_path, monkeypatch):
    source = clips.video(width=320, height=240, seconds=2)
    # A worker killed earlier left a half-written folder for the same key.
    sha, phash = sha256_file(source), profile_hash("fast")
    stale = tmp_path / ".partial" / f"{sha}-{phash}.killed"
    (stale / "240p").mkdir(parents=True)
    (stale / "240p" / "seg_00000.m4s").write_bytes(b"half")

    def crash(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(first_pass_mod, "make_images", crash)
    with pytest.raises(RuntimeError):
        run_pipeline(source, tmp_path, profile="fast")
    assert not (tmp_path / "videos").exists() or not any((tmp_path / "videos").rglob("*.m3u8"))
    assert not list((tmp_path / ".partial").iterdir())

    monkeypatch.undo()
    result = run_pipeline(source, tmp_path, profile="fast")
    assert not result.reused and (result.root / result.manifest["master"]).exists()


def test_the_fallback_and_images_are_made_while_the_ladder_is_validated(
    clips, tmp_path, monkeypatch
):
    source = clips.video(width=320, height=240, seconds=3)
    real = first_pass_mod.validate_ladder
    seen = {}

    def validate_once_the_side_work_is_done(root, *args, **kwargs):
        # Validation runs on the job's thread; the fallback, audio-only and images on others.
        seen["side work finished during validation"] = all(
            wait_for(root / name) for name in ("fallback.mp4", "audio.m4a", "storyboard.vtt")
        )
        return real(root, *args, **kwargs)

    monkeypatch.setattr(first_pass_mod, "validate_ladder", validate_once_the_side_work_is_done)
    result = run_pipeline(source, tmp_path, profile="fast")
    assert seen == {"side work finished during validation": True}
    assert not (result.root / ".scratch").exists()
    assert {"poster.jpg", "storyboard.jpg", "fallback.mp4", "audio.m4a"} <= {
        p.name for p in result.root.iterdir()
    }


def wait_for(path, seconds=60):
    # A generous bound, not a timing assertion: the side work is a few remuxes of a 3 s clip.
    import time

    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_ladder_that_fails_validation_stops_the_side_work_and_publishes_nothing(
    clips, tmp_path, monkeypatch
):
    source = clips.video(width=320, height=240, seconds=3)
    remuxes, started = [], threading.Event()
    real_remux = first_pass_mod.remux_progressive

    def remux(*args, cancel=None, **kwargs):
        remuxes.append(cancel)
        started.set()
        return real_remux(*args, cancel=cancel, **kwargs)

    def invalid(*args, **kwargs):
        assert started.wait(60)  # the side work is under way when validation says no
        raise OutputInvalid("segment_undecodable", detail="test")

    monkeypatch.setattr(first_pass_mod, "remux_progressive", remux)
    monkeypatch.setattr(first_pass_mod, "validate_ladder", invalid)
    with pytest.raises(OutputInvalid) as failure:
        run_pipeline(source, tmp_path, profile="fast")
    assert failure.value.code == "segment_undecodable"  # validation's verdict, not a side error
    assert remuxes and all(cancel() for cancel in remuxes)  # told to stop
    assert not (tmp_path / "videos").exists() or not any((tmp_path / "videos").rglob("*"))
    assert not list((tmp_path / ".partial").iterdir())


def test_leftovers_of_other_killed_jobs_are_swept_but_running_ones_kept(clips, tmp_path):

    (tmp_path / ".partial" / "deadbeef-000000000000.x1").mkdir(parents=True)
    running = tmp_path / ".partial" / "cafebabe-000000000000.x2"
    running.mkdir()
    # Another worker is busy with this one:
    with workspace_mod.key_lock(tmp_path, "cafebabe-000000000000"):
        run_pipeline(clips.video(width=320, height=240, seconds=2), tmp_path, profile="fast")
    assert [p.name for p in (tmp_path / ".partial").iterdir()] == [running.name]


def test_a_full_disk_is_a_reason_to_retry_later_not_to_fail(clips, tmp_path, monkeypatch):
    from collections import namedtuple

    from media_pipeline.engine.errors import EnvironmentFailure

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(workspace_mod.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 10**6))
    with pytest.raises(EnvironmentFailure) as caught:
        run_pipeline(clips.video(width=320, height=240, seconds=2), tmp_path, profile="fast")
    assert caught.value.code == "disk_full" and caught.value.transient
    assert not (tmp_path / "videos").exists()


# --- sources that must come out right -------------------------------------------------------------


def test_a_640x360_source_gets_no_540p_or_720p(clips, tmp_path):
    result = run_pipeline(clips.video(width=640, height=360, seconds=3), tmp_path, profile="fast")
    assert [v["name"] for v in result.manifest["variants"]] == ["360p"]
    assert result.manifest["fallback_mp4"]["height"] == 360
    assert not (result.root / "540p").exists() and not (result.root / "720p").exists()


@pytest.mark.slow
def test_portrait_phone_video_gets_portrait_rungs(clips, tmp_path):
    result = run_pipeline(
        clips.video(width=1280, height=720, seconds=2, rotate=90), tmp_path, profile="fast"
    )
    assert [(v["width"], v["height"]) for v in result.manifest["variants"]] == [
        (360, 640),
        (540, 960),
        (720, 1280),
    ]
    for variant in result.manifest["variants"]:
        *_, size, _ = read_rendition(result.root, variant["name"])
        assert size == (variant["width"], variant["height"])  # pixels turned, not just flagged
    assert Image.open(result.root / "poster.jpg").size == (540, 960)


@pytest.mark.slow
def test_odd_size_recording_without_sound(clips, tmp_path):
    result = run_pipeline(
        clips.video(width=1366, height=768, seconds=2, audio=False), tmp_path, profile="fast"
    )
    m = result.manifest
    assert [(v["width"], v["height"]) for v in m["variants"]] == [
        (640, 360),
        (960, 540),
        (1280, 720),
    ]
    assert m["audio"] is None and m["audio_only"] is None
    master = (result.root / m["master"]).read_text()
    assert "TYPE=AUDIO" not in master and "mp4a" not in master
    with av.open(str(result.root / "fallback.mp4")) as container:
        assert container.streams.video and not container.streams.audio


@pytest.mark.slow
def test_60fps_recording_keeps_its_frame_rate_and_two_second_keyframes(clips, tmp_path):
    result = run_pipeline(
        clips.video(width=640, height=360, seconds=3, fps=60), tmp_path, profile="fast"
    )
    assert "FRAME-RATE=60.000" in (result.root / result.manifest["master"]).read_text()
    keys, times, _, _ = read_rendition(result.root, "360p")
    # (The whole timeline starts ~21 ms late: room for the AAC encoder's priming samples.)
    assert [k - keys[0] for k in keys] == pytest.approx([0, 2], abs=0.001)
    assert len(times) == 180


@pytest.mark.slow
def test_variable_frame_rate_recording_still_aligns(clips, tmp_path):
    source = clips.video(width=960, height=540, seconds=8, vfr=True)
    result = run_pipeline(source, tmp_path, profile="fast")
    assert result.manifest["source"]["vfr"]
    first, second = (read_rendition(result.root, v["name"]) for v in result.manifest["variants"])
    assert first[0] == second[0]  # same keyframe instants in both rungs
    assert [k - first[0][0] for k in first[0][:4]] == pytest.approx([0, 2, 4, 6], abs=0.1)
    # Frames are not padded to a constant rate: the dropped ones stay dropped.
    assert len(first[1]) < 8 * 30 * 0.7


@pytest.mark.slow
def test_hdr_phone_video_is_tone_mapped_to_sdr(clips, tmp_path):
    result = run_pipeline(
        clips.video(width=640, height=360, seconds=2, hdr="hlg"), tmp_path, profile="fast"
    )
    folder = result.root / "360p"
    playlist = parse_media_playlist((folder / "index.m3u8").read_text())
    data = (folder / playlist.init_uri).read_bytes() + (
        folder / playlist.segments[0].uri
    ).read_bytes()
    with av.open(io.BytesIO(data), format="mp4") as container:
        frame = next(container.decode(video=0))
    assert frame.format.name == "yuv420p"
    assert (frame.color_trc, frame.color_primaries) == (1, 1)  # BT.709, not HLG/BT.2020


@pytest.mark.slow
def test_1080p_gets_hd_rung_in_a_second_pass(clips, tmp_path):
    source = clips.video(width=1920, height=1080, seconds=2)
    base = run_pipeline(source, tmp_path, profile="fast")
    assert base.manifest["hd_pending"] is True
    assert "1080p" not in {v["name"] for v in base.manifest["variants"]}
    old_master = (base.root / base.manifest["master"]).read_text()

    hd = run_hd_pass(source, tmp_path, base.manifest)
    m = hd.manifest
    assert m["hd_pending"] is False and m["master"] != base.manifest["master"]
    assert [v["name"] for v in m["variants"]][-1] == "1080p"
    assert "RESOLUTION=1920x1080" in (hd.root / m["master"]).read_text()
    assert (base.root / base.manifest["master"]).read_text() == old_master  # never rewritten
    assert {f.relpath.split("/")[0] for f in hd.files} == {"1080p", m["master"]}
    # Same instants as the published rungs, to the millisecond: players switch seamlessly.
    keys, *_ = read_rendition(hd.root, "1080p")
    assert keys == pytest.approx(read_rendition(hd.root, "720p")[0], abs=0.001)


@pytest.mark.slow
def test_standard_profile_makes_high_profile_h264(clips, tmp_path):
    result = run_pipeline(
        clips.video(width=640, height=360, seconds=2), tmp_path, profile="standard"
    )
    assert result.manifest["profile"] == "standard"
    assert result.manifest["variants"][0]["codecs"].startswith("avc1.64")  # High profile
    assert result.prefix.endswith(profile_hash("standard"))


def test_a_webm_upload_is_transcoded_too(clips, tmp_path):
    result = run_pipeline(
        clips.video(width=640, height=360, seconds=2, container="webm"), tmp_path, profile="fast"
    )
    assert result.manifest["source"]["format"] == "matroska"
    assert result.manifest["audio"] is not None
    shutil.rmtree(result.root)
