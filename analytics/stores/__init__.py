"""The analytics store behind one interface: `get_store()` returns the configured one."""

from django.utils.module_loading import import_string

from analytics import conf
from analytics.stores.base import (
    BY_DIMENSIONS,
    AnalyticsStore,
    PageViewRow,
    Plan,
    QueryError,
    ReachQuery,
    ReachRow,
    plan,
)
from sunshine import process_state

STORES = {
    "sql": "analytics.stores.sql.SQLStore",
    "elasticsearch": "analytics.stores.elasticsearch.ElasticsearchStore",
}

# One store object per kind, per process (the Elasticsearch one holds its client).
_instances = {}


def get_store(name=None) -> AnalyticsStore:
    name = name or conf.get("ANALYTICS_STORE") or "sql"
    if name not in _instances:
        _instances[name] = import_string(STORES[name])()
    return _instances[name]


process_state.register("analytics.stores", _instances.clear, settings=["ELASTICSEARCH_URL"])


def record_play(
    *,
    page,
    day,
    district="",
    school_id=0,
    viewer="any string",
    watched_s,
    duration_s,
    via="link",
    store=None,
    seq=1,
    flush=True,
):
    """Puts one finished play into the store, as if a browser had played it on `day` (tests,
    demo data), and rolls it up unless `flush=False` (then call `store.flush()` once after many
    plays). Returns the play's token."""
    from datetime import datetime, time

    from analytics import content, privacy, tokens
    from analytics.protocol import make_beat

    content.forget(page_id=getattr(page, "pk", page))
    described = content.describe(getattr(page, "pk", page))
    if described is None or not described.is_video:
        raise ValueError(f"{page!r} 不是已发布的视频页面")
    noon = datetime.combine(day, time(12), tzinfo=privacy.SHANGHAI).timestamp()
    token = tokens.start(described, content.Attribution(district, school_id, via), viewer, now=noon)
    max_pos = min(watched_s, duration_s) if duration_s else watched_s
    store = store or get_store()
    store.ingest([make_beat(token, seq, watched_s, max_pos, duration_s)])
    if flush:
        store.flush()
    return token


def count_view(request, *, kind, page_id, document_id=0, district=None, school=None, via=None):
    """Counts one page view or kit download today, where the request says the viewer is from
    (analytics.content.attribution_for: the place the page sent, or a teacher's school)."""
    from analytics import content, privacy

    attribution = content.attribution_for(request, district, school, via)
    get_store().count_page_view(
        day=privacy.local_day(privacy.now()),
        kind=kind,
        district=attribution.district,
        school_id=attribution.school_id,
        page_id=page_id,
        document_id=document_id,
    )


__all__ = [
    "count_view",
    "record_play",
    "BY_DIMENSIONS",
    "AnalyticsStore",
    "PageViewRow",
    "Plan",
    "QueryError",
    "ReachQuery",
    "ReachRow",
    "get_store",
    "plan",
]
