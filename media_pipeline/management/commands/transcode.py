"""`sunshine transcode PATH --out DIR`: the whole engine on one file; no web app, no database."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from media_pipeline.engine.captions import CaptionInput
from media_pipeline.engine.errors import MediaError
from media_pipeline.engine.first_pass import run_pipeline
from media_pipeline.engine.hd_pass import run_hd_pass
from media_pipeline.engine.ladder import PROFILES
from media_pipeline.engine.pass_steps import STAGE_LABELS


def _caption_arg(value: str) -> CaptionInput:
    # FILE[:lang[:name]]
    path, _, rest = value.partition(":")
    lang, _, name = rest.partition(":")
    return CaptionInput(lang=lang or "zh-Hans", name=name or "中文", path=path)


def _size(num: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if num < 1024:
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1024
    return f"{num:.2f} GiB"


class Command(BaseCommand):
    help = "把一个视频文件转成 HLS 多码率（含封面、预览图、兼容 MP4），不需要网站或数据库。"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="source video file")
        parser.add_argument("--out", required=True, help="output directory (videos/<sha>/… inside)")
        parser.add_argument("--profile", default="standard", choices=sorted(PROFILES))
        parser.add_argument("--hd", action="store_true", help="also run the 1080p second pass now")
        parser.add_argument(
            "--captions",
            action="append",
            default=[],
            type=_caption_arg,
            metavar="FILE[:LANG[:NAME]]",
        )
        parser.add_argument("--time-limit", type=float, default=None, help="seconds per ffmpeg run")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        source = Path(options["path"])
        out = Path(options["out"])
        started = time.monotonic()
        bar = tqdm(
            total=100,
            unit="%",
            bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}",
            disable=options["quiet"],
            file=self.stderr._out,
        )

        def progress(fraction: float, stage: str) -> None:
            bar.set_description_str(STAGE_LABELS.get(stage, stage))
            bar.n = round(fraction * 100, 1)
            bar.refresh()

        try:
            result = run_pipeline(
                source,
                out,
                profile=options["profile"],
                progress=progress,
                captions=options["captions"],
                time_limit=options["time_limit"],
            )
            files = list(result.files)
            if options["hd"] and result.manifest.get("hd_pending"):
                bar.reset()
                hd = run_hd_pass(
                    source,
                    out,
                    result.manifest,
                    progress=progress,
                    time_limit=options["time_limit"],
                )
                result.manifest = hd.manifest
                files += hd.files
        except MediaError as exc:
            raise CommandError(f"{exc.reason}（{exc.code}）\n{exc.detail[-600:]}".rstrip()) from exc
        finally:
            bar.close()
        self._summary(result, files, time.monotonic() - started)

    def _summary(self, result, files, elapsed):
        m = result.manifest
        src = m["source"]
        write = self.stdout.write
        codecs = f"{src['format']}/{src['video_codec']}" + (
            f"/{src['audio_codec']}" if src["audio_codec"] else ", 无音频"
        )
        write(
            f"源文件: {src['display_width']}x{src['display_height']} {src['fps']:g} fps"
            f"{' (VFR)' if src['vfr'] else ''}, {m['duration']:.1f} s, {codecs}"
        )
        write(f"输出: {result.root}" + ("（已存在，直接复用）" if result.reused else ""))
        write(f"主播放列表: {m['master']}")
        for v in m["variants"]:
            write(
                f"  {v['name']:>6} {v['width']}x{v['height']} {v['frame_rate']:g} fps "
                f"{v['average_bandwidth'] / 1000:.0f} kbps (峰值 {v['bandwidth'] / 1000:.0f}) "
                f"{_size(v['bytes'])} {v['codecs']}"
            )
        if m.get("audio"):
            audio = m["audio"]
            write(
                f"  {'音频':>5} {audio['average_bandwidth'] / 1000:.0f} kbps "
                f"{_size(audio['bytes'])}"
            )
        if m.get("hd_pending"):
            write("  1080p 待第二遍生成（加 --hd 立即生成）")
        fb = m["fallback_mp4"]
        write(f"兼容 MP4: {fb['path']} {fb['width']}x{fb['height']} {_size(fb['bytes'])}")
        board = m["storyboard"]
        write(f"封面: {m['poster']['path']}  预览图: {board['image']} ({board['count']} 张)")
        total = sum(p.stat().st_size for p in result.root.rglob("*") if p.is_file())
        write(f"总大小: {_size(total)}  文件数: {len(files)}")
        factor = m["duration"] / elapsed if elapsed else 0
        write(f"用时: {elapsed:.1f} s  实时倍数: {factor:.2f}x")
