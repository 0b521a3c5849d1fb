"""Which rungs a recording gets, at what size, and what names its outputs (no encoding here)."""

import dataclasses

import pytest

from media_pipeline.engine.ladder import (
    PROFILES,
    fallback_rung,
    get_profile,
    output_fps,
    plan_ladder,
    profile_hash,
)
from media_pipeline.engine.probe import SourceInfo


def source(width, height, *, rotation=0, fps=30.0, sar=1.0):
    display_w, display_h = round(width * sar), height
    if rotation in (90, 270):
        display_w, display_h = display_h, display_w
    return SourceInfo(
        format="mov",
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        duration=60.0,
        video_duration=60.0,
        audio_duration=60.0,
        width=width,
        height=height,
        rotation=rotation,
        display_width=display_w,
        display_height=display_h,
        fps=fps,
        max_fps=fps,
        vfr=False,
        video_codec="h264",
        audio_codec="aac",
        has_audio=True,
        audio_channels=2,
        size=1,
    )


def sizes(info, profile="standard"):
    return [(r.name, r.width, r.height, r.hd) for r in plan_ladder(info, profile)]


def test_a_640x360_recording_gets_only_360p():
    assert sizes(source(640, 360)) == [("360p", 640, 360, False)]


def test_720p_recording_gets_360_540_720_and_no_hd():
    assert sizes(source(1280, 720)) == [
        ("360p", 640, 360, False),
        ("540p", 960, 540, False),
        ("720p", 1280, 720, False),
    ]


def test_1080p_recording_adds_hd_rung_for_the_second_pass():
    assert sizes(source(1920, 1080))[-1] == ("1080p", 1920, 1080, True)


def test_odd_laptop_size_gets_even_dimensions_without_upscaling():
    # 1366×768 screen recordings: nothing above the source, every side even.
    planned = plan_ladder(source(1366, 768), "standard")
    assert [(r.width, r.height) for r in planned] == [(640, 360), (960, 540), (1280, 720)]
    assert all(r.width % 2 == 0 and r.height % 2 == 0 for r in planned)


def test_portrait_phone_video_constrains_the_short_side():
    # Stored 1920×1080 with a 90° display matrix: shown 1080×1920 (portrait).
    assert sizes(source(1920, 1080, rotation=90)) == [
        ("360p", 360, 640, False),
        ("540p", 540, 960, False),
        ("720p", 720, 1280, False),
        ("1080p", 1080, 1920, True),
    ]


def test_portrait_720_wide_phone_video_is_not_upscaled_to_1080():
    assert [r.name for r in plan_ladder(source(720, 1280), "standard")] == ["360p", "540p", "720p"]


def test_tiny_recording_gets_one_rung_at_its_own_size():
    assert sizes(source(320, 240)) == [("240p", 320, 240, False)]
    # Odd sizes round down to even: never a pixel more than the source has.
    assert sizes(source(321, 181)) == [("180p", 320, 180, False)]


def test_anamorphic_pixels_are_made_square():
    # 720×576 with 16:15 pixels (PAL DV) is shown 768×576.
    assert sizes(source(720, 576, sar=16 / 15))[0][:3] == ("360p", 480, 360)


def test_fallback_is_540p_or_the_highest_rung_below():
    assert fallback_rung(plan_ladder(source(1920, 1080), "standard"), "standard").name == "540p"
    assert fallback_rung(plan_ladder(source(640, 360), "standard"), "standard").name == "360p"


def test_frame_rate_is_kept_up_to_60_and_capped_above():
    assert output_fps(source(1280, 720, fps=59.94), "standard") is None
    assert output_fps(source(1280, 720, fps=120), "standard") == 60


def test_fast_profile_differs_from_standard_only_in_the_preset():
    standard, fast = dataclasses.asdict(PROFILES["standard"]), dataclasses.asdict(PROFILES["fast"])
    differing = {k for k in standard if standard[k] != fast[k]}
    assert differing == {"name", "preset"}


def test_profile_hash_changes_with_ffmpeg_build_and_settings_but_not_time_limits():
    standard = get_profile("standard")
    base = profile_hash(standard, "n9.0.2")
    assert profile_hash(standard, "n9.0.3") != base
    assert profile_hash("fast", "n9.0.2") != base
    assert profile_hash(dataclasses.replace(standard, time_limit_floor=1.0), "n9.0.2") == base
    assert len(base) == 12 and int(base, 16) >= 0


def test_profile_hash_includes_the_installed_ffmpeg_version():
    from media_pipeline.engine.ffmpeg import ffmpeg_version

    assert profile_hash("standard") == profile_hash("standard", ffmpeg_version())


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown profile"):
        get_profile("ultra")


def test_time_limit_grows_with_duration_from_a_floor():
    profile = get_profile("standard")
    assert profile.time_limit(0) == profile.time_limit_floor
    assert profile.time_limit(3600) == profile.time_limit_floor + 3600 * profile.time_limit_factor
