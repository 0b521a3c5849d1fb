"""Finding the page a URL names in two queries instead of two per level of the tree.

Wagtail's `Page.route()` walks down from the site's root page: for every slug in the path one
query for the child and one for its specific page, so a lesson (home › 课程 › 系列 › 课) costs
eight queries before anything is rendered, and finding the site one more. Here:

* the site comes from the list of sites kept under the page cache's generation (a new or
  changed site purges it), matched to the request's host and port exactly as Wagtail's
  `get_site_for_hostname` does;
* one query reads the id and page type of every page along the path (by `url_path`, which
  Wagtail keeps equal to the root's path plus the slugs), and one more reads the page itself
  as its own type.

Whenever the fast path would not answer as Wagtail does, Wagtail answers: a page type along the
path with its own `route()` (routable pages, which read the rest of the URL themselves), a path
that names no page (a 404, or something a routable page may still answer), several locales.
Only the last page must be live, as in Wagtail's `route()`; view restrictions, `serve()` and the
`before_serve_page` hooks are Wagtail's own (`wagtail.views.serve`).
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.http.request import split_domain_port
from wagtail import views as wagtail_views
from wagtail.models import Page, Site
from wagtail.url_routing import RouteResult

from sunshine.cache import cached_for_page_cache_generation


def _all_sites():
    return list(Site.objects.select_related("root_page"))


def _match_site(sites, hostname, port):
    """The site for `hostname`/`port`, by the rules (and in the order) of Wagtail's
    `get_site_for_hostname`."""

    def rank(site):
        if site.hostname == hostname and site.port == port:
            return 0
        if site.hostname == hostname and site.is_default_site:
            return 1
        if site.is_default_site:
            return 2
        return 3

    candidates = sorted(
        (site for site in sites if site.hostname == hostname or site.is_default_site), key=rank
    )
    if not candidates:
        return None
    if len(candidates) == 1 or rank(candidates[0]) in (0, 1):
        return candidates[0]
    if rank(candidates[0]) == 2:
        return candidates[len(candidates) == 2]
    return None


def find_site(request):
    """Wagtail's `Site.find_for_request`, from the cached list of sites; the answer is kept on
    the request where Wagtail (settings, page URLs, menus) looks for it."""
    if not hasattr(request, "_wagtail_site"):
        sites = cached_for_page_cache_generation(request, "sites", _all_sites)
        hostname = split_domain_port(request._get_raw_host())[0]
        request._wagtail_site = _match_site(sites, hostname, request.get_port())
    return request._wagtail_site


def _routes_itself(model):
    return model is None or model.route is not Page.route


# fast_route's answer when Wagtail's route() would raise Http404 (the page is not live).
NOT_FOUND = None


def _chain(root, components):
    """[(id, page type id)] of the pages along the path from the site's root, or None when a
    page is missing."""
    url_paths = [
        root.url_path + "".join(f"{c}/" for c in components[:n])
        for n in range(1, len(components) + 1)
    ]
    # Slugs are indexed (url_path is not); a url_path is unique, each level adding one slug.
    found = {
        url_path: (pk, content_type_id)
        for url_path, pk, content_type_id in Page.objects.filter(
            slug__in=set(components), url_path__in=url_paths
        )
        .order_by()
        .values_list("url_path", "id", "content_type_id")
    }
    chain = [(root.pk, root.content_type_id)] + [found.get(url_path) for url_path in url_paths]
    return None if None in chain else chain


def fast_route(request, path):
    """(decided, route): a `RouteResult` for `path` or NOT_FOUND when `decided`; when not,
    Wagtail's own routing must answer."""
    site = find_site(request)
    if site is None or getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        return False, None
    components = [component for component in path.split("/") if component]
    # Kept under the page cache's generation (a move, a new slug or a publish purges it), and
    # only for paths that name pages: URLs anyone can type never fill the cache.
    chain = cached_for_page_cache_generation(
        request,
        f"route:{site.pk}:{'/'.join(components)}",
        lambda: _chain(site.root_page, components),
        keep=lambda found: found is not None,
    )
    if chain is None:
        return False, None
    models = [ContentType.objects.get_for_id(type_id).model_class() for _, type_id in chain]
    if any(_routes_itself(model) for model in models):
        return False, None
    try:
        page = models[-1].objects.get(pk=chain[-1][0])
    except models[-1].DoesNotExist:
        return False, None
    if page.url_path != site.root_page.url_path + "".join(f"{c}/" for c in components):
        return False, None  # moved since the path was kept (a purge this process missed)
    # For SharePageMixin.get_view_restrictions, which Wagtail's hook calls without a request.
    page._served_request = request
    return True, RouteResult(page) if page.live else NOT_FOUND


def serve(request, path):
    """Wagtail's page view, with the page found by `fast_route` when it can."""
    if not hasattr(request, "_wagtail_route_for_request"):
        decided, route = fast_route(request, path)
        if decided:
            request._wagtail_route_for_request = route
    return wagtail_views.serve(request, path)
