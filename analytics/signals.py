"""Kit downloads, counted from Wagtail's `document_served` signal.

A download is a plain GET of /documents/…: there is no viewer id and we want none. The count
goes to the kit page the document belongs to (if any), and to a signed-in teacher's school;
everyone else is 未知.
"""

import logging

from analytics import privacy

logger = logging.getLogger(__name__)


def count_document_download(sender, instance, request=None, **kwargs):
    from analytics.stores import count_view
    from courses.models import KitMaterial

    if request is not None and privacy.is_bot(request.META.get("HTTP_USER_AGENT", "")):
        return
    try:
        page_id = (
            KitMaterial.objects.filter(document_id=instance.pk)
            .order_by("pk")
            .values_list("page_id", flat=True)
            .first()
        ) or 0
        count_view(request, kind="download", page_id=page_id, document_id=instance.pk)
    except Exception:
        # Counting must never break a teacher's download.
        logger.warning("资源下载计数失败", exc_info=True)


def connect():
    from wagtail.documents.models import document_served

    document_served.connect(count_document_download, dispatch_uid="analytics.count_download")
