""" "下载全部": one zip of a class-meeting kit's materials, built once per set of materials.

Which files go in (the kit's documents and its ready videos' fallback MP4, in page order), under
which names, and when the zip is built again: it is named by the content hash of its materials
and rebuilt only when one of them changes. The zip's bytes are written by `engine/kit_zip.py`.
"""

import hashlib
import io
import json
import logging
import os
import re
import tempfile
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import safety_note, storage
from .engine.kit_zip import STORED_EXTENSIONS, Entry, fit_name, sanitize, unique_names, write_zip
from .models import KitBundle
from .safety_note import README_NAME, SAFETY_NOTE_NAME

logger = logging.getLogger(__name__)

BUNDLE_VERSION = 2  # 2: with 安全提示.pdf and 说明.txt
BUILD_TIMEOUT = timedelta(minutes=15)


def _extension(filename):
    ext = os.path.splitext(filename)[1].lower()
    return ext if re.fullmatch(r"\.[a-z0-9]{1,8}", ext) else ""


def materials_for(kit):
    """What goes in the zip: the generated safety note first, the kit's downloadable files in
    page order (documents, and ready videos' fallback MP4), and a short 说明.txt last."""
    raw = [_safety_note(kit)]
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
            raw.append((fit_name(title, ext), size, identity, opener, ext))
        video = material.video
        if video is not None and video.is_ready and video.fallback_mp4:
            public = storage.public_storage()
            size = _size(public, video.fallback_mp4)
            identity = f"video:{video.sha256}:{video.fallback_mp4}:{size}"
            opener = _opener(public, video.fallback_mp4)
            raw.append((fit_name(title, ".mp4"), size, identity, opener, ".mp4"))
    names = unique_names([item[0] for item in raw])
    raw.append(_readme(kit, names))
    names.append(unique_names([*names, README_NAME])[-1])
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


def _safety_note(kit):
    """安全提示.pdf, drawn only when the zip is written; its identity is what it says."""
    return (
        SAFETY_NOTE_NAME,
        0,
        safety_note.identity(kit),
        _generated(safety_note.pdf_bytes, kit),
        ".pdf",
    )


def _readme(kit, names):
    text = safety_note.readme_text(kit, names)
    data = text.encode("utf-8")
    identity = "readme:" + hashlib.sha256(data).hexdigest()
    return (README_NAME, len(data), identity, lambda: io.BytesIO(data), ".txt")


def _generated(make, kit):
    return lambda: io.BytesIO(make(kit))


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
