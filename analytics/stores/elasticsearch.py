"""The Elasticsearch store (ANALYTICS_STORE=elasticsearch): for a province or the national
platform, where raw plays outgrow one PostgreSQL server.

One document per play, `_id = play_id`, written with external versioning (version = the
highest seq merged into it) so an older snapshot can never overwrite a newer one. Reports use
composite aggregations, which page through any number of groups. Unique viewers are exact
(composite buckets of the pseudonym) where the plan says they can be; for ad-hoc ranges they
are a sum of per-day cardinality estimates, flagged approximate, like the SQL store's sums.
Page views and kit downloads stay in SQL: they are small counters.
"""

from collections import defaultdict
from datetime import UTC, date, datetime

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers
from elasticsearch.dsl import (
    Boolean,
    Date,
    Document,
    Integer,
    Keyword,
    Long,
    MetaField,
    Q,
    Search,
)

from analytics import conf, protocol
from analytics.protocol import PlayState
from analytics.stores.base import AnalyticsStore, ReachRow, plan, sort_rows
from analytics.stores.sql import SQLStore

COMPOSITE_PAGE = 1000
# Below this many distinct values per bucket, cardinality counts are close to exact.
PRECISION_THRESHOLD = 40000
# The document field of each reach dimension.
FIELDS = {
    "day": "day",
    "district": "district",
    "school": "school_id",
    "track": "track",
    "series": "series_id",
    "lesson": "lesson_id",
}


class PlayDocument(Document):
    """Strict mapping: a field we did not declare is an error, never a silent new column."""

    play_id = Keyword()
    kind = Keyword()
    lesson_id = Integer()
    series_id = Integer()
    track = Keyword()
    campaign_id = Integer()
    day = Date(format="yyyy-MM-dd")
    district = Keyword()
    school_id = Integer()
    via = Keyword()
    day_viewer = Long()
    campaign_viewer = Long()
    started_at = Date()
    seq = Integer()
    watched_s = Integer()
    max_pos_s = Integer()
    duration_s = Integer()
    counted = Boolean()
    completed = Boolean()
    # What the play adds to reports (only counted plays count), summed by aggregations.
    views = Integer()
    watch_seconds = Integer()
    completions = Integer()

    class Meta:
        dynamic = MetaField("strict")


def index_name():
    return f"{conf.get('ANALYTICS_ES_INDEX_PREFIX')}-plays"


def play_source(token, state: PlayState) -> dict:
    counted, completed = state.counted, state.completed
    return {
        "play_id": token.play_id.hex,
        "kind": token.kind,
        "lesson_id": token.page_id,
        "series_id": token.series_id,
        "track": token.track,
        "campaign_id": token.campaign_id,
        "day": token.day.isoformat(),
        "district": token.district,
        "school_id": token.school_id,
        "via": token.via,
        "day_viewer": token.day_viewer,
        "campaign_viewer": token.campaign_viewer,
        "started_at": datetime.fromtimestamp(token.issued_at, tz=UTC).isoformat(),
        "seq": state.seq,
        "watched_s": state.watched_s,
        "max_pos_s": state.max_pos_s,
        "duration_s": state.duration_s,
        "counted": counted,
        "completed": completed,
        "views": int(counted),
        "watch_seconds": state.watched_s if counted else 0,
        "completions": int(counted and completed),
    }


def base_search(p, *, using=None, index=None) -> Search:
    """The filtered search of a plan (counted plays only), without aggregations."""
    search = Search(using=using, index=index or index_name()).extra(size=0, track_total_hits=False)
    filters = [Q("term", counted=True)]
    if p.period == "campaign":
        filters.append(Q("term", campaign_id=p.campaign_id))
    else:
        bounds = {}
        if p.date_from:
            bounds["gte"] = p.date_from.isoformat()
        if p.date_to:
            bounds["lte"] = p.date_to.isoformat()
        if bounds:
            filters.append(Q("range", day=bounds))
    for dim, values in sorted(p.filters.items()):
        filters.append(Q("terms", **{FIELDS[dim]: list(values)}))
    return search.query(Q("bool", filter=filters))


def _source(dim):
    if dim == "day":
        return {
            dim: {
                "date_histogram": {
                    "field": "day",
                    "calendar_interval": "1d",
                    "format": "yyyy-MM-dd",
                }
            }
        }
    return {dim: {"terms": {"field": FIELDS.get(dim, dim)}}}


def groups_search(p, *, after=None, using=None, index=None) -> Search:
    """Composite buckets of (by + split) with the sums, and per-bucket cardinality of viewers
    when the plan says viewers cannot be exact."""
    search = base_search(p, using=using, index=index)
    viewer = "campaign_viewer" if p.period == "campaign" else "day_viewer"
    dims = [*p.by, *p.split]
    composite = {
        "sources": [_source(d) for d in dims] or [_source("__all")],
        "size": COMPOSITE_PAGE,
    }
    if after:
        composite["after"] = after
    agg = search.aggs.bucket("groups", "composite", **composite)
    agg.metric("views", "sum", field="views")
    agg.metric("watch_seconds", "sum", field="watch_seconds")
    agg.metric("completions", "sum", field="completions")
    if not p.exact:
        agg.metric("viewers", "cardinality", field=viewer, precision_threshold=PRECISION_THRESHOLD)
    return search


def viewers_search(p, *, after=None, using=None, index=None) -> Search:
    """Composite buckets of (by + viewer): their number per group is the exact viewer count."""
    search = base_search(p, using=using, index=index)
    viewer = "campaign_viewer" if p.period == "campaign" else "day_viewer"
    sources = [_source(d) for d in p.by] + [{"viewer": {"terms": {"field": viewer}}}]
    composite = {"sources": sources, "size": COMPOSITE_PAGE}
    if after:
        composite["after"] = after
    search.aggs.bucket("viewers", "composite", **composite)
    return search


def _key(p, bucket_key):
    values = []
    for dim in p.by:
        value = bucket_key[dim]
        values.append(date.fromisoformat(value) if dim == "day" else value)
    return tuple(values)


class ElasticsearchStore(AnalyticsStore):
    name = "elasticsearch"
    unavailable_errors = (TransportError, ConnectionError)

    def __init__(self, client=None, index=None):
        self._client = client
        self._index = index
        self._counters = SQLStore()
        self._index_ready = False

    @property
    def client(self):
        if self._client is None:
            self._client = Elasticsearch(conf.get("ELASTICSEARCH_URL"), request_timeout=10)
        return self._client

    @property
    def index(self):
        return self._index or index_name()

    def ensure_index(self):
        """Creates the index with its strict mapping, once per process."""
        if self._index_ready:
            return
        if not self.client.indices.exists(index=self.index):
            PlayDocument.init(index=self.index, using=self.client)
        self._index_ready = True

    # --- ingestion ---------------------------------------------------------------------

    def ingest(self, beats) -> int:
        self.ensure_index()
        merged = protocol.merge_beats(beats)
        pending = {play_id.hex: pair for play_id, pair in merged.items()}
        for _attempt in range(5):
            if not pending:
                break
            found = self.client.mget(index=self.index, ids=list(pending))["docs"]
            actions = []
            for doc in found:
                token, state = pending[doc["_id"]]
                if doc.get("found"):
                    src = doc["_source"]
                    state = state.merge(
                        PlayState(src["seq"], src["watched_s"], src["max_pos_s"], src["duration_s"])
                    )
                actions.append(
                    {
                        "_op_type": "index",
                        "_index": self.index,
                        "_id": doc["_id"],
                        "version": state.seq,
                        "version_type": "external_gte",
                        "_source": play_source(token, state),
                    }
                )
            _ok, errors = helpers.bulk(self.client, actions, raise_on_error=False)
            conflicted = {}
            for error in errors:
                item = error.get("index", {})
                if item.get("status") != 409:
                    raise ApiError(
                        f"写入 Elasticsearch 失败：{item.get('error')}", meta=None, body=item
                    )
                conflicted[item["_id"]] = pending[item["_id"]]
            # A newer snapshot was written meanwhile: merge with it and try again.
            pending = conflicted
        return len(merged)

    def flush(self) -> int:
        self.client.indices.refresh(index=self.index)
        return 0

    # --- reports -----------------------------------------------------------------------

    def _pages(self, build, p, name):
        after = None
        while True:
            response = build(p, after=after, using=self.client, index=self.index).execute()
            agg = getattr(response.aggregations, name)
            yield from agg.buckets
            after = getattr(agg, "after_key", None)
            if not agg.buckets or after is None:
                return
            after = after.to_dict()

    def reach(self, query, by=()):
        p = plan(query, by)
        if p.empty:
            return []
        self.flush()
        sums = defaultdict(lambda: [0, 0, 0, 0])
        for bucket in self._pages(groups_search, p, "groups"):
            key = _key(p, bucket.key.to_dict())
            row = sums[key]
            row[0] += int(bucket.views.value or 0)
            row[2] += int(bucket.watch_seconds.value or 0)
            row[3] += int(bucket.completions.value or 0)
            if not p.exact:
                row[1] += int(bucket.viewers.value or 0)
        if p.exact:
            for bucket in self._pages(viewers_search, p, "viewers"):
                sums[_key(p, bucket.key.to_dict())][1] += 1
        return sort_rows(
            ReachRow(key, views, viewers, p.exact, watch, completions)
            for key, (views, viewers, watch, completions) in sums.items()
            if views or viewers or watch or completions
        )

    # --- counters stay in SQL ----------------------------------------------------------

    def count_page_view(self, **kwargs):
        return self._counters.count_page_view(**kwargs)

    def page_views(self, query, by=(), kind="page"):
        return self._counters.page_views(query, by, kind)

    # --- retention ---------------------------------------------------------------------

    def delete_plays_before(self, day) -> int:
        result = self.client.delete_by_query(
            index=self.index,
            query={"range": {"day": {"lt": day.isoformat()}}},
            refresh=True,
            conflicts="proceed",
        )
        return result.get("deleted", 0)

    def forget_viewers(self, *, days=(), campaign_ids=()):
        # Pseudonyms live in the play documents until retention deletes them; with their salt
        # gone they can no longer be linked to a device. Nothing else to delete here.
        return None
