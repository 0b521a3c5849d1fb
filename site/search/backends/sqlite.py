"""Wagtail's SQLite (FTS5) search backend over segmented tokens (see .database)."""

from django.db.models import Case, FloatField, TextField, Value, When
from django.db.models.functions import Cast
from django.utils.functional import cached_property
from modelsearch.backends.database.sqlite import sqlite
from modelsearch.backends.database.sqlite.query import (
    BM25,
    CombinedLexeme,
    Lexeme,
    MatchExpression,
    SearchQueryExpression,
    normalize,
)
from modelsearch.conf import get_app_config
from modelsearch.query import MatchAll, Not, Phrase, PlainText
from modelsearch.utils import get_content_type_pk, get_descendants_content_types_pks

from sunshine.search.backends.query import (
    SegmentedQueryMixin,
    combine_lexemes,
    combine_phrase,
)
from sunshine.search.tokens import segment

IndexEntry = get_app_config().get_model("IndexEntry")
SQLiteFTSIndexEntry = get_app_config().get_model("SQLiteFTSIndexEntry")

# bm25() weights for the FTS5 table's columns, in its declared order (autocomplete, body, title).
# Title hits count ten times as much as body hits when ranking among themselves.
SQLITE_COLUMN_WEIGHTS = (1.0, 1.0, 10.0)
# Added to the score of a page whose title matches, so that title hits always rank first.
TITLE_HIT_BONUS = -1000.0


class ChineseSQLiteObjectIndexer(sqlite.ObjectIndexer):
    @cached_property
    def title(self):
        return segment(super().title)

    @cached_property
    def body(self):
        return segment(super().body)

    @cached_property
    def autocomplete(self):
        return segment(super().autocomplete)


class ChineseSQLiteIndex(sqlite.SQLiteIndex):
    def add_items(self, model, objs):
        # As upstream's SQLiteIndex.add_items (modelsearch 1.3), with our indexer.
        if not model.get_search_fields():
            return
        indexers = [ChineseSQLiteObjectIndexer(obj, self.backend) for obj in objs]
        if not indexers:
            return
        content_type_pk = get_content_type_pk(model)
        data = {
            indexer.id: {
                "title": indexer.title,
                "autocomplete": indexer.autocomplete,
                "body": indexer.body,
            }
            for indexer in indexers
        }
        entries = self.entries.filter(content_type_id=content_type_pk)
        indexed_ids = set(entries.filter(object_id__in=data).values_list("object_id", flat=True))
        for object_id in indexed_ids:
            entries.filter(object_id=object_id).update(**data[object_id])
        self.entries.bulk_create(
            IndexEntry(content_type_id=content_type_pk, object_id=object_id, **values)
            for object_id, values in data.items()
            if object_id not in indexed_ids
        )
        self._refresh_title_norms()


class WeightedBM25(BM25):
    def as_sql(self, compiler, connection, function=None, template=None):
        weights = ", ".join(str(weight) for weight in SQLITE_COLUMN_WEIGHTS)
        return f"bm25({SQLiteFTSIndexEntry._meta.db_table}, {weights})", []


class _SQLiteSegmentedMixin(SegmentedQueryMixin):
    def build_search_query_content(self, query, config=None):
        if isinstance(query, PlainText):
            lexemes = combine_lexemes(Lexeme, query, self.LAST_TERM_IS_PREFIX)
            return SearchQueryExpression(lexemes, config=config)
        if isinstance(query, Phrase):
            # FTS5's `"a" + "b"*`: b right after a. Upstream quotes the whole phrase, which
            # cannot mark a lone character as a prefix.
            lexemes = combine_phrase(Lexeme, CombinedLexeme, "+", query, self.LAST_TERM_IS_PREFIX)
            return SearchQueryExpression(lexemes, config=config)
        return super().build_search_query_content(query, config=config)

    def ranked_object_ids(self, config, start, stop):
        """[(object_id, score)] of the matches from start to stop, best first, from one pass
        over the full-text index; None where upstream's search() should run instead.

        Upstream annotates every matching object with a correlated subquery that runs the
        full-text MATCH again, which grows with the square of the matches (measured: a common
        word over 1,500 pages took seconds). Ranking the index rows themselves is one pass.
        """
        query = normalize(self.query)
        if isinstance(query, MatchAll | Not) or not self.order_by_relevance:
            return None
        match = MatchExpression(
            self.fields or self.FTS_TABLE_FIELDS, self.build_search_query(query, config=config)
        )
        object_ids = self.queryset.order_by().annotate(_object_id=Cast("pk", TextField()))
        entries = (
            SQLiteFTSIndexEntry.objects.filter(match)
            .filter(
                index_entry__content_type__in=get_descendants_content_types_pks(
                    self.queryset.model
                ),
                index_entry__object_id__in=object_ids.values("_object_id"),
            )
            .annotate(score=self._build_rank_expression(self.get_search_vectors(), config))
            .order_by("score", "-index_entry_id")
            .values_list("index_entry__object_id", "score")
        )
        return list(entries[start:stop])


class ChineseSQLiteSearchQueryCompiler(_SQLiteSegmentedMixin, sqlite.SQLiteSearchQueryCompiler):
    def build_tsrank(self, vector, query, config=None, boost=1.0):
        if isinstance(query, Phrase | PlainText | Not):
            return WeightedBM25() * boost if boost != 1.0 else WeightedBM25()
        return super().build_tsrank(vector, query, config=config, boost=boost)

    def get_index_vectors(self):
        # One weighted bm25() over the row scores title and body hits; upstream adds the same
        # unweighted bm25() twice (once scaled by title_norm), which ignores where the hit is.
        return [(None, 1.0)]

    def _build_rank_expression(self, vectors, config):
        # bm25() divides by the whole row's length, so a long transcript can sink a page whose
        # title matches below a short page that only mentions the word: add a fixed bonus for a
        # title hit (bm25 scores are negative, lower ranks first).
        rank = super()._build_rank_expression(vectors, config)
        query = normalize(self.query)
        if isinstance(query, MatchAll | Not) or "title" not in (self.fields or ["title"]):
            return rank
        # Not correlated: SQLite runs the title MATCH once, not once per matching row.
        title_hits = SQLiteFTSIndexEntry.objects.filter(
            MatchExpression(["title"], self.build_search_query(query, config=config))
        ).values("index_entry")
        return rank + Case(
            When(index_entry__in=title_hits, then=Value(TITLE_HIT_BONUS)),
            default=Value(0.0),
            output_field=FloatField(),
        )


class ChineseSQLiteAutocompleteQueryCompiler(
    _SQLiteSegmentedMixin, sqlite.SQLiteAutocompleteQueryCompiler
):
    pass


class ChineseSQLiteSearchResults(sqlite.SQLiteSearchResults):
    # Fetch this many objects per query when a whole (unsliced) result set is listed.
    FETCH_CHUNK = 500

    def _do_search(self):
        compiler = self.query_compiler
        ranked = compiler.ranked_object_ids(
            compiler.get_config(self.backend), self.start, self.stop
        )
        if ranked is None:
            return super()._do_search()
        found = {}
        object_ids = [object_id for object_id, _score in ranked]
        for first in range(0, len(object_ids), self.FETCH_CHUNK):
            chunk = object_ids[first : first + self.FETCH_CHUNK]
            found.update((str(obj.pk), obj) for obj in compiler.queryset.filter(pk__in=chunk))
        results = []
        for object_id, score in ranked:
            obj = found.get(object_id)
            if obj is not None:
                if self._score_field:
                    setattr(obj, self._score_field, score)
                results.append(obj)
        return results

    def _do_count(self):
        if self.start or self.stop is not None:
            return len(self.results())
        return super()._do_count()


class ChineseSQLiteSearchBackend(sqlite.SQLiteSearchBackend):
    results_class = ChineseSQLiteSearchResults
    index_class = ChineseSQLiteIndex
    query_compiler_class = ChineseSQLiteSearchQueryCompiler
    autocomplete_query_compiler_class = ChineseSQLiteAutocompleteQueryCompiler
