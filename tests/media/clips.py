"""Test clips, generated with imageio-ffmpeg's binary (nothing is committed).

    clips = ClipMaker.for_session(tmp_path_factory)
    clips.video(width=640, height=360, seconds=3)         # a normal upload
    clips.video(rotate=90), clips.video(vfr=True), clips.video(audio=False), clips.video(fps=60)
    clips.text_as_mp4(), clips.empty(), clips.truncated(), clips.corrupted(), clips.audio_only()
    clips.hls_disguise(target), clips.concat_disguise(target), clips.fifo()

Each clip is made once per test session (cached by its parameters) and must be treated as
read-only; copy it first if a test wants to change it.
"""

import hashlib
import json
import os
import random
import subprocess
from pathlib import Path

from media_pipeline.engine.ffmpeg import ffmpeg_exe


class ClipMaker:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_session(cls, tmp_path_factory) -> "ClipMaker":
        return cls(tmp_path_factory.getbasetemp() / "media-clips")

    # --- helpers ------------------------------------------------------------------------------

    def _path(self, kind: str, params: dict, suffix: str) -> Path:
        key = hashlib.sha256(json.dumps([kind, params], sort_keys=True).encode()).hexdigest()[:12]
        return self.directory / f"{kind}-{key}{suffix}"

    def _ffmpeg(self, args: list[str], dest: Path) -> Path:
        if dest.exists():
            return dest
        tmp = dest.with_name(f".{dest.stem}.{os.getpid()}{dest.suffix}")
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            *args,
            str(tmp),
        ]
        subprocess.run(cmd, check=True, timeout=120)
        os.replace(tmp, dest)
        return dest

    def _bytes(self, dest: Path, data: bytes) -> Path:
        if not dest.exists():
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, dest)
        return dest

    # --- real videos --------------------------------------------------------------------------

    def video(
        self,
        *,
        width: int = 1280,
        height: int = 720,
        seconds: float = 3.0,
        fps: int = 30,
        audio: bool = True,
        rotate: int = 0,
        vfr: bool = False,
        faststart: bool = True,
        container: str = "mp4",
        color: str | None = None,
        tone: int = 440,
        hdr: str | None = None,
    ) -> Path:
        """A test pattern (or a solid `color`) with a sine tone; options shape the upload."""
        params = dict(locals())
        params.pop("self")
        suffix = {"mp4": ".mp4", "mkv": ".mkv", "webm": ".webm", "ts": ".ts", "avi": ".avi"}[
            container
        ]
        dest = self._path("video", params, suffix)
        if dest.exists():
            return dest
        source = (
            f"color=c={color}:size={width}x{height}:rate={fps}:duration={seconds}"
            if color
            else f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"
        )
        args = ["-f", "lavfi", "-i", source]
        if audio:
            args += [
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency={tone}:duration={seconds}:sample_rate=48000",
            ]
        if hdr:
            # 10-bit BT.2020 tagged HLG or PQ, as iPhones record by default.
            trc = {"hlg": "arib-std-b67", "pq": "smpte2084"}[hdr]
            args += [
                "-vf",
                f"format=yuv420p10le,setparams=color_trc={trc}:color_primaries=bt2020"
                ":colorspace=bt2020nc:range=tv",
            ]
        if vfr:
            # Every frame for the first 1.5 s, then every third: a phone dropping frames.
            args += [
                "-vf",
                f"select='lt(n\\,{int(fps * 1.5)})+not(mod(n\\,3))'",
                "-fps_mode",
                "vfr",
            ]
        if container == "webm":
            args += ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]
            args += ["-c:a", "libopus"] if audio else []
        else:
            pix_fmt = "yuv420p10le" if hdr else "yuv420p"
            args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pix_fmt]
            args += ["-c:a", "aac", "-b:a", "96k"] if audio else []
        if audio:
            args += ["-shortest"]
        if container == "mp4" and faststart:
            args += ["-movflags", "+faststart"]
        if not rotate:
            return self._ffmpeg(args, dest)
        plain = self.video(**{**params, "rotate": 0})
        # Phones store landscape pixels plus a display matrix saying how to turn them.
        return self._ffmpeg(
            ["-display_rotation:v:0", str(rotate), "-i", str(plain), "-c", "copy"], dest
        )

    def audio_only(self, seconds: float = 3.0) -> Path:
        """An M4A with sound and no picture, named like a video."""
        dest = self._path("audio-only", {"seconds": seconds}, ".mp4")
        return self._ffmpeg(
            ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac"], dest
        )

    # --- broken uploads -----------------------------------------------------------------------

    def text_as_mp4(self) -> Path:
        return self._bytes(
            self._path("text", {}, ".mp4"), "这不是视频，只是一段文字。\n".encode() * 50
        )

    def photo_as_mp4(self) -> Path:
        """A JPEG photo named like a video (image2 must never be accepted as a container)."""
        dest = self._path("photo", {}, ".mp4")
        return self._ffmpeg(
            [
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=320x240",
                "-frames:v",
                "1",
                "-c:v",
                "mjpeg",
                "-f",
                "image2",
                "-update",
                "1",
            ],
            dest,
        )

    def empty(self) -> Path:
        return self._bytes(self._path("empty", {}, ".mp4"), b"")

    def truncated(self, *, keep: float = 0.5, faststart: bool = True, seconds: float = 4.0) -> Path:
        """An upload cut off part-way; with faststart the index survives and claims the whole."""
        whole = self.video(width=640, height=360, seconds=seconds, faststart=faststart)
        data = whole.read_bytes()
        return self._bytes(
            self._path("truncated", {"keep": keep, "faststart": faststart, "s": seconds}, ".mp4"),
            data[: int(len(data) * keep)],
        )

    def corrupted(self, *, seconds: float = 6.0, damage: int = 65536) -> Path:
        """Random bytes written over the middle of the media data."""
        whole = self.video(width=640, height=360, seconds=seconds)
        data = bytearray(whole.read_bytes())
        middle = len(data) // 2
        noise = random.Random(3).randbytes(damage)
        data[middle : middle + damage] = noise
        return self._bytes(
            self._path("corrupted", {"s": seconds, "d": damage}, ".mp4"), bytes(data)
        )

    def hls_disguise(self, target: Path, *, name: str = "lesson.mp4") -> Path:
        """An HLS playlist making a careless ffmpeg read `target` (a local file) into its output."""
        text = (
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            f"#EXTINF:10.0,\n{Path(target).resolve()}\n#EXT-X-ENDLIST\n"
        )
        folder = self.directory / f"hls-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
        folder.mkdir(exist_ok=True)
        return self._bytes(folder / name, text.encode())

    def hls_url_disguise(self, url: str, *, name: str = "lesson.m3u8") -> Path:
        text = f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n{url}\n#EXT-X-ENDLIST\n"
        folder = self.directory / f"hlsurl-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
        folder.mkdir(exist_ok=True)
        return self._bytes(folder / name, text.encode())

    def concat_disguise(self, target: Path, *, name: str = "lesson.mp4") -> Path:
        """An ffconcat list naming a local file."""
        text = f"ffconcat version 1.0\nfile '{Path(target).resolve()}'\n"
        folder = self.directory / f"concat-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
        folder.mkdir(exist_ok=True)
        return self._bytes(folder / name, text.encode())

    def fifo(self, name: str = "stalled.mp4") -> Path:
        """A named pipe nobody writes to: reading it blocks forever, like a stalled ffmpeg."""
        path = self.directory / f"fifo-{os.getpid()}-{name}"
        if not path.exists():
            os.mkfifo(path)
        return path
