"""Fixtures for the media app's tests (import them into a test module by name).

`fake_engine` stands in for the transcoding engine where a test is about the app (state,
leases, publishing, retries), so those tests take milliseconds; tests about real files use the
real engine on clips from `tests/media/clips.py`.
"""

import hashlib
import types
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from media_pipeline.models import VideoAsset
from tests.media.clips import ClipMaker


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    return ClipMaker.for_session(tmp_path_factory)


@pytest.fixture
def task_queue(settings):
    """The dummy task backend: what was enqueued, without running it."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "video", "video-hd"],
        }
    }
    from django_tasks import default_task_backend

    return default_task_backend


@pytest.fixture
def video_settings(settings, tmp_path, task_queue):
    settings.SUNSHINE_VIDEO_WORKDIR = str(tmp_path / "work")
    settings.SUNSHINE_VIDEO_PROFILE = "fast"
    settings.SUNSHINE_VIDEO_LEASE_SECONDS = 60
    settings.SUNSHINE_VIDEO_RETRY_SECONDS = 30
    settings.SUNSHINE_VIDEO_MAX_ATTEMPTS = 3
    return settings


@pytest.fixture
def editor(db):
    """A member of the bureau's 编辑 role: the admin and the video permissions come with it."""
    from sunshine.roles import EDITOR

    user = get_user_model().objects.create_user("editor", password="pw-editor-123")
    user.groups.add(Group.objects.get(name=EDITOR))
    return user


def published_names(prefix="videos/"):
    """Every file under `prefix` in the (local) public storage, as storage names."""
    from media_pipeline.storage import public_storage

    root = Path(public_storage().path(""))
    folder = root / prefix
    if not folder.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in folder.rglob("*") if p.is_file())


def save_source(data_or_path, name="lesson.mp4"):
    """Put bytes into storage as an uploaded source, as a completed upload would."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    data = Path(data_or_path).read_bytes() if isinstance(data_or_path, Path) else data_or_path
    sha = hashlib.sha256(data).hexdigest()
    stored = f"video-sources/{sha[:2]}/{sha}{Path(name).suffix}"
    if not default_storage.exists(stored):
        default_storage.save(stored, ContentFile(data))
    return stored, sha


def uploaded_video(data_or_path, title="认识情绪", with_sha=True, name="lesson.mp4"):
    stored, sha = save_source(data_or_path, name)
    return VideoAsset.objects.create(
        title=title, source=stored, sha256=sha if with_sha else "", source_name=name
    )


# -- the fake engine -------------------------------------------------------------------------
@dataclass
class OutputFile:
    relpath: str
    path: Path
    size: int


@dataclass
class FakeResult:
    root: Path
    prefix: str
    manifest: dict
    reused: bool
    files: list


class FakeEngine:
    """Writes a tiny but complete-looking output tree, like the engine's contract says."""

    def __init__(self):
        self.encodes = 0
        self.hd_encodes = 0
        self.caption_updates = []
        self.during_encode = None  # callable(source) run in the middle of an encode
        self.fail_with = None  # an exception to raise instead of encoding
        self.hd_pending = False
        self.duration = 4.0

    def sha256_file(self, path):
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    def probe_source(self, path):
        from media_pipeline.engine.errors import InvalidSource

        data = Path(path).read_bytes()
        if not data:
            raise InvalidSource("empty")
        if data.startswith(b"#EXTM3U") or b"not a video" in data:
            raise InvalidSource("not_video")
        info = {
            "duration": self.duration,
            "width": 640,
            "height": 360,
            "display_width": 640,
            "display_height": 360,
            "rotation": 0,
            "fps": 25.0,
            "video_codec": "h264",
            "audio_codec": "aac",
            "has_audio": True,
        }
        return types.SimpleNamespace(to_dict=lambda: info)

    def run_pipeline(self, source, workdir, *, profile, progress, cancel, sha256, **kwargs):
        self.encodes += 1
        progress(0.1, "encode")
        if self.during_encode:
            self.during_encode(source)
        if self.fail_with:
            raise self.fail_with
        progress(0.6, "encode")
        prefix = f"videos/{sha256[:2]}/{sha256}/fakeprofile"
        root = Path(workdir) / prefix
        files = {
            "360p/index.m3u8": b"#EXTM3U\n#EXT-X-ENDLIST\n",
            "360p/init.mp4": b"init",
            "360p/seg_00000.m4s": b"segment",
            "poster.jpg": b"\xff\xd8poster",
            "storyboard.jpg": b"\xff\xd8sprite",
            "storyboard.vtt": b"WEBVTT\n",
            "fallback.mp4": b"\x00\x00\x00\x18ftypmp42fallback",
            "master-aaaaaaaaaaaa.m3u8": b"#EXTM3U\n360p/index.m3u8\n",
            "manifest.json": b"{}",
        }
        outputs = []
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            if rel != "manifest.json":  # as the engine's contract says: not for publishing
                outputs.append(OutputFile(rel, path, len(data)))
        manifest = {
            "version": 1,
            "sha256": sha256,
            "prefix": prefix,
            "master": "master-aaaaaaaaaaaa.m3u8",
            "duration": self.duration,
            "source": {"duration": self.duration, "width": 640, "height": 360},
            "variants": [{"name": "360p", "width": 640, "height": 360, "hd": False}],
            "audio": {"playlist": "audio/index.m3u8"},
            "captions": [],
            "poster": {"path": "poster.jpg"},
            "storyboard": {"image": "storyboard.jpg", "vtt": "storyboard.vtt"},
            "fallback_mp4": {"path": "fallback.mp4"},
            "audio_only": None,
            "hd_pending": self.hd_pending,
        }
        progress(1.0, "done")
        return FakeResult(root, prefix, manifest, False, outputs)

    def _write(self, root, files):
        outputs = []
        for rel, data in files.items():
            path = Path(root) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            outputs.append(OutputFile(rel, path, len(data)))
        return outputs

    def run_hd_pass(self, source, workdir, manifest, *, progress, cancel, **kwargs):
        self.hd_encodes += 1
        root = Path(workdir) / manifest["prefix"]
        files = self._write(
            root,
            {
                "1080p/index.m3u8": b"#EXTM3U\n#EXT-X-ENDLIST\n",
                "1080p/seg_00000.m4s": b"hd segment",
                "master-bbbbbbbbbbbb.m3u8": b"#EXTM3U\n360p/index.m3u8\n1080p/index.m3u8\n",
            },
        )
        hd = {"name": "1080p", "width": 1920, "height": 1080, "hd": True}
        new = {
            **manifest,
            "master": "master-bbbbbbbbbbbb.m3u8",
            "variants": [*manifest["variants"], hd],
            "hd_pending": False,
        }
        return FakeResult(root, manifest["prefix"], new, False, files)

    def update_captions(self, root, manifest, captions):
        self.caption_updates.append([c.lang for c in captions])
        if not captions:
            return {**manifest, "captions": []}, []
        entries = [
            {"lang": c.lang, "name": c.name, "vtt": f"captions/{c.lang}.vtt", "default": c.default}
            for c in captions
        ]
        master = f"master-c{len(self.caption_updates):011d}.m3u8"
        files = {f"captions/{c.lang}.vtt": c.text.encode() for c in captions}
        files[master] = b"#EXTM3U\n#EXT-X-MEDIA:TYPE=SUBTITLES\n"
        return {**manifest, "captions": entries, "master": master}, self._write(root, files)


@pytest.fixture
def fake_engine(monkeypatch, video_settings):
    engine = FakeEngine()
    import media_pipeline.engine.first_pass as first_pass
    import media_pipeline.engine.hd_pass as hd_pass
    import media_pipeline.engine.ladder as ladder
    import media_pipeline.engine.probe as probe
    import media_pipeline.engine.workspace as workspace

    monkeypatch.setattr(first_pass, "run_pipeline", engine.run_pipeline)
    monkeypatch.setattr(workspace, "sha256_file", engine.sha256_file)
    monkeypatch.setattr(first_pass, "update_captions", engine.update_captions)
    monkeypatch.setattr(hd_pass, "run_hd_pass", engine.run_hd_pass)
    monkeypatch.setattr(probe, "probe_source", engine.probe_source)
    monkeypatch.setattr(ladder, "profile_hash", lambda *a, **k: "fakeprofile")
    return engine
