"""The media engine: an untrusted upload in, a validated HLS package out. Files and ffmpeg only.

No Django here, no models, no settings: the app (`media_pipeline.transcode_job`, `hd_job`, the
`transcode` command) passes in the source path, a working folder and a profile name, and takes a
`PipelineResult` (the folder, its storage prefix, the manifest, the files to publish) back. The
engine runs the same without the web app (`python -m benchmarks transcode`, the tests).

A transcode, step by step (`first_pass.run_pipeline`):

1. **probe** (`probe.py`): what the file really is, by its content (PyAV). Only real video
   containers pass; playlists, concat lists and text are refused before any demuxer could read
   other files or URLs. Too short, too long, odd sizes: refused with the editor's reason
   (`errors.py`: every failure is a `MediaError` with a Chinese reason and whether a retry helps).
2. **plan** (`ladder.py`): the profile (`standard`, `fast`) and the rungs this source gets
   (360p/540p/720p, never upscaled; 1080p only for sources at least 1080 tall, later). The
   profile hash names the result: `videos/<sha[:2]>/<sha>/<profile hash>/` (`workspace.py`).
3. **reuse or lock** (`workspace.py`): a validated result for the same (sha256, profile hash) is
   returned as it is; otherwise a per-key lock, a disk-space check and a scratch folder.
4. **encode** (`encode.py`, run by `ffmpeg.py`): one ffmpeg process decodes once and writes every
   rung and the shared AAC audio as fMP4 HLS with keyframes on a 2-second clock. `ffmpeg.py` runs
   it safely: `file:` protocol only, no stdin, own process group, time limit, progress.
5. **validate** (`validate.py`, reading playlists and fMP4 boxes with `hls.py`): ffmpeg exits 0
   on a truncated upload, so checks decide: complete playlists, durations, aligned keyframes,
   decodable segments, audio present. Decoder complaints name the damaged source
   (`pass_steps.py`: the steps both passes share, and progress by stage).
6. **fallback** (`encode.py`): the 540p rung (or the highest below it) remuxed to a progressive
   MP4 for players without HLS, and an audio-only M4A.
7. **images** (`images.py`): poster and storyboard sprite from the fallback's keyframes.
8. **captions** (`captions.py`): SRT/WebVTT in, clean WebVTT and HLS subtitle playlists out.
9. **master**: our own master playlist (`hls.py`), written from what was measured; the manifest
   is written and the scratch folder renamed into place.

Later, for sources at least 1080 tall, `hd_pass.run_hd_pass` adds the 1080p rung to a finished
result (segments aligned to the published ones) and writes a new master. When an asset's
captions change, `first_pass.update_captions` writes new caption files and a new master.

Three smaller file jobs the app hands over live here too, for the same reason (no Django, testable
on files): `sniff.py` looks at an upload's first bytes before a byte is kept (a real video
container, not a playlist or text), and `kit_zip.py` writes a class-meeting kit's "下载全部" zip
(zlib-ng's deflate and CRC-32, names that open on every system, zip64), and `preview.py` draws a
kit material's first pages as JPEG images (poppler's pdftoppm; Word and PowerPoint files through
LibreOffice headless first), because phones and WeChat show no PDF inline.

This package imports nothing on purpose: `from .engine import first_pass` loads PyAV and the
rest only where a transcode happens.
"""
