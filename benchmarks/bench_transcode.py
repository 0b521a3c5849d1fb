"""The transcoding engine against plain ffmpeg, side by side in one run, as ratios.

    python -m benchmarks.bench_transcode [--seconds 20] [--height 1080] [--repeat 3]

Three ways to make the same 360p/540p/720p + AAC fMP4 HLS ladder from one generated clip:
  engine     `sunshine transcode`'s engine (run_pipeline: probe, sha256, encode, validate,
             fallback MP4, audio-only, poster, storyboard)
  one-cmd    one hand-written ffmpeg command with split + var_stream_map (the floor for the engine)
  per-rung   one ffmpeg process per rung (and one for audio), each decoding the source again
Goals: engine / one-cmd ≤ 1.05; per-rung / engine ≥ 1.3. Wall-clock and CPU seconds are both
printed: CPU seconds hardly move when other work shares the machine, wall-clock does.
"""

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from media_pipeline.engine.ffmpeg import ffmpeg_exe, ffmpeg_version
from media_pipeline.engine.first_pass import run_pipeline
from media_pipeline.engine.ladder import get_profile

RUNGS = [("360p", 640, 360, 800), ("540p", 960, 540, 1500), ("720p", 1280, 720, 2800)]


def make_clip(folder: Path, seconds: int, height: int) -> Path:
    """A moving test pattern with film-like noise and a tone; high quality, so decoding costs."""
    width = height * 16 // 9
    path = folder / f"bench-{height}p-{seconds}s.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={width}x{height}:rate=30:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}:sample_rate=48000",
            "-vf",
            "noise=alls=12:allf=t",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "18",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )
    return path


def _common(preset: str) -> list[str]:
    return [
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-profile:v",
        "high",
        "-fps_mode:v",
        "vfr",
        "-force_key_frames:v",
        "expr:gte(t,n_forced*2)",
        "-forced-idr",
        "1",
        "-sc_threshold:v",
        "0",
        "-g:v",
        "240",
    ]


def _hls(stream_map: str) -> list[str]:
    return [
        "-f",
        "hls",
        "-hls_time",
        "6",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_type",
        "fmp4",
        "-hls_flags",
        "independent_segments",
        "-hls_fmp4_init_filename",
        "init.mp4",
        "-hls_segment_filename",
        "%v/seg_%05d.m4s",
        "-var_stream_map",
        stream_map,
        "%v/index.m3u8",
    ]


def one_command(source: Path, preset: str) -> list[str]:
    """What an engineer would type to get the same ladder with one ffmpeg."""
    graph = "[0:v:0]split=3[s0][s1][s2];" + ";".join(
        f"[s{i}]scale={w}:{h}:flags=bicubic,setsar=1,format=yuv420p[o{i}]"
        for i, (_, w, h, _) in enumerate(RUNGS)
    )
    args = [
        "-i",
        str(source),
        "-filter_complex",
        graph,
        "-map",
        "[o0]",
        "-map",
        "[o1]",
        "-map",
        "[o2]",
    ]
    args += ["-map", "0:a:0", *_common(preset)]
    for i, (_, _, _, rate) in enumerate(RUNGS):
        args += [
            f"-crf:v:{i}",
            "23",
            f"-maxrate:v:{i}",
            f"{rate}k",
            f"-bufsize:v:{i}",
            f"{rate * 2}k",
        ]
    args += ["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"]
    stream_map = " ".join(f"v:{i},name:{n},agroup:aud" for i, (n, *_) in enumerate(RUNGS))
    return args + _hls(stream_map + " a:0,name:audio,agroup:aud")


def per_rung_commands(source: Path, preset: str) -> list[list[str]]:
    """The naive way: every rung (and the audio) is its own ffmpeg, decoding the source again."""
    commands = []
    for name, w, h, rate in RUNGS:
        commands.append(
            [
                "-i",
                str(source),
                "-map",
                "0:v:0",
                "-vf",
                f"scale={w}:{h}:flags=bicubic,setsar=1,format=yuv420p",
                *_common(preset),
                "-crf",
                "23",
                "-maxrate",
                f"{rate}k",
                "-bufsize",
                f"{rate * 2}k",
                *_hls(f"v:0,name:{name}"),
            ]
        )
    commands.append(
        [
            "-i",
            str(source),
            "-map",
            "0:a:0",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ac",
            "2",
            "-ar",
            "48000",
            *_hls("a:0,name:audio"),
        ]
    )
    return commands


def _cpu() -> float:
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn) -> tuple[float, float]:
    cpu, wall = _cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - wall, _cpu() - cpu


def _ffmpeg(args: list[str], cwd: Path) -> None:
    cwd.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        cwd=cwd,
        check=True,
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--height", type=int, default=1080, choices=[720, 1080])
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is kept")
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args(argv)
    preset = get_profile(options.profile).preset
    scratch = Path(tempfile.mkdtemp(prefix="bench-transcode-"))
    best: dict[str, tuple[float, float]] = {}
    encode_only = []
    try:
        clip = f"clip {options.seconds} s at {options.height}p"
        print(f"ffmpeg {ffmpeg_version()}; {clip}; preset {preset}")
        source = make_clip(scratch, options.seconds, options.height)
        for round_no in range(options.repeat):
            runs = {
                "engine": lambda n=round_no: encode_only.append(
                    run_pipeline(source, scratch / f"engine-{n}", profile=options.profile).manifest
                ),
                "one-cmd": lambda n=round_no: _ffmpeg(
                    one_command(source, preset), scratch / f"one-{n}"
                ),
                "per-rung": lambda n=round_no: [
                    _ffmpeg(cmd, scratch / f"rung-{n}") for cmd in per_rung_commands(source, preset)
                ],
            }
            order = list(runs) if round_no % 2 == 0 else list(reversed(runs))  # cancel out drift
            for name in order:
                wall, cpu = _timed(runs[name])
                print(
                    f"  round {round_no + 1}: {name:<9} {wall:7.2f} s wall {cpu:7.2f} s CPU",
                    flush=True,
                )
                previous = best.get(name)
                best[name] = (
                    (min(wall, previous[0]), min(cpu, previous[1])) if previous else (wall, cpu)
                )
            for leftover in scratch.glob(f"*-{round_no}"):
                shutil.rmtree(leftover, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    engine, one, per = best["engine"], best["one-cmd"], best["per-rung"]
    encode_seconds = min(m["timings"]["encode_seconds"] for m in encode_only)
    figures = {
        "engine_vs_one_command_wall": round(engine[0] / one[0], 3),
        "engine_vs_one_command_cpu": round(engine[1] / one[1], 3),
        "engine_encode_step_vs_one_command_wall": round(encode_seconds / one[0], 3),
        "per_rung_vs_engine_wall": round(per[0] / engine[0], 3),
        "per_rung_vs_engine_cpu": round(per[1] / engine[1], 3),
        "per_rung_vs_one_command_wall": round(per[0] / one[0], 3),
        "engine_realtime_factor": round(options.seconds / engine[0], 3),
    }
    print("\nratios (best of rounds):")
    print(
        f"  engine / one hand-written command  wall {figures['engine_vs_one_command_wall']:.3f}"
        f"  CPU {figures['engine_vs_one_command_cpu']:.3f}   (goal <= 1.05)"
    )
    step = figures["engine_encode_step_vs_one_command_wall"]
    print(f"  engine encode step / one command   wall {step:.3f}")
    print(
        f"  per-rung processes / engine        wall {figures['per_rung_vs_engine_wall']:.3f}"
        f"  CPU {figures['per_rung_vs_engine_cpu']:.3f}   (goal >= 1.3)"
    )
    print(
        f"  per-rung processes / one command   wall {figures['per_rung_vs_one_command_wall']:.3f}"
    )
    print(
        f"  engine realtime factor             {figures['engine_realtime_factor']:.2f}x "
        f"({options.seconds} s of {options.height}p on this machine)"
    )
    if options.json:
        json.dump(figures, sys.stdout)
        print()
    return figures


if __name__ == "__main__":
    main()
