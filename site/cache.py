"""The anonymous page cache: what is cached, for whom, and how it is purged.

Django's cache middleware keeps whole pages for anonymous visitors. These two subclasses add:

* **One shared copy per page.** Only requests without a session cookie are served from the
  cache or stored in it, so the copy is keyed on the URL alone, not on the `Cookie` header:
  cookies that say nothing about who is signed in (the `csrftoken` the login page leaves on a
  classroom PC for a year, a site's own or a WeChat cookie) must not give every visitor a
  private copy. Responses still say `Vary: Cookie`, for browsers and any CDN in front.
* **Nothing per visitor in a shared copy.** Signed-in visitors always have a session cookie, and
  their responses are marked `Cache-Control: private`. A response that sets a cookie (the CSRF
  token of a form, a session, a message) is never stored, so a page with a CSRF token in it is
  never shared. Templates show signed-in-only things (the Wagtail user bar, the district picker
  for visitors without an account) from `request.user`, which is anonymous for every request
  the cache serves.
* **Bounded keys.** A URL with a query string is stored only when the view declared its query
  parameters its own (`cache_query_params`: a listing's valid filters and an existing page
  number), or they are WeChat's share-link parameters with their few known values. Any other
  query string (`?utm_source=…`, `?x=<random>`) is served fresh and not stored, so it cannot
  fill the cache and push real pages out.
* **Purging by generation.** Every page-cache key carries a generation token kept in the same
  cache. A purge writes a new token, so every cached page is missed at once and the old entries
  simply expire (PAGE_CACHE_SECONDS). This never touches other users of the cache (sessions,
  rate limits, renditions…), which `cache.clear()` would wipe — on Redis, `clear()` is FLUSHDB.
  The token is read once per request and used for both the lookup and the store, so a page
  rendered from old content just before a purge is stored under the old, already dead token.
  A purge inside a transaction is repeated when it commits, so a page rendered from the old,
  still committed content in between is not kept. With the embedded in-process cache each
  process has its own token; production uses Redis, which every app server and worker share.

**Fragments and lookups by generation.** What an uncached page is built from (the parts of a
page that are the same for every visitor, the site list, site settings, view restrictions) is
kept under the same generation token (`cached_for_page_cache_generation`), so whatever purges
the page cache purges them too, at the same moment: a stale fragment never outlives a publish.
They are kept for FRAGMENT_SECONDS whatever PAGE_CACHE_SECONDS says, so signed-in visitors and
pages the page cache does not keep are built from them as well; that is also how long a process
with the embedded cache (which a purge in another process does not reach) may show an old one.

* **A last good copy for an outage.** Each stored page is also kept, under the same generation,
  for STALE_SECONDS. It is never served while the site works; when the database is unreachable
  (sunshine.unavailable), an anonymous visitor gets that copy instead of the 503 page, so a
  lesson stays readable through minutes of downtime after its fresh copy expired. A purge hides
  the old copies with the rest: an unpublished page is never brought back by an outage.

Purges happen when a page is published, unpublished (Wagtail unpublishes a live page it
deletes), or moved, and when site settings, experts, campaigns, documents or images change or are
deleted (they show on many pages). Receivers are connected to those senders only: a
`post_delete` receiver for every model would cost every bulk delete in the project Django's fast
path. Wagtail's frontend_cache purges a published page from the CDN when a CDN is configured; the
listings above it (a lesson's series, the course listing, the home page) show it too, so they
are purged with it.
"""

import contextvars
import logging
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware
from django.utils.cache import (
    get_cache_key,
    learn_cache_key,
    patch_cache_control,
    patch_vary_headers,
)

logger = logging.getLogger(__name__)

GENERATION_KEY = "sunshine:page-cache-generation"
STALE_SECONDS = 24 * 3600  # how long the last good copy of a page is kept for an outage

# WeChat appends these to every link shared in a chat or Moments; their values are few, so a
# page opened from a share card is still served from the cache.
WECHAT_SHARE_PARAMS = {
    "from": {"singlemessage", "groupmessage", "timeline"},
    "isappinstalled": {"0", "1"},
}

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


# How long fragments and lookups kept under a generation live (see the module docstring): as
# long as a whole page with the default PAGE_CACHE_SECONDS.
FRAGMENT_SECONDS = 300
_MISSING = object()


def _new_generation():
    _page_cache().set(GENERATION_KEY, uuid.uuid4().hex[:12], timeout=None)


def purge_page_cache(reason=""):
    """Make every cached page stale at once (and again when the current transaction commits)."""
    _new_generation()
    if connection.in_atomic_block:
        transaction.on_commit(_new_generation, robust=True)
    logger.debug("page cache purged%s", f": {reason}" if reason else "")


def cache_query_params(request, names):
    """Let the page cache keep the response to `request` although its URL has a query string.

    A view calls this once it knows the query is one of its own: parameters in `names`, each
    given once, with values it accepted (a valid filter choice, an existing page number). The
    number of such URLs is bounded, unlike the number of query strings anyone can type.
    """
    request._page_cache_query_params = frozenset(names)


def _query_is_cacheable(request):
    declared = getattr(request, "_page_cache_query_params", frozenset())
    for name, values in request.GET.lists():
        if len(values) != 1:
            return False
        if name not in declared and values[0] not in WECHAT_SHARE_PARAMS.get(name, ()):
            return False
    return True


def _has_session_cookie(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _key_prefix_for(request):
    prefix = getattr(request, "_sunshine_page_cache_prefix", None)
    if prefix is None:
        prefix = f"{settings.CACHE_MIDDLEWARE_KEY_PREFIX}.{current_generation()}"
        request._sunshine_page_cache_prefix = prefix
    return prefix


def cached_for_page_cache_generation(request, key, compute, keep=None):
    """`compute()`, kept in the page cache's store under the current generation: recomputed
    after any purge. The generation is the one the request already read for the page cache
    (read once per request), so what is built from content older than a purge is stored under
    the old, dead token. A value is kept unless `keep(value)` says not to (None is kept too)."""
    cache = _page_cache()
    full_key = f"sunshine:fragment:{_key_prefix_for(request)}:{key}"
    value = cache.get(full_key, _MISSING)
    if value is _MISSING:
        value = compute()
        if keep is None or keep(value):
            cache.set(full_key, value, timeout=FRAGMENT_SECONDS)
    return value


def _drop_vary_cookie(response):
    kept = [
        header.strip()
        for header in response.headers.get("Vary", "").split(",")
        if header.strip() and header.strip().lower() != "cookie"
    ]
    if kept:
        response.headers["Vary"] = ", ".join(kept)
    elif "Vary" in response.headers:
        del response.headers["Vary"]


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
        if _has_session_cookie(request):
            # Possibly signed in: build the page for this visitor and keep no copy of it.
            request._cache_update_cache = False
            return None
        token = _request_prefix.set(_key_prefix_for(request))
        try:
            response = super().process_request(request)
        finally:
            _request_prefix.reset(token)
        if response is not None:
            patch_vary_headers(response, ("Cookie",))
        return response


class UpdatePageCacheMiddleware(_GenerationPrefix, UpdateCacheMiddleware):
    def process_response(self, request, response):
        if not hasattr(request, "_cache_update_cache"):
            # Never reached FetchFromPageCacheMiddleware (a static file answered by WhiteNoise):
            # leave its headers alone.
            return response
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in:
            patch_cache_control(response, private=True)
        if (
            signed_in
            or response.cookies
            or not self._should_update_cache(request, response)
            or not _query_is_cacheable(request)
        ):
            patch_vary_headers(response, ("Cookie",))
            return response
        # The copy is for every visitor without a session: key it on the URL alone.
        _drop_vary_cookie(response)
        prefix = _key_prefix_for(request)
        token = _request_prefix.set(prefix)
        try:
            response = super().process_response(request, response)
        finally:
            _request_prefix.reset(token)
        self._keep_last_good_copy(request, response, prefix)
        patch_vary_headers(response, ("Cookie",))
        return response

    def _keep_last_good_copy(self, request, response, prefix):
        # Only what Django's middleware has just stored (it learned the page's key): a 200 for
        # everyone, neither private nor no-store.
        if request.method != "GET" or response.status_code != 200 or response.streaming:
            return
        if get_cache_key(request, prefix, "GET", cache=self.cache) is None:
            return
        stale = f"{prefix}.stale"
        key = learn_cache_key(request, response, STALE_SECONDS, stale, cache=self.cache)
        self.cache.set(key, response, STALE_SECONDS)


def last_good_copy(request):
    """The page's last good copy for an anonymous GET, or None (sunshine.unavailable serves it
    when the database is down). Needs nothing but the cache."""
    if request.method not in ("GET", "HEAD") or _has_session_cookie(request):
        return None
    if not _query_is_cacheable(request):
        return None
    try:
        cache = _page_cache()
        stale = f"{_key_prefix_for(request)}.stale"
        key = get_cache_key(request, stale, "GET", cache=cache)
        response = cache.get(key) if key is not None else None
    except Exception:  # noqa: BLE001 — the cache is down too: the 503 page it is
        logger.warning("页面缓存不可用", exc_info=True)
        return None
    if response is None:
        return None
    # A plain response: a stored TemplateResponse would be rendered again on its way out (it is
    # returned in place of a view's), without the context it no longer has.
    copy = HttpResponse(response.content, status=response.status_code)
    for header, value in response.items():
        copy[header] = value
    # Not stored again on its way out: it would pass for fresh once the database is back.
    request._cache_update_cache = False
    patch_vary_headers(copy, ("Cookie",))
    return copy


def _purge_on_page_change(sender, instance=None, **kwargs):
    purge_page_cache(f"{sender.__name__} {getattr(instance, 'pk', '')}")


def _purge_on_save(sender, instance=None, created=False, **kwargs):
    # Something just created (an upload, a new expert, the settings row made on first use) is
    # on no cached page yet: it gets there by a page being published, which purges.
    if not created:
        purge_page_cache(f"{sender.__name__} {getattr(instance, 'pk', '')}")


def _purge_on_delete(sender, instance=None, **kwargs):
    purge_page_cache(f"deleted {sender.__name__} {getattr(instance, 'pk', '')}")


def _purge_on_any_save(sender, instance=None, **kwargs):
    purge_page_cache(f"{sender.__name__} {getattr(instance, 'pk', '')}")


def _purge_listings_from_cdn(sender, instance=None, **kwargs):
    if not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    from wagtail.contrib.frontend_cache.utils import PurgeBatch

    batch = PurgeBatch()
    batch.add_pages(instance.get_ancestors().live().filter(depth__gt=1))
    batch.purge()


# What many pages show besides pages themselves; other apps add their own models with
# purge_when_changed() from their ready() (courses: experts, campaigns).
SHOWN_ON_PAGES = (
    "sunshine.SiteSettings",
    "wagtaildocs.Document",
    "wagtailimages.Image",
)


def purge_when_changed(model):
    """Purges the page cache when a `model` ("app_label.Model") that pages show is changed or
    deleted: for an app's ready()."""
    post_save.connect(_purge_on_save, sender=model, dispatch_uid=f"sunshine-cache-{model}")
    post_delete.connect(
        _purge_on_delete, sender=model, dispatch_uid=f"sunshine-cache-{model}-deleted"
    )


# Models whose new rows change what existing pages do, not only their changed rows: a new site
# (a hostname routed to another root) or a new view restriction (a page that needs a login now).
ROUTING_MODELS = ("wagtailcore.Site", "wagtailcore.PageViewRestriction")


def connect_signals():
    """Called from the app's ready(): purge when anything a cached page shows changes."""
    from wagtail.signals import page_published, page_unpublished, post_page_move

    page_published.connect(_purge_on_page_change, dispatch_uid="sunshine-cache-published")
    # Also sent for a live page being deleted (Wagtail unpublishes it first).
    page_unpublished.connect(_purge_on_page_change, dispatch_uid="sunshine-cache-unpublished")
    post_page_move.connect(_purge_on_page_change, dispatch_uid="sunshine-cache-moved")
    page_published.connect(_purge_listings_from_cdn, dispatch_uid="sunshine-cdn-published")
    page_unpublished.connect(_purge_listings_from_cdn, dispatch_uid="sunshine-cdn-unpublished")
    for model in SHOWN_ON_PAGES:
        purge_when_changed(model)
    for model in ROUTING_MODELS:
        post_save.connect(_purge_on_any_save, sender=model, dispatch_uid=f"sunshine-cache-{model}")
        post_delete.connect(
            _purge_on_delete, sender=model, dispatch_uid=f"sunshine-cache-{model}-deleted"
        )
