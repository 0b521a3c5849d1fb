"""Where the media app's files live, and who may read them.

Two Django storages (settings.STORAGES):
- `public`: the pipeline's content-addressed outputs under `videos/` (HLS, posters, storyboards,
  captions, fallback MP4). Anyone may read them, through the CDN on S3; they are stored with
  immutable cache headers, as a name never gets other bytes.
- `default`: private. Uploaded sources (`video-sources/`), half-received uploads (`uploads/`),
  editors' caption files (`video-captions/`), kit zips (`kit-bundles/`) and Wagtail documents:
  on S3 no CDN and only signed, short-lived URLs; locally `serving.py` refuses these prefixes.
  A caption reaches viewers the way a rendition does: the pipeline publishes a checked WebVTT
  copy under `videos/` when its video is published (publishing.with_captions), never before.
Locally both are the same MEDIA_ROOT folder, on S3 the same bucket or two (see settings).
"""

import mimetypes
import os
import posixpath
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from django.core.files.storage import default_storage, storages

# Content-addressed outputs never change under the same name.
IMMUTABLE = "public, max-age=31536000, immutable"
PUBLIC_PREFIX = "videos/"
# Never served as public media: untrusted sources, half-received uploads, editors' caption files
# (their published copies live under videos/), login-gated files (documents go through Wagtail's
# serve view, bundles through the kit bundle view, material previews through the preview view).
PRIVATE_PREFIXES = (
    "video-sources/",
    "uploads/",
    "video-captions/",
    "documents/",
    "kit-bundles/",
    "kit-previews/",
)
DOWNLOAD_URL_SECONDS = 300

# The types players and browsers need; mimetypes' defaults are wrong or missing for these.
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".m4v": "video/mp4",
    ".ts": "video/mp2t",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".json": "application/json",
    ".zip": "application/zip",
}


def content_type_for(name):
    ext = os.path.splitext(name)[1].lower()
    if ext in CONTENT_TYPES:
        return CONTENT_TYPES[ext]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def public_storage():
    return storages["public"]


def _is_s3(storage):
    from storages.backends.s3 import S3Storage

    return isinstance(storage, S3Storage)


def is_s3():
    """Is private media (uploads, sources, bundles) on S3?"""
    return _is_s3(default_storage)


def public_url(name):
    return public_storage().url(name)


# -- S3 details the upload views need (multipart, presigned parts) ------------------------------
def s3_client(storage=None):
    """The boto3 client of an S3 storage (its credentials, endpoint, region, SigV4)."""
    return (storage or default_storage).connection.meta.client


def s3_bucket(storage=None):
    return (storage or default_storage).bucket_name


def s3_key(name, storage=None):
    location = (storage or default_storage).location
    return posixpath.join(location, name) if location else name


# -- writing -------------------------------------------------------------------------------------
def _put(storage, local_path, name, extra):
    if _is_s3(storage):
        extra = {"ContentType": content_type_for(name), **extra}
        s3_client(storage).upload_file(
            str(local_path), s3_bucket(storage), s3_key(name, storage), ExtraArgs=extra
        )
        return name
    target = Path(storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Copy then rename, so a reader (or a crash) never sees half a file under the final name.
    with (
        tempfile.NamedTemporaryFile(dir=target.parent, delete=False, prefix=".part-") as tmp,
        open(local_path, "rb") as src,
    ):
        shutil.copyfileobj(src, tmp, 1024 * 1024)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, target)
    return name


def publish_file(local_path, name):
    """A pipeline output, public under exactly `name` (overwriting: same name, same bytes)."""
    return _put(public_storage(), local_path, name, {"CacheControl": IMMUTABLE})


def save_private(local_path, name):
    """A private file (a source, a kit zip) under exactly `name`, overwriting."""
    return _put(default_storage, local_path, name, {})


# -- reading ---------------------------------------------------------------------------------------
def local_path(name, storage=None):
    """The file's path when the storage is a local folder, else None."""
    storage = storage or default_storage
    if _is_s3(storage):
        return None
    try:
        return storage.path(name)
    except NotImplementedError:
        return None


def download_to(name, local_target):
    """Copy a private file (a source) to local disk: ffmpeg needs a real path."""
    if is_s3():
        s3_client().download_file(s3_bucket(), s3_key(name), str(local_target))
        return
    with default_storage.open(name, "rb") as src, open(local_target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)


def presigned_download_url(name, filename):
    """A short-lived signed URL that downloads a private S3 file under a (Chinese) name."""
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return default_storage.url(
        name,
        parameters={"ResponseContentDisposition": disposition},
        expire=DOWNLOAD_URL_SECONDS,
    )
