""" "下载全部": one zip of a class-meeting kit's materials.

- Already-compressed files (video, images, Office's own zips) are stored, the rest deflated.
- Chinese names: the UTF-8 flag (bit 11) for macOS, 7-Zip and `unzip`, and the Info-ZIP
  Unicode Path extra field (0x7075) for tools that ignore the flag (older Windows Explorer).
- Names are sanitised (no path separators or traversal, no characters or device names Windows
  refuses) and de-duplicated, all inside one folder named after the kit.
- Deterministic (fixed timestamps, material order), so the zip is named by the content hash of
  its materials and rebuilt only when one of them changes.
"""

import hashlib
import json
import logging
import os
import re
import shutil
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import storage
from .models import KitBundle

logger = logging.getLogger(__name__)

BUNDLE_VERSION = 1
FIXED_TIME = (2020, 1, 1, 0, 0, 0)
COPY_BUFFER = 1024 * 1024
DEFLATE_IN_MEMORY = 32 * 1024 * 1024
# Compressed already: deflating them costs time and saves nothing.
STORED_EXTENSIONS = {
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".mp3", ".m4a", ".aac", ".ogg",
    ".jpg", ".jpeg", ".png", ".gif", ".webp",
    ".zip", ".rar", ".7z", ".gz", ".docx", ".pptx", ".xlsx",
}  # fmt: skip
WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10)),
}  # fmt: skip
BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
MAX_NAME = 80
BUILD_TIMEOUT = timedelta(minutes=15)


@dataclass
class Entry:
    name: str  # inside the kit folder: sanitised and unique
    size: int
    identity: str  # what the content is (for the bundle's content hash)
    opener: Callable
    compress: bool


def sanitize(name, fallback="未命名"):
    """One safe path component that Windows, macOS and Linux all accept."""
    name = unicodedata.normalize("NFC", str(name))
    name = BAD_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name or set(name) <= {"_", "."}:
        name = fallback
    if name.split(".")[0].strip().upper() in WINDOWS_RESERVED:
        name = f"_{name}"
    return name


def _fit(stem, ext):
    stem = stem[: MAX_NAME - len(ext)].rstrip(" .") or "未命名"
    return f"{stem}{ext}"


def unique_names(names):
    """De-duplicate case-insensitively (Windows and macOS folders are), adding (2), (3)…"""
    seen, result = set(), []
    for name in names:
        stem, ext = os.path.splitext(name)
        candidate, n = name, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = _fit(f"{stem} ({n})", ext)
        seen.add(candidate.casefold())
        result.append(candidate)
    return result


def _extension(filename):
    ext = os.path.splitext(filename)[1].lower()
    return ext if re.fullmatch(r"\.[a-z0-9]{1,8}", ext) else ""


def materials_for(kit):
    """The kit's downloadable files in page order: documents, and ready videos' fallback MP4."""
    raw = []
    materials = kit.materials.all().select_related("document", "video").order_by("sort_order")
    for index, material in enumerate(materials, 1):
        title = f"{index:02d} {sanitize(material.title)}"
        document = material.document
        if document is not None and document.file:
            ext = _extension(document.file.name)
            try:
                size = document.get_file_size() or 0
                file_hash = document.get_file_hash()
            except OSError:  # the file is gone from storage: the zip cannot include it
                logger.warning("kit %s: document %s is missing", kit.pk, document.pk)
                continue
            identity = f"doc:{document.pk}:{file_hash}:{document.file.name}:{size}"
            opener = _opener(document.file.storage, document.file.name)
            raw.append((_fit(title, ext), size, identity, opener, ext))
        video = material.video
        if video is not None and video.is_ready and video.fallback_mp4:
            public = storage.public_storage()
            size = _size(public, video.fallback_mp4)
            identity = f"video:{video.sha256}:{video.fallback_mp4}:{size}"
            opener = _opener(public, video.fallback_mp4)
            raw.append((_fit(title, ".mp4"), size, identity, opener, ".mp4"))
    names = unique_names([item[0] for item in raw])
    return [
        Entry(
            name=name,
            size=size,
            identity=identity,
            opener=opener,
            compress=ext not in STORED_EXTENSIONS,
        )
        for name, (_, size, identity, opener, ext) in zip(names, raw, strict=True)
    ]


def _size(store, name):
    try:
        return store.size(name)
    except OSError:
        return 0


def _opener(store, name):
    return lambda: store.open(name, "rb")


def content_hash(folder, entries):
    data = [BUNDLE_VERSION, folder, [(e.name, e.identity, e.compress) for e in entries]]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def unicode_path_extra(arcname):
    """Info-ZIP Unicode Path extra field (0x7075): version 1, CRC-32 of the header's name
    bytes, the UTF-8 name. Only needed when the name is not plain ASCII."""
    encoded = arcname.encode("utf-8")
    if encoded.isascii():
        return b""
    body = struct.pack("<BI", 1, zlib.crc32(encoded)) + encoded
    return struct.pack("<HH", 0x7075, len(body)) + body


def write_zip(fileobj, folder, entries):
    """Write the bundle to a seekable binary file. Same entries → same bytes."""
    with zipfile.ZipFile(fileobj, "w", allowZip64=True) as archive:
        for entry in entries:
            arcname = f"{folder}/{entry.name}"
            info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED if entry.compress else zipfile.ZIP_STORED
            info.create_system = 0  # MS-DOS attributes: nothing host-specific in the archive
            info.external_attr = 0x20  # "archive", a plain file
            info.extra = unicode_path_extra(arcname)
            info.file_size = entry.size
            if entry.compress and entry.size <= DEFLATE_IN_MEMORY:
                # Level 1 shrinks documents nearly as much as the default 6, 2–3 times faster.
                # zipfile takes a level per entry only in writestr(), which wants the bytes at
                # once: fine for a document this size. Bigger ones stream at the default level.
                with entry.opener() as src:
                    archive.writestr(info, src.read(), compresslevel=1)
                continue
            with (
                entry.opener() as src,
                archive.open(info, "w", force_zip64=entry.size >= zipfile.ZIP64_LIMIT) as dst,
            ):
                shutil.copyfileobj(src, dst, COPY_BUFFER)


def bundle_folder(kit):
    return sanitize(kit.title)


def bundle_filename(kit):
    return f"{bundle_folder(kit)}.zip"


def bundle_storage_name(digest):
    return f"kit-bundles/{digest[:2]}/{digest}.zip"


def _ready(bundle):
    return bundle.status == KitBundle.Status.READY and bool(bundle.file)


def rebuild(bundle):
    """Build this bundle again (its file went missing, or its build failed or hung)."""
    from .tasks import build_kit_bundle

    KitBundle.objects.filter(pk=bundle.pk).update(
        status=KitBundle.Status.BUILDING, created_at=timezone.now(), error=""
    )
    bundle.refresh_from_db()
    kit_id = bundle.kit_id
    transaction.on_commit(lambda: build_kit_bundle.enqueue(kit_id))
    return bundle


def current_bundle(kit):
    """The bundle for the kit's materials as they are now; queued for building if missing."""
    from .tasks import build_kit_bundle

    entries = materials_for(kit)
    digest = content_hash(bundle_folder(kit), entries)
    bundle = KitBundle.objects.filter(kit=kit, content_hash=digest).first()
    if bundle is None:
        try:
            with transaction.atomic():
                bundle = KitBundle.objects.create(kit=kit, content_hash=digest)
        except IntegrityError:  # another request created it a moment ago
            return KitBundle.objects.get(kit=kit, content_hash=digest)
        transaction.on_commit(lambda: build_kit_bundle.enqueue(kit.pk))
        return bundle
    if _ready(bundle):
        if default_storage.exists(bundle.file):
            return bundle
        logger.warning("kit %s: bundle file %s is missing, building it again", kit.pk, bundle.file)
        return rebuild(bundle)
    stale = timezone.now() - bundle.created_at > BUILD_TIMEOUT
    if stale or bundle.status == KitBundle.Status.FAILED:
        return rebuild(bundle)
    return bundle  # building now


def build_for_kit(page_id):
    """Build (or find) the zip for the kit's current materials and store it (privately)."""
    from courses.models import ClassMeetingKitPage

    kit = ClassMeetingKitPage.objects.filter(pk=page_id).first()
    if kit is None:
        return None
    entries = materials_for(kit)
    folder = bundle_folder(kit)
    digest = content_hash(folder, entries)
    bundle, _ = KitBundle.objects.get_or_create(kit=kit, content_hash=digest)
    name = bundle_storage_name(digest)
    if _ready(bundle) and default_storage.exists(name):
        return bundle
    try:
        with tempfile.NamedTemporaryFile(suffix=".zip") as tmp:
            write_zip(tmp, folder, entries)
            tmp.flush()
            size = tmp.tell()
            storage.save_private(tmp.name, name)
    except Exception as exc:
        logger.exception("kit %s: bundle failed", page_id)
        KitBundle.objects.filter(pk=bundle.pk).update(
            status=KitBundle.Status.FAILED, error=str(exc)[:500]
        )
        bundle.refresh_from_db()
        return bundle
    KitBundle.objects.filter(pk=bundle.pk).update(
        status=KitBundle.Status.READY, file=name, size=size, built_at=timezone.now()
    )
    bundle.refresh_from_db()
    _remove_superseded(kit, bundle)
    return bundle


def _remove_superseded(kit, keep):
    """Older bundles of this kit (materials have changed since): their files and rows."""
    for old in KitBundle.objects.filter(kit=kit).exclude(pk=keep.pk):
        if old.file and old.file != keep.file:
            try:
                default_storage.delete(old.file)
            except OSError:
                logger.warning("could not delete old bundle %s", old.file)
        old.delete()
