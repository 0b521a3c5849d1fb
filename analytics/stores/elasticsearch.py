"""The Elasticsearch store (ANALYTICS_STORE=elasticsearch): for a province or the national
platform, where the raw plays outgrow one PostgreSQL server.

Raw plays are documents (`_id = play_id`, strict mapping, written with `elasticsearch.dsl`'s
mapping and the bulk helper). A beat merges into its document with optimistic concurrency
(`if_seq_no`/`if_primary_term`; `create` for a new play): a max-merge of several fields cannot
be made safe with an external version (two writers with the same seq could each lower a field
of the other), so a conflicting write re-reads the document, merges again and retries, and
raises (the spool keeps the beats) rather than dropping anything.

Rollups are the same as the SQL store's, into the same SQL tables (analytics.stores.tables):
a rollup reads the dirty documents, lets analytics.rollups compute what they add, and writes it
in one SQL transaction together with an outbox row per play; the documents are then marked
rolled (a painless script), and the outbox rows deleted. After a crash in between, the next
rollup applies the outbox first, so nothing is added twice. Reports therefore read small SQL
tables: identical numbers to the SQL store, history that survives the deletion of raw
documents after the retention window, finalised campaigns that stay frozen, and report
latency independent of the number of plays.
"""

from datetime import UTC, date, datetime

from django.db import connections, transaction
from elasticsearch import ApiError, Elasticsearch, TransportError, helpers
from elasticsearch.dsl import Boolean, Date, Document, Integer, Keyword, Long, MetaField, Search

from analytics import conf, protocol, rollups
from analytics.models import RollupOutbox
from analytics.protocol import PlayState
from analytics.stores import tables
from analytics.stores.base import AnalyticsStore
from analytics.stores.statements import sqlite_writer

WRITE_ATTEMPTS = 8


class PlayDocument(Document):
    """Strict mapping: a field we did not declare is an error, never a silent new column."""

    play_id = Keyword()
    kind = Keyword()
    lesson_id = Integer()
    series_id = Integer()
    track = Keyword()
    day = Date(format="yyyy-MM-dd")
    district = Keyword()
    school_id = Integer()
    via = Keyword()
    day_viewer = Long()  # 0 once counted (see analytics.rollups.Rolled.forget_viewers)
    campaign_ids = Integer()  # arrays, in the same order
    campaign_viewers = Long()
    started_at = Date()
    seq = Integer()
    watched_s = Integer()
    max_pos_s = Integer()
    duration_s = Integer()
    counted = Boolean()
    completed = Boolean()
    dirty = Boolean()
    rolled_counted = Boolean()
    rolled_watched = Integer()
    rolled_completed = Boolean()

    class Meta:
        dynamic = MetaField("strict")


MERGED_FIELDS = ("seq", "watched_s", "max_pos_s", "duration_s", "counted", "completed")

# Marks a document rolled up; a beat merged since the rollup read it leaves it dirty.
MARK_ROLLED = """
ctx._source.rolled_counted = params.rc;
ctx._source.rolled_watched = params.rw;
ctx._source.rolled_completed = params.rf;
if (params.forget) {
  ctx._source.day_viewer = 0;
  def viewers = ctx._source.campaign_viewers;
  if (viewers != null) { for (int i = 0; i < viewers.size(); i++) { viewers[i] = 0; } }
}
ctx._source.dirty = ctx._source.watched_s != params.w || ctx._source.counted != params.c
  || ctx._source.completed != params.f;
"""


class TemporarilyRefused(Exception):
    """Elasticsearch refused writes for now (429/5xx per item, or endless conflicts)."""


def index_name():
    return f"{conf.get('ANALYTICS_ES_INDEX_PREFIX')}-plays"


def new_source(token, state: PlayState) -> dict:
    return {
        "play_id": token.play_id.hex,
        "kind": token.kind,
        "lesson_id": token.page_id,
        "series_id": token.series_id,
        "track": token.track,
        "day": token.day.isoformat(),
        "district": token.district,
        "school_id": token.school_id,
        "via": token.via,
        "day_viewer": token.day_viewer,
        "campaign_ids": [c for c, _ in token.campaigns],
        "campaign_viewers": [v for _, v in token.campaigns],
        "started_at": datetime.fromtimestamp(token.issued_at, tz=UTC).isoformat(),
        **{name: getattr(state, name) for name in MERGED_FIELDS},
        "dirty": True,
        "rolled_counted": False,
        "rolled_watched": 0,
        "rolled_completed": False,
    }


def state_of(source) -> PlayState:
    return PlayState(*(source[name] for name in MERGED_FIELDS))


def write_actions(index, found_docs, pending) -> list[dict]:
    """Bulk actions merging `pending` ({id: (token, state)}) into the documents `mget` found:
    create for a new play, a conditional index for an existing one, nothing if it is unchanged."""
    actions = []
    for doc in found_docs:
        token, state = pending[doc["_id"]]
        if not doc.get("found"):
            actions.append(
                {
                    "_op_type": "create",
                    "_index": index,
                    "_id": doc["_id"],
                    "_source": new_source(token, state),
                }
            )
            continue
        source = doc["_source"]
        current = state_of(source)
        merged = current.merge(state)
        if merged == current:
            continue  # a duplicate or an older snapshot: nothing to write
        actions.append(
            {
                "_op_type": "index",
                "_index": index,
                "_id": doc["_id"],
                "if_seq_no": doc["_seq_no"],
                "if_primary_term": doc["_primary_term"],
                "_source": {
                    **source,
                    **{name: getattr(merged, name) for name in MERGED_FIELDS},
                    "dirty": True,
                },
            }
        )
    return actions


def conflicted_ids(errors) -> list[str]:
    """The ids to merge again (written meanwhile: 409) among a bulk's failed items; raises for
    anything else: TemporarilyRefused (retry later) or ValueError (a refused document)."""
    conflicted = []
    for error in errors:
        item = next(iter(error.values()))
        status = item.get("status", 0)
        if status == 409:
            conflicted.append(item["_id"])
        elif status == 429 or status >= 500:
            raise TemporarilyRefused(f"Elasticsearch 暂时拒绝写入：{item.get('error')}")
        else:
            raise ValueError(f"Elasticsearch 拒绝了播放记录：{item.get('error')}")
    return conflicted


def dirty_search(index, size) -> Search:
    """The documents a rollup must look at."""
    return (
        Search(index=index)
        .filter("term", dirty=True)
        .sort("_doc")
        .extra(size=size, track_total_hits=False)
    )


def mark_actions(index, outbox_rows) -> list[dict]:
    return [
        {
            "_op_type": "update",
            "_index": index,
            "_id": row["play_id"],
            "retry_on_conflict": 5,
            "script": {
                "source": MARK_ROLLED,
                "lang": "painless",
                "params": {
                    "rc": row["rolled_counted"],
                    "rw": row["rolled_watched"],
                    "rf": row["rolled_completed"],
                    "forget": row["forget_viewers"],
                    "w": row["watched_s"],
                    "c": row["counted"],
                    "f": row["completed"],
                },
            },
        }
        for row in outbox_rows
    ]


def raw_play(doc_id, source) -> rollups.RawPlay:
    return rollups.RawPlay(
        doc_id,
        date.fromisoformat(source["day"]),
        tuple(
            zip(source.get("campaign_ids") or (), source.get("campaign_viewers") or (), strict=True)
        ),
        source["district"],
        source["school_id"],
        source["track"],
        source["series_id"],
        source["lesson_id"],
        source["day_viewer"],
        source["watched_s"],
        source["counted"],
        source["completed"],
        source["rolled_counted"],
        source["rolled_watched"],
        source["rolled_completed"],
    )


OUTBOX_FIELDS = [
    "play_id",
    "rolled_counted",
    "rolled_watched",
    "rolled_completed",
    "forget_viewers",
    "watched_s",
    "counted",
    "completed",
]


class ElasticsearchStore(tables.RollupTablesMixin, AnalyticsStore):
    name = "elasticsearch"

    def __init__(self, client=None, index=None, alias=None):
        self._client = client
        self._index = index
        self._alias = alias  # the SQL database of the rollup tables
        self._index_ready = False

    @property
    def client(self):
        if self._client is None:
            self._client = Elasticsearch(conf.get("ELASTICSEARCH_URL"), request_timeout=10)
        return self._client

    @property
    def index(self):
        return self._index or index_name()

    @property
    def alias(self):
        return self._alias or conf.get("ANALYTICS_DB_ALIAS")

    def is_unavailable(self, error):
        if isinstance(error, (TransportError, ConnectionError, TemporarilyRefused)):
            return True
        if isinstance(error, ApiError):
            return error.meta.status == 429 or error.meta.status >= 500
        return super().is_unavailable(error)

    def ensure_index(self):
        """Creates the index with its strict mapping, once per process."""
        if self._index_ready:
            return
        if not self.client.indices.exists(index=self.index):
            PlayDocument.init(index=self.index, using=self.client)
        self._index_ready = True

    # --- ingestion ---------------------------------------------------------------------

    def ingest(self, beats) -> int:
        merged = protocol.merge_beats(beats)
        if not merged:
            return 0
        self.ensure_index()
        pending = {play_id.hex: pair for play_id, pair in merged.items()}
        for _attempt in range(WRITE_ATTEMPTS):
            found = self.client.mget(index=self.index, ids=list(pending))["docs"]
            actions = write_actions(self.index, found, pending)
            if not actions:
                return len(merged)
            _ok, errors = helpers.bulk(self.client, actions, raise_on_error=False)
            pending = {play_id: pending[play_id] for play_id in conflicted_ids(errors)}
            if not pending:
                return len(merged)
        raise TemporarilyRefused(f"{len(pending)} 条播放记录反复发生写入冲突")

    # --- rollups -----------------------------------------------------------------------

    def flush(self) -> int:
        self.ensure_index()
        return self._roll_up_everything()

    def _rollup_batch(self, batch) -> int:
        alias = self.alias
        with sqlite_writer(connections[alias]), transaction.atomic(using=alias):
            tables.lock(alias)  # one rollup at a time, also across the outbox
            self._apply_outbox()
            self.client.indices.refresh(index=self.index)
            response = self.client.search(
                index=self.index, **dirty_search(self.index, batch).to_dict()
            )
            plays = [raw_play(hit["_id"], hit["_source"]) for hit in response["hits"]["hits"]]
            if not plays:
                return 0
            result = tables.roll_up_plays(alias, plays)
            RollupOutbox.objects.using(alias).bulk_create(
                RollupOutbox(
                    play_id=r.ref,
                    rolled_counted=r.rolled_counted,
                    rolled_watched=r.rolled_watched,
                    rolled_completed=r.rolled_completed,
                    forget_viewers=r.forget_viewers,
                    watched_s=r.watched_s,
                    counted=r.counted,
                    completed=r.completed,
                )
                for r in result.plays
            )
        with transaction.atomic(using=alias):
            self._apply_outbox()
        return len(plays)

    def _apply_outbox(self):
        outbox = RollupOutbox.objects.using(self.alias)
        rows = list(outbox.values(*OUTBOX_FIELDS))
        if not rows:
            return
        _ok, errors = helpers.bulk(
            self.client, mark_actions(self.index, rows), raise_on_error=False, refresh=True
        )
        failed = [e for e in errors if next(iter(e.values())).get("status") != 404]
        if failed:  # 404: retention deleted the document meanwhile
            raise TemporarilyRefused(f"无法标记已汇总的播放记录：{failed[:1]}")
        outbox.filter(play_id__in=[row["play_id"] for row in rows]).delete()

    # --- retention (reports and counters: tables.RollupTablesMixin) ----------------------

    def delete_plays_before(self, day) -> int:
        self.flush()  # nothing may be deleted before it is in the rollups
        result = self.client.delete_by_query(
            index=self.index,
            query={
                "bool": {
                    "filter": [
                        {"range": {"day": {"lt": day.isoformat()}}},
                        {"term": {"dirty": False}},
                    ]
                }
            },
            refresh=True,
            conflicts="proceed",
        )
        return result.get("deleted", 0)

    def forget_viewers(self, *, days=(), campaign_ids=(), days_before=None):
        # The viewer tables are the SQL ones; the documents' pseudonyms are erased once counted
        # and go with the documents at the end of the retention window.
        tables.forget_viewers(
            self.alias, days=days, campaign_ids=campaign_ids, days_before=days_before
        )
