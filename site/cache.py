"""The anonymous page cache: what is cached, for whom, and how it is purged.

Django's cache middleware keeps whole pages for anonymous visitors. These two subclasses add:

* **Purging by generation.** Every page-cache key carries a generation token kept in the same
  cache. A purge writes a new token, so every cached page is missed at once and the old entries
  simply expire (PAGE_CACHE_SECONDS). This never touches other users of the cache (sessions,
  rate limits, renditions…), which `cache.clear()` would wipe — on Redis, `clear()` is FLUSHDB.
  The token is read once per request and used for both the lookup and the store, so a page
  rendered from old content just before a purge is stored under the old, already dead token.
  With the embedded in-process cache each process has its own token; production uses Redis,
  which every app server and worker share.
* **Nobody gets somebody else's page.** A response to a signed-in user is marked
  `Cache-Control: private`, which the middleware (and any CDN) never stores; every cached page
  varies on `Cookie`, so a request with a session cookie never matches an anonymous entry.
  Pages that use a CSRF token set the CSRF cookie and are therefore never stored by Django
  (its middleware skips responses that set cookies while varying on Cookie).

Purges happen when a page is published, unpublished, moved or deleted, and when site settings,
experts, campaigns, documents or images change (they show on many pages). Wagtail's
frontend_cache purges a published page from the CDN when a CDN is configured; the listings above
it (a lesson's series, the course listing, the home page) show it too, so they are purged with it.
"""

import contextvars
import logging
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db.models.signals import post_delete, post_save
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers

logger = logging.getLogger(__name__)

GENERATION_KEY = "sunshine:page-cache-generation"

# The key prefix chosen for the request being handled; set only while Django's own middleware
# code runs, so it is never shared between requests or threads.
_request_prefix = contextvars.ContextVar("page_cache_prefix", default=None)


def _page_cache():
    return caches[settings.CACHE_MIDDLEWARE_ALIAS]


def current_generation():
    cache = _page_cache()
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # First use, or the key was evicted: start a fresh generation (never reuse an old one).
        cache.add(GENERATION_KEY, uuid.uuid4().hex[:12], timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def purge_page_cache(reason=""):
    """Make every cached page stale at once."""
    _page_cache().set(GENERATION_KEY, uuid.uuid4().hex[:12], timeout=None)
    logger.debug("page cache purged%s", f": {reason}" if reason else "")


def _key_prefix_for(request):
    prefix = getattr(request, "_sunshine_page_cache_prefix", None)
    if prefix is None:
        prefix = f"{settings.CACHE_MIDDLEWARE_KEY_PREFIX}.{current_generation()}"
        request._sunshine_page_cache_prefix = prefix
    return prefix


class _GenerationPrefix:
    @property
    def key_prefix(self):
        prefix = _request_prefix.get()
        return prefix if prefix is not None else settings.CACHE_MIDDLEWARE_KEY_PREFIX

    @key_prefix.setter
    def key_prefix(self, value):
        # Django's __init__ assigns the static setting; the prefix is chosen per request instead.
        pass


class FetchFromPageCacheMiddleware(_GenerationPrefix, FetchFromCacheMiddleware):
    def process_request(self, request):
        if request.method not in ("GET", "HEAD"):
            return super().process_request(request)
        token = _request_prefix.set(_key_prefix_for(request))
        try:
            return super().process_request(request)
        finally:
            _request_prefix.reset(token)


class UpdatePageCacheMiddleware(_GenerationPrefix, UpdateCacheMiddleware):
    def process_response(self, request, response):
        if not self._should_update_cache(request, response):
            # Not a page request that went through FetchFromPageCacheMiddleware (a POST, or a
            # static file answered by WhiteNoise): leave its headers alone.
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True)
        patch_vary_headers(response, ("Cookie",))
        token = _request_prefix.set(_key_prefix_for(request))
        try:
            return super().process_response(request, response)
        finally:
            _request_prefix.reset(token)


def _purge_on_page_change(sender, instance=None, **kwargs):
    purge_page_cache(f"{sender.__name__} {getattr(instance, 'pk', '')}")


def _purge_on_change(sender, instance=None, created=False, **kwargs):
    # Something just created (an upload, a new expert, the settings row made on first use) is
    # on no cached page yet: it gets there by a page being published, which purges.
    if not created:
        purge_page_cache(f"{sender.__name__} {getattr(instance, 'pk', '')}")


def _purge_on_delete(sender, instance=None, **kwargs):
    from wagtail.models import Page

    if isinstance(instance, Page):
        purge_page_cache(f"deleted page {instance.pk}")


def _purge_listings_from_cdn(sender, instance=None, **kwargs):
    if not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    from wagtail.contrib.frontend_cache.utils import PurgeBatch

    batch = PurgeBatch()
    batch.add_pages(instance.get_ancestors().live().filter(depth__gt=1))
    batch.purge()


def connect_signals():
    """Called from the app's ready(): purge when anything a cached page shows changes."""
    from wagtail.signals import page_published, page_unpublished, post_page_move

    page_published.connect(_purge_on_page_change, dispatch_uid="sunshine-cache-published")
    page_unpublished.connect(_purge_on_page_change, dispatch_uid="sunshine-cache-unpublished")
    post_page_move.connect(_purge_on_page_change, dispatch_uid="sunshine-cache-moved")
    page_published.connect(_purge_listings_from_cdn, dispatch_uid="sunshine-cdn-published")
    page_unpublished.connect(_purge_listings_from_cdn, dispatch_uid="sunshine-cdn-unpublished")
    post_delete.connect(_purge_on_delete, dispatch_uid="sunshine-cache-page-deleted")
    for model in (
        "sunshine.SiteSettings",
        "courses.Expert",
        "courses.Campaign",
        "wagtaildocs.Document",
        "wagtailimages.Image",
    ):
        for signal in (post_save, post_delete):
            signal.connect(
                _purge_on_change,
                sender=model,
                dispatch_uid=f"sunshine-cache-{model}-{signal is post_save}",
            )
