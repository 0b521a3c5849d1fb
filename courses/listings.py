"""One page of a public listing (courses, kits, lectures, live replays)."""

import django_filters
from django.core.paginator import Paginator

from sunshine.cache import cache_query_params

PAGE_PARAM = "page"


def listing_page(request, listing, per_page):
    """The requested page of `listing`: a queryset, or a filter set over one.

    A mistyped page number shows the nearest page rather than an error. Only the listing's own
    URLs — valid filter choices and the number of a page that exists — may be kept by the page
    cache; anything else is answered fresh (see sunshine.cache).
    """
    listing_filter = listing if isinstance(listing, django_filters.FilterSet) else None
    queryset = listing_filter.qs if listing_filter is not None else listing
    page = Paginator(queryset, per_page).get_page(request.GET.get(PAGE_PARAM))
    params = [PAGE_PARAM]
    valid = request.GET.get(PAGE_PARAM, str(page.number)) == str(page.number)
    if listing_filter is not None:
        params += list(listing_filter.filters)
        valid = valid and (not listing_filter.is_bound or listing_filter.form.is_valid())
    if valid:
        cache_query_params(request, params)
    return page
