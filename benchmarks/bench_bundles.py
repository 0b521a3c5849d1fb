"""Kit zip ("下载全部") build throughput against copying the same files, in the same run.

    python -m benchmarks.bench_bundles [--rounds 5] [--megabytes 120]

A kit like the bureau's: class-meeting videos (stored), slides and lesson plans (.pptx/.docx,
zips already: stored) and a few PDFs (deflated). The zip is built by the same code the site uses
(`media_pipeline.engine.kit_zip.write_zip`: zlib-ng's deflate and CRC-32, the Unicode-path
field, zip64 when needed); the baseline copies the same files with the same 1 MiB buffer into a
folder. A second baseline uses
`shutil.copyfile` (the kernel's copy, no user-space buffer at all). Each is measured twice: into
the page cache (no fsync; pure CPU and memory bandwidth, where the zip's CRC-32 costs about as
much as the copy itself) and written to disk (fsync at the end of each file, as a real build is
before it is published to storage). Rounds alternate A-B / B-A; medians are compared.
Goal: zip throughput / copy throughput ≥ 0.8.
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

GOAL = 0.8
BUFFER = 1024 * 1024


def make_kit(folder, megabytes):
    """Files shaped like a kit: mostly video, then Office files, then PDFs."""
    mib = 1024 * 1024
    video = int(megabytes * 0.8) * mib
    plan = [
        ("01 班会视频.mp4", video // 2, "random"),
        ("02 家长会视频.mp4", video // 2, "random"),
        ("03 课件.pptx", int(megabytes * 0.1) * mib, "random"),
        ("04 教学设计.docx", 2 * mib, "random"),
        ("05 学习任务单.pdf", 2 * mib, "text"),
        ("06 致家长的一封信.pdf", 1 * mib, "text"),
        ("07 活动说明.txt", 256 * 1024, "text"),
    ]
    files = []
    line = "阳光课堂主题班会：认识情绪、学会求助、珍爱生命。\n".encode() * 64
    for name, size, kind in plan:
        path = Path(folder) / name
        with open(path, "wb") as handle:
            remaining = size
            while remaining > 0:
                chunk = os.urandom(min(BUFFER, remaining)) if kind == "random" else line
                chunk = chunk[:remaining]
                handle.write(chunk)
                remaining -= len(chunk)
        files.append(path)
    return files


def entries_for(files):
    from media_pipeline.engine.kit_zip import STORED_EXTENSIONS, Entry

    return [
        Entry(
            name=path.name,
            size=path.stat().st_size,
            identity=path.name,
            opener=(lambda p=path: open(p, "rb")),  # noqa: SIM115 (closed by write_zip)
            compress=path.suffix.lower() not in STORED_EXTENSIONS,
        )
        for path in files
    ]


def build_zip(files, out_dir, durable=False):
    from media_pipeline.engine.kit_zip import write_zip

    target = Path(out_dir) / "kit.zip"
    with open(target, "wb") as handle:
        write_zip(handle, "阳光课堂资源包", entries_for(files))
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    return target.stat().st_size


def copy_buffered(files, out_dir, durable=False):
    for path in files:
        with open(path, "rb") as src, open(Path(out_dir) / path.name, "wb") as dst:
            shutil.copyfileobj(src, dst, BUFFER)
            if durable:
                dst.flush()
                os.fsync(dst.fileno())


def copy_kernel(files, out_dir, durable=False):
    for path in files:
        shutil.copyfile(path, Path(out_dir) / path.name)
        if durable:
            with open(Path(out_dir) / path.name, "rb") as dst:
                os.fsync(dst.fileno())


def timed(fn, files, scratch, durable=False):
    out = tempfile.mkdtemp(dir=scratch)
    started = time.perf_counter()
    fn(files, out, durable)
    elapsed = time.perf_counter() - started
    shutil.rmtree(out)
    return elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--megabytes", type=int, default=120, help="kit size")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-bundles-") as scratch:
        files = make_kit(tempfile.mkdtemp(dir=scratch), args.megabytes)
        total = sum(p.stat().st_size for p in files)
        timed(build_zip, files, scratch)  # warm the page cache and imports
        results = {}
        for durable in (False, True):
            runs = {"zip": [], "copy": [], "copyfile": []}
            for round_number in range(args.rounds):
                order = ["zip", "copy", "copyfile"]
                if round_number % 2:
                    order.reverse()
                for name in order:
                    fn = {"zip": build_zip, "copy": copy_buffered, "copyfile": copy_kernel}[name]
                    runs[name].append(timed(fn, files, scratch, durable))
            results[durable] = {name: statistics.median(times) for name, times in runs.items()}

    mb = total / 1024 / 1024
    print(f"kit: {len(files)} files, {mb:.0f} MiB (videos and Office files stored, PDFs deflated)")
    ratios = {}
    for durable, medians in results.items():
        speed = {name: mb / seconds for name, seconds in medians.items()}
        heading = (
            "written to disk (fsync, as a real build is before it is published)"
            if durable
            else "into the page cache (no fsync: CPU-bound, the zip's CRC-32 shows)"
        )
        print(heading)
        for name, label in [
            ("zip", "zip build (write_zip)"),
            ("copy", "copy, same 1 MiB buffer"),
            ("copyfile", "copy, shutil.copyfile"),
        ]:
            print(f"  {label:<26} {medians[name]:6.3f} s  {speed[name]:7.0f} MiB/s")
        ratio = speed["zip"] / speed["copy"]
        ratios[durable] = ratio
        verdict = "ok" if ratio >= GOAL else "BELOW GOAL"
        print(f"  ratio zip/copy: {ratio:.2f} (goal ≥ {GOAL}) {verdict}")
        print(f"  ratio zip/copyfile: {speed['zip'] / speed['copyfile']:.2f}")
    return ratios


if __name__ == "__main__":
    main()
