from django.conf import settings
from django.conf.urls.static import static


def media_urlpatterns():
    return static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
