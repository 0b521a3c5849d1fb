"""Kit downloads, counted from Wagtail's `document_served` signal.

A download is a plain GET of /documents/…: there is no viewer id and we want none. The count
goes to the kit page the document belongs to (if any), and to a signed-in teacher's school;
everyone else is 未知. A signed-in teacher's kit downloads (one material, or the whole zip from
media_pipeline's `kit_bundle_served`) also go to their own 最近下载 list (models/downloads.py).
"""

import logging

from analytics import privacy
from analytics.models import downloads

logger = logging.getLogger(__name__)


def count_document_download(sender, instance, request=None, **kwargs):
    from analytics.stores import count_view
    from courses.models import KitMaterial

    if request is not None and privacy.is_bot(request.META.get("HTTP_USER_AGENT", "")):
        return
    try:
        material = (
            KitMaterial.objects.filter(document_id=instance.pk)
            .order_by("pk")
            .values("page_id", "title")
            .first()
        )
        page_id = material["page_id"] if material else 0
        count_view(request, kind="download", page_id=page_id, document_id=instance.pk)
        if material and request is not None:
            downloads.record(request.user, page_id, material["title"])
    except Exception:
        # Counting must never break a teacher's download.
        logger.warning("资源下载计数失败", exc_info=True)


def record_bundle_download(sender, kit, request=None, **kwargs):
    try:
        if request is not None:
            downloads.record(request.user, kit.pk, "全部材料（压缩包）")
    except Exception:
        logger.warning("下载记录失败", exc_info=True)


def connect():
    from wagtail.documents.models import document_served

    from media_pipeline.signals import kit_bundle_served

    document_served.connect(count_document_download, dispatch_uid="analytics.count_download")
    kit_bundle_served.connect(record_bundle_download, dispatch_uid="analytics.bundle_download")
