from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from sunshine import routing
from sunshine.favicon import favicon
from sunshine.search import views as search_views

# A database that is busy or gone is a 503 (sunshine.unavailable), any other error the 500 page.
handler500 = "sunshine.unavailable.server_error"

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", search_views.search, name="search"),
    path("accounts/", include("sunshine.roles.urls")),
    path("media-pipeline/", include("media_pipeline.urls")),
    path("", include("analytics.urls")),
    path("mailbox/", include("sunshine_mailbox.urls")),
]

if settings.DEBUG or not getattr(settings, "AWS_STORAGE_BUCKET_NAME", None):
    # Local-storage media (the embedded default). In production a CDN or the reverse proxy
    # serves MEDIA_ROOT; see media_pipeline.serving for range requests and cache headers.
    from media_pipeline.serving import media_urlpatterns

    urlpatterns += media_urlpatterns()

# Wagtail's URLs, with pages found by sunshine.routing (two queries) before Wagtail's own view
# serves them.
urlpatterns += [
    *(pattern for pattern in wagtail_urls.urlpatterns if pattern.name != "wagtail_serve"),
    re_path(wagtail_urls.serve_pattern, routing.serve, name="wagtail_serve"),
]
