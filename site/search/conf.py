"""Settings of the public search: Django settings when set there, else the defaults below.

Read when used (sunshine.app_settings), so tests change them with `settings`.
"""

from sunshine.app_settings import AppSettings
from sunshine.search import page_types as registered

DEFAULTS = {
    # The page types /search/ looks through, {key used in ?type=: "app_label.Model"}. None: the
    # ones the apps registered (sunshine.search.page_types), in the order they registered them.
    "SUNSHINE_SEARCH_PAGE_TYPES": None,
    "SUNSHINE_SEARCH_RESULTS_PER_PAGE": 10,
    # Longer queries are cut to this many characters; a search box needs no more.
    "SUNSHINE_SEARCH_MAX_QUERY_CHARS": 64,
}

get = AppSettings("sunshine.search", DEFAULTS).get


def page_types() -> dict[str, str]:
    return get("SUNSHINE_SEARCH_PAGE_TYPES") or registered.labels()


def results_per_page() -> int:
    return get("SUNSHINE_SEARCH_RESULTS_PER_PAGE")


def max_query_chars() -> int:
    return get("SUNSHINE_SEARCH_MAX_QUERY_CHARS")
