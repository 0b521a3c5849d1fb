"""An operator runs `sunshine transcode PATH --out DIR` on one file: no web app, no database."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.media.clips import ClipMaker


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    return ClipMaker.for_session(tmp_path_factory)


def transcode(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("transcode", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_transcode_prints_rungs_sizes_and_realtime_factor(clips, tmp_path):
    # No django_db mark: any database query here would fail the test.
    source = clips.video(width=960, height=540, seconds=3)
    captions = tmp_path / "lesson.srt"
    captions.write_text("1\n00:00:00,000 --> 00:00:01,000\n同学们好\n", encoding="utf-8")
    out, err = transcode(
        str(source),
        "--out",
        str(tmp_path / "out"),
        "--profile",
        "fast",
        "--captions",
        f"{captions}:zh-Hans:中文",
    )
    assert "360p 640x360" in out and "540p 960x540" in out
    assert "实时倍数" in out and "兼容 MP4: fallback.mp4 960x540" in out
    assert "100%" in err  # the progress bar reached the end
    (manifest_path,) = (tmp_path / "out" / "videos").rglob("manifest.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["captions"][0]["lang"] == "zh-Hans"
    assert (manifest_path.parent / manifest["master"]).exists()

    again, _ = transcode(
        str(source), "--out", str(tmp_path / "out"), "--profile", "fast", "--quiet"
    )
    assert "已存在，直接复用" in again


def test_transcode_explains_a_bad_file_in_chinese(clips, tmp_path):
    with pytest.raises(CommandError, match="无法识别为视频文件.*not_video"):
        transcode(str(clips.text_as_mp4()), "--out", str(tmp_path), "--quiet")
    assert not (tmp_path / "videos").exists()
