"""The site's URLs plus the trivial view that page benchmarks compare against."""

from django.http import HttpResponse
from django.urls import path

from sunshine.urls import urlpatterns as site_urlpatterns

from .bench_pages import TRIVIAL_PATH


def trivial(request):
    """The least a Django view can do: same server, same middleware, no template, no query."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [path(TRIVIAL_PATH, trivial), *site_urlpatterns]
