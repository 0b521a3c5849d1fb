"""Where the pipeline's files live: the default storage (local `MEDIA_ROOT`, or S3 when
`AWS_STORAGE_BUCKET_NAME` is set), public URLs, and the headers that let a CDN cache forever."""

import mimetypes
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

# Content-addressed outputs never change under the same name.
IMMUTABLE = "public, max-age=31536000, immutable"

# The types the players and browsers need; mimetypes' defaults are wrong or missing for these.
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

# Content-addressed prefixes: the name changes whenever the content does.
IMMUTABLE_PREFIXES = ("videos/", "kit-bundles/")
# Never served as public media: untrusted sources, half-received uploads, login-gated files
# (documents go through Wagtail's serve view, bundles through the kit bundle view).
PRIVATE_PREFIXES = ("video-sources/", "uploads/", "documents/", "kit-bundles/")


def content_type_for(name):
    ext = os.path.splitext(name)[1].lower()
    if ext in CONTENT_TYPES:
        return CONTENT_TYPES[ext]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def is_s3():
    return bool(getattr(settings, "AWS_STORAGE_BUCKET_NAME", None))


def public_url(name):
    return default_storage.url(name)


def output_prefix(sha256, profile):
    return f"videos/{sha256[:2]}/{sha256}/{profile}/"


def s3_client():
    """The boto3 client of the default S3 storage (same credentials, endpoint and region)."""
    return default_storage.connection.meta.client


def presign_client():
    """A client for presigned URLs, always SigV4: SigV2 URLs are refused by newer regions
    (China's among them) and by most S3-compatible stores."""
    from botocore.config import Config

    storage = default_storage
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": storage.addressing_style} if storage.addressing_style else None,
    )
    return storage._create_session().client(
        "s3",
        region_name=storage.region_name,
        endpoint_url=storage.endpoint_url,
        use_ssl=storage.use_ssl,
        verify=storage.verify,
        config=config,
    )


def s3_bucket():
    return default_storage.bucket_name


def s3_key(name):
    return default_storage._normalize_name(name)


def put_file(local_path, name, *, immutable=True):
    """Store a local file under exactly `name` (overwriting), with its MIME type and, for
    content-addressed outputs, immutable cache headers."""
    if is_s3():
        extra = {"ContentType": content_type_for(name)}
        if immutable:
            extra["CacheControl"] = IMMUTABLE
        s3_client().upload_file(str(local_path), s3_bucket(), s3_key(name), ExtraArgs=extra)
        return name
    target = Path(default_storage.path(name))
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


def exists(name):
    return default_storage.exists(name)


def delete_prefix(prefix):
    """Remove everything under `prefix` (a half-published attempt)."""
    if is_s3():
        client = s3_client()
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=s3_bucket(), Prefix=s3_key(prefix)):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=s3_bucket(), Delete={"Objects": keys})
        return
    path = Path(default_storage.path(prefix))
    if path.is_dir():
        shutil.rmtree(path)


def list_names(prefix):
    """Every stored name under `prefix`, recursively."""
    if is_s3():
        names = []
        paginator = s3_client().get_paginator("list_objects_v2")
        root = s3_key("")
        for page in paginator.paginate(Bucket=s3_bucket(), Prefix=s3_key(prefix)):
            names += [obj["Key"][len(root) :] for obj in page.get("Contents", [])]
        return sorted(names)
    base = Path(default_storage.path(""))
    path = Path(default_storage.path(prefix))
    if not path.exists():
        return []
    return sorted(str(p.relative_to(base)) for p in path.rglob("*") if p.is_file())


def download_to(name, local_path, progress=None):
    """Copy a stored file to local disk (the worker needs a real path for ffmpeg)."""
    if is_s3():
        s3_client().download_file(s3_bucket(), s3_key(name), str(local_path))
        return
    with default_storage.open(name, "rb") as src, open(local_path, "wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)


def local_path(name):
    """The file's path when storage is local, else None."""
    if is_s3():
        return None
    try:
        return default_storage.path(name)
    except NotImplementedError:
        return None


def presigned_download_url(name, filename, expires=300):
    """A short-lived S3 URL that downloads `name` under a (Chinese) file name."""
    from urllib.parse import quote

    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return presign_client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": s3_bucket(),
            "Key": s3_key(name),
            "ResponseContentDisposition": disposition,
        },
        ExpiresIn=expires,
    )
