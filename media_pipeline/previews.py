"""Previews of kit materials: which documents get one, when it is drawn, and who may see it.

A preview is drawn once per file content (DocumentPreview, keyed by the document's file hash) in
a worker task, as other heavy work is: LibreOffice takes seconds. The first visitor to ask for
it queues it and is told it is being prepared; a kit published with new materials queues its
previews ahead of the first visitor (signals.py).

Who may see the page images: exactly who may download the material (courses.access, the rule
the document download and the "下载全部" zip use), and only for a material of a published kit.
A preview shows the whole content of the first pages, so it is the material.
"""

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import storage
from .engine import preview as engine
from .models import DocumentPreview

logger = logging.getLogger(__name__)

BUILD_TIMEOUT = timedelta(minutes=15)
# A preview that failed because LibreOffice or poppler was not installed is tried again once they
# are; one that failed on the file itself is not (the same file fails the same way).
MISSING_TOOLS = "this machine lacks "


def kind_of(document):
    return engine.kind_of(document.file.name) if document and document.file else None


def live_material(material_id):
    """The material if its kit is published, else None."""
    from courses.models import ClassMeetingKitPage, KitMaterial

    material = (
        KitMaterial.objects.select_related("document", "video")
        .filter(pk=material_id, page__in=ClassMeetingKitPage.objects.live())
        .first()
    )
    return material


def may_see(request):
    """The download rule of kit materials (courses.access), for the preview of one."""
    from courses.access import can_download_kit_materials, kit_downloads_require_login

    return not kit_downloads_require_login(request) or can_download_kit_materials(request.user)


def _file_hash(document):
    try:
        return document.get_file_hash()
    except OSError:  # the file is gone from storage
        return None


def current_preview(document):
    """The preview of the document as it is now, queued if there is none (None: no preview can
    be made of this file)."""
    from .tasks import build_document_preview

    if kind_of(document) is None:
        return None
    file_hash = _file_hash(document)
    if not file_hash:
        return None
    preview = DocumentPreview.objects.filter(document=document, file_hash=file_hash).first()
    if preview is None:
        try:
            with transaction.atomic():
                preview = DocumentPreview.objects.create(document=document, file_hash=file_hash)
        except IntegrityError:  # another request created it a moment ago
            return DocumentPreview.objects.get(document=document, file_hash=file_hash)
        document_id = document.pk
        transaction.on_commit(lambda: build_document_preview.enqueue(document_id))
        return preview
    stale = timezone.now() - preview.created_at > BUILD_TIMEOUT
    hung = preview.status == DocumentPreview.Status.BUILDING and stale
    tools_now_there = (
        preview.status == DocumentPreview.Status.FAILED
        and preview.error.startswith(MISSING_TOOLS)
        and not engine.tools_missing(kind_of(document))
    )
    if hung or tools_now_there:
        DocumentPreview.objects.filter(pk=preview.pk).update(
            status=DocumentPreview.Status.BUILDING, created_at=timezone.now(), error=""
        )
        preview.refresh_from_db()
        document_id = document.pk
        transaction.on_commit(lambda: build_document_preview.enqueue(document_id))
    return preview


def queue_for_kit(kit):
    """Queue the previews of a kit's documents that have none yet (a kit was published)."""
    for material in kit.materials.select_related("document"):
        if material.document is not None:
            current_preview(material.document)


def build(document_id):
    """Draw the page images of the document's current file and store them (privately)."""
    from wagtail.documents import get_document_model

    document = get_document_model().objects.filter(pk=document_id).first()
    if document is None or kind_of(document) is None:
        return None
    file_hash = _file_hash(document)
    if not file_hash:
        return None
    preview, _ = DocumentPreview.objects.get_or_create(document=document, file_hash=file_hash)
    if preview.status == DocumentPreview.Status.READY:
        return preview
    missing = engine.tools_missing(kind_of(document))
    if missing:
        return _failed(preview, MISSING_TOOLS + ", ".join(missing))
    suffix = Path(document.file.name).suffix.lower()
    try:
        with tempfile.TemporaryDirectory(prefix="sunshine-preview-") as workdir:
            source = Path(workdir) / f"source{suffix}"
            with document.file.open("rb") as src, open(source, "wb") as dst:
                for chunk in iter(lambda: src.read(1024 * 1024), b""):
                    dst.write(chunk)
            pages, total = engine.make_preview(source, workdir)
            width, height = _size(pages[0])
            for number, page in enumerate(pages, 1):
                storage.save_private(str(page), preview.page_name(number))
    except Exception as exc:  # a broken file, a tool that timed out: say so, never retry forever
        logger.warning("document %s: preview failed: %s", document_id, exc)
        return _failed(preview, str(exc))
    DocumentPreview.objects.filter(pk=preview.pk).update(
        status=DocumentPreview.Status.READY,
        pages=len(pages),
        total_pages=total,
        width=width,
        height=height,
        error="",
        built_at=timezone.now(),
    )
    preview.refresh_from_db()
    return preview


def _size(image_path):
    from PIL import Image

    with Image.open(image_path) as image:
        return image.size


def _failed(preview, error):
    DocumentPreview.objects.filter(pk=preview.pk).update(
        status=DocumentPreview.Status.FAILED, error=error[:500]
    )
    preview.refresh_from_db()
    return preview
