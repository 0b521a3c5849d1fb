"""Captions editors upload (SRT from Chinese Windows tools, or WebVTT) become WebVTT in HLS."""

import pytest

from media_pipeline.engine.captions import CaptionInput, srt_to_vtt, to_webvtt, validate_vtt
from media_pipeline.engine.errors import CaptionError
from media_pipeline.engine.first_pass import update_captions
from media_pipeline.engine.hls import parse_media_playlist

SRT = """1
00:00:01,000 --> 00:00:03,500
同学们好，今天我们聊聊<font color="#ff0">考试焦虑</font>。

2
00:00:04,000 --> 00:00:06,000
<i>深呼吸</i> & 放松 -->

"""


def test_srt_becomes_webvtt_with_dots_and_no_counters():
    vtt = srt_to_vtt(SRT)
    assert vtt.startswith("WEBVTT\n\n")
    assert "00:00:01.000 --> 00:00:03.500\n同学们好，今天我们聊聊考试焦虑。" in vtt
    assert "\n1\n" not in vtt and "\n2\n" not in vtt


def test_markup_webvtt_cannot_show_is_cleaned_and_special_characters_escaped():
    vtt = srt_to_vtt(SRT)
    assert "<font" not in vtt
    assert "<i>深呼吸</i> &amp; 放松 →" in vtt


def test_gbk_srt_from_windows_notepad_is_read():
    assert "考试焦虑" in to_webvtt(SRT.encode("gbk"))


def test_utf8_bom_and_crlf_are_fine():
    data = "\ufeff" + SRT.replace("\n", "\r\n")
    assert "00:00:04.000 --> 00:00:06.000" in to_webvtt(data.encode("utf-8"))


def test_webvtt_keeps_cue_settings_and_drops_notes():
    text = "WEBVTT\n\nNOTE 讲者：王老师\n\n00:01.000 --> 00:02.000 line:90%\n你好\n"
    vtt = validate_vtt(text)
    assert "00:00:01.000 --> 00:00:02.000 line:90%\n你好" in vtt
    assert "NOTE" not in vtt


def test_format_is_decided_by_content_not_name():
    assert to_webvtt(b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhi\n").startswith("WEBVTT")
    assert to_webvtt(SRT).startswith("WEBVTT")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        ("这只是一段说明文字，不是字幕。".encode(), "format"),
        (b"1\n00:00:05,000 --> 00:00:02,000\nbackwards\n", "bad_timing"),
        (b"1\n00:00:05,000 --> soon\nbroken\n", "bad_timing"),
        (b"1\n00:00:01,000 --> 00:00:02,000\n\n", "no_cues"),
        (b"\xff\xfe\xff", "encoding"),
        (b"WEBVTT\n\n00:00:03.000 --> 00:00:01.000\nhi\n", "bad_timing"),
    ],
    ids=[
        "empty",
        "blank",
        "prose",
        "backwards",
        "garbled-time",
        "no-text",
        "binary",
        "vtt-backwards",
    ],
)
def test_bad_caption_files_are_refused_with_a_chinese_reason(data, code):
    with pytest.raises(CaptionError) as caught:
        to_webvtt(data)
    assert caught.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.reason)


def manifest_for_captions():
    """The parts of an engine manifest a master playlist is rendered from."""
    return {
        "duration": 12.0,
        "captions": [],
        "variants": [
            {
                "name": "360p",
                "width": 640,
                "height": 360,
                "playlist": "360p/index.m3u8",
                "bandwidth": 900_000,
                "average_bandwidth": 700_000,
                "codecs": "avc1.64001e,mp4a.40.2",
                "frame_rate": 30.0,
                "hd": False,
            }
        ],
        "audio": {
            "playlist": "audio/index.m3u8",
            "codecs": "mp4a.40.2",
            "bandwidth": 132_000,
            "average_bandwidth": 130_000,
            "channels": 2,
        },
    }


def test_captions_added_later_get_a_subtitle_group_in_a_new_master(tmp_path):
    manifest, files = update_captions(
        tmp_path,
        manifest_for_captions(),
        [
            CaptionInput("zh-Hans", "中文", text=SRT, default=True),
            CaptionInput("en", "English", text="1\n00:00:01,000 --> 00:00:02,000\nHello\n"),
        ],
    )
    master = (tmp_path / manifest["master"]).read_text()
    assert 'TYPE=SUBTITLES,GROUP-ID="subs",NAME="中文",LANGUAGE="zh-Hans",DEFAULT=YES' in master
    assert 'NAME="English",LANGUAGE="en",DEFAULT=NO' in master
    assert master.count('SUBTITLES="subs"') == 2  # the video rung and the audio-only variant
    # The subtitle playlist is a finished VOD list naming its WebVTT file.
    zh = manifest["captions"][0]
    playlist = parse_media_playlist((tmp_path / zh["playlist"]).read_text())
    assert playlist.endlist and playlist.segments[0].duration == 12.0
    assert (tmp_path / zh["playlist"]).parent / playlist.segments[0].uri == tmp_path / zh["vtt"]
    # Everything to publish is listed, the master last.
    assert [f.relpath for f in files][-1] == manifest["master"]
    assert {zh["vtt"], zh["playlist"]} <= {f.relpath for f in files}


def test_changing_captions_makes_a_new_master_and_keeps_the_old_one(tmp_path):
    first, _ = update_captions(
        tmp_path, manifest_for_captions(), [CaptionInput("zh-Hans", "中文", text=SRT)]
    )
    second, _ = update_captions(tmp_path, first, [])
    assert first["master"] != second["master"]
    assert (tmp_path / first["master"]).exists()  # already cached by players: never rewritten
    assert "SUBTITLES" not in (tmp_path / second["master"]).read_text()


def test_two_tracks_with_one_label_stay_distinguishable(tmp_path):
    manifest, _ = update_captions(
        tmp_path,
        manifest_for_captions(),
        [
            CaptionInput("zh-Hans", "中文", text=SRT, default=True),
            CaptionInput("zh-Hant", "中文", text=SRT, default=True),
        ],
    )
    master = (tmp_path / manifest["master"]).read_text()
    assert 'NAME="中文",LANGUAGE="zh-Hans",DEFAULT=YES' in master
    assert 'NAME="中文*",LANGUAGE="zh-Hant",DEFAULT=NO' in master


def test_a_bad_language_code_is_refused(tmp_path):
    with pytest.raises(CaptionError) as caught:
        update_captions(
            tmp_path, manifest_for_captions(), [CaptionInput("中文/../x", "中文", text=SRT)]
        )
    assert caught.value.code == "language"
