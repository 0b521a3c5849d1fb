"""A demo recording that looks like a lesson: slides with the lesson's Chinese title and its key
sentences, drawn by ffmpeg's drawtext with a CJK font, narrated by espeak-ng's Mandarin voice,
with WebVTT captions timed to each sentence's narration.

Only the demo uses this (`media_pipeline.demo`); the result then goes through the real pipeline
like any upload. The same words give the same bytes (espeak-ng and ffmpeg run bit-exact), and
clips are kept in a cache folder under var/, so running the demo again generates nothing.

Small and cheap on purpose: 640×360 at 10 frames a second, a still slide per sentence.
"""

import hashlib
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

# Debian's fonts-wqy-microhei (the Makefile installs it) or fonts-noto-cjk.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
WIDTH, HEIGHT, FPS = 640, 360, 10
VOICE = "cmn"
WORDS_PER_MINUTE = 190  # espeak-ng's default 175 sounds slow for a classroom voice
GAP_SECONDS = 0.6  # a breath between sentences, and the last slide's hold
LINE_CHARS = 18  # CJK characters per line of a 28 px sentence on a 640 px slide
# Changing how clips look or sound changes this, so cached clips from before are not reused.
VERSION = "slides-2"

_SENTENCE_END = re.compile(r"(?<=[。！？!?；])")
_DIGITS = re.compile(r"[0-9]+")
_DIGIT_NAMES = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_NO_LINE_START = "，。！？；：、”’）》」』,.!?;:)"


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Clip:
    path: Path
    captions: str  # WebVTT
    cues: tuple
    duration: float


def font_path():
    return next((path for path in FONT_CANDIDATES if Path(path).is_file()), None)


def missing_tools():
    """What this machine lacks to make narrated clips, in words for the demo's output."""
    missing = []
    if not shutil.which("espeak-ng"):
        missing.append("espeak-ng（Debian 软件包 espeak-ng）")
    if not font_path():
        missing.append("中文字体（Debian 软件包 fonts-wqy-microhei）")
    return missing


def sentences(text):
    """A transcript's sentences, each ending with its own punctuation."""
    return [part.strip() for part in _SENTENCE_END.split(text or "") if part.strip()]


def narration(title, transcript):
    """What the clip says, one caption cue each: the title, then the transcript's sentences."""
    return [title, *sentences(transcript)]


def cached_clip(cache_dir, title, lines):
    """The clip for these words, from the cache or made now (and kept there)."""
    key = hashlib.sha256("\n".join([VERSION, title, *lines]).encode()).hexdigest()[:24]
    folder = Path(cache_dir) / key
    video, vtt = folder / "clip.mp4", folder / "captions.vtt"
    if not (video.is_file() and vtt.is_file()):
        work = folder.with_name(key + ".partial")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        made = make_clip(work, title, lines)
        (work / "captions.vtt").write_text(made.captions, encoding="utf-8")
        for scratch in work.iterdir():  # slide texts and the narration: in the clip now
            if scratch.name not in ("clip.mp4", "captions.vtt"):
                scratch.unlink()
        shutil.rmtree(folder, ignore_errors=True)
        work.rename(folder)  # whole or not at all: an interrupted run leaves only .partial
    captions = vtt.read_text(encoding="utf-8")
    cues = parse_cues(captions)
    return Clip(video, captions, cues, cues[-1].end + GAP_SECONDS if cues else 0.0)


def make_clip(folder, title, lines):
    """Narration, captions and slides for `lines` (the first is the title), in `folder`."""
    folder = Path(folder)
    cues, audio = _narrate(folder, lines)
    duration = cues[-1].end + GAP_SECONDS
    slides = _slides_filter(folder, title, cues, duration)
    video = folder / "clip.mp4"
    from .engine.ffmpeg import ffmpeg_exe

    subprocess.run(
        [
            ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"color=c=0x1d5e4f:s={WIDTH}x{HEIGHT}:r={FPS}:d={duration:.3f}",
            "-i", str(audio),
            "-filter_complex", slides, "-map", "[v]", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-crf", "26",
            "-pix_fmt", "yuv420p", "-g", str(FPS * 2),
            "-c:a", "aac", "-b:a", "64k", "-ar", "48000", "-ac", "1", "-t", f"{duration:.3f}",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-flags:a", "+bitexact", "-movflags", "+faststart", str(video),
        ],
        check=True,
        timeout=300,
        cwd=folder,
    )  # fmt: skip
    return Clip(video, webvtt(cues), tuple(cues), duration)


def _narrate(folder, lines):
    """One WAV of every line spoken in turn, with a gap after each, and each line's cue."""
    cues, frames, params, offset = [], [], None, GAP_SECONDS / 2
    for number, line in enumerate(lines):
        part = folder / f"line-{number}.wav"
        subprocess.run(
            [
                "espeak-ng",
                "-v",
                VOICE,
                "-s",
                str(WORDS_PER_MINUTE),
                "-w",
                str(part),
                speakable(line),
            ],
            check=True,
            timeout=60,
            capture_output=True,
        )
        with wave.open(str(part), "rb") as spoken:
            params = params or spoken.getparams()
            rate, width = spoken.getframerate(), spoken.getsampwidth()
            data = spoken.readframes(spoken.getnframes())
        seconds = len(data) / (rate * width)
        if not frames:
            frames.append(_silence(rate, width, GAP_SECONDS / 2))
        frames.extend([data, _silence(rate, width, GAP_SECONDS)])
        cues.append(Cue(round(offset, 3), round(offset + seconds, 3), line))
        offset += seconds + GAP_SECONDS
        part.unlink()
    audio = folder / "narration.wav"
    with wave.open(str(audio), "wb") as out:
        out.setparams(params)
        out.writeframes(b"".join(frames))
    return cues, audio


def speakable(line):
    """The line as the voice should say it: a run of digits is a number to dial (12355 is
    一二三五五, not 一万两千三百五十五)."""
    return _DIGITS.sub(lambda match: "".join(_DIGIT_NAMES[d] for d in match.group()), line)


def _silence(rate, width, seconds):
    return b"\0" * (int(rate * seconds) * width)


def _slides_filter(folder, title, cues, duration):
    """drawtext filters: a title slide while the title is spoken, then one slide per sentence
    (the title and the slide's number in a bar at the top, the sentence large below)."""
    font = _filter_value(font_path())
    steps = []

    def text(name, content, size, color, x, y, start, end):
        path = folder / f"{name}.txt"
        path.write_text(content, encoding="utf-8")
        steps.append(
            f"drawtext=fontfile={font}:textfile={_filter_value(path)}:fontsize={size}"
            f":fontcolor={color}:line_spacing={size // 3}:text_align=C:x={x}:y={y}"
            f":enable='between(t,{start:.3f},{end:.3f})'"
        )

    # Each slide shows from the start of its line until the next line starts.
    starts = [0.0] + [cue.start for cue in cues[1:]]
    ends = [*starts[1:], duration]
    middle_x = "(w-text_w)/2"
    text("brand", "阳光课堂", 22, "0xffd166", middle_x, "60", 0, ends[0])
    text("title", wrap(title, 15), 34, "white", middle_x, "(h-text_h)/2", 0, ends[0])
    steps.append(f"drawbox=x=0:y=0:w=iw:h=52:color=0x15473b@1:t=fill:enable='gte(t,{ends[0]:.3f})'")
    text("header", wrap(title, 22).split("\n")[0], 20, "0xffd166", "24", "16", ends[0], duration)
    for number, cue in enumerate(cues[1:], start=1):
        start, end = starts[number], ends[number]
        # Above the middle: the lower third is where the player shows the caption.
        text(f"line-{number}", wrap(cue.text), 28, "white", middle_x, "(h-text_h)/2-40", start, end)
        text(f"page-{number}", f"{number}/{len(cues) - 1}", 18, "0xcfe8df", "w-tw-20", "17",
             start, end)  # fmt: skip
    return "[0:v]" + ",".join(steps) + "[v]"


def _filter_value(value):
    """A path as one value inside an ffmpeg filtergraph (quoting its special characters)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", r"'\''").replace(":", r"\:") + "'"


def wrap(text, width=LINE_CHARS):
    """Lines of at most `width` characters; punctuation never starts a line."""
    lines, line = [], ""
    for char in text:
        if len(line) >= width and char not in _NO_LINE_START:
            lines.append(line)
            line = ""
        line += char
    if line:
        lines.append(line)
    return "\n".join(lines)


def webvtt(cues):
    blocks = ["WEBVTT", ""]
    for cue in cues:
        blocks += [f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}", cue.text, ""]
    return "\n".join(blocks)


def parse_cues(text):
    cues = []
    blocks = [block.strip().splitlines() for block in text.split("\n\n")]
    for block in blocks:
        if block and "-->" in block[0]:
            start, end = (_seconds(part.strip()) for part in block[0].split("-->"))
            cues.append(Cue(start, end, "\n".join(block[1:])))
    return tuple(cues)


def _timestamp(seconds):
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def _seconds(stamp):
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
