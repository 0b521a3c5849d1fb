"""Wagtail's PostgreSQL search backend over segmented tokens (see .database)."""

from django.contrib.postgres.search import SearchQuery
from django.db.models import F
from django.utils.functional import cached_property
from modelsearch.backends.database.postgres import postgres
from modelsearch.backends.database.postgres.query import CombinedLexeme, Lexeme
from modelsearch.conf import get_app_config
from modelsearch.index import SearchField
from modelsearch.query import Phrase, PlainText
from modelsearch.utils import get_content_type_pk

from sunshine.search.backends.query import (
    SegmentedQueryMixin,
    combine_lexemes,
    combine_phrase,
)
from sunshine.search.tokens import segment

IndexEntry = get_app_config().get_model("IndexEntry")


class ChinesePostgresObjectIndexer(postgres.ObjectIndexer):
    def as_vector(self, texts, for_autocomplete=False):
        # Only the tsvectors are segmented; title_text/body_text keep the raw text.
        texts = [(segment(text), weight) for text, weight in texts]
        return super().as_vector(texts, for_autocomplete=for_autocomplete)

    @cached_property
    def body(self):
        """Every SearchField, the title included (with its own, higher weight), so that one
        GIN-indexed vector answers a search; see ChinesePostgresSearchQueryCompiler."""
        texts = [
            (value, weight)
            for field in self.search_fields
            for current_field, weight, value in self.prepare_field(self.obj, field)
            if isinstance(current_field, SearchField)
        ]
        return self.as_vector(texts)


class ChinesePostgresIndex(postgres.PostgresIndex):
    def add_items(self, model, objs):
        # As upstream's PostgresIndex.add_items (modelsearch 1.3), with our indexer.
        if not model.get_search_fields():
            return
        indexers = [ChinesePostgresObjectIndexer(obj, self.backend) for obj in objs]
        if not indexers:
            return
        content_type_pk = get_content_type_pk(model)
        compiler = postgres.InsertQuery(IndexEntry).get_compiler(connection=self.write_connection)
        rows_sql = []
        params = []
        for indexer in indexers:
            params.extend((content_type_pk, indexer.id))
            vectors_sql = []
            for name in ("title", "autocomplete", "body"):
                field = IndexEntry._meta.get_field(name)
                value = compiler.prepare_value(field, getattr(indexer, name))
                sql, value_params = value.as_sql(compiler, self.write_connection)
                vectors_sql.append(sql)
                params.extend(value_params)
            params.extend((indexer.title_text, indexer.body_text))
            rows_sql.append(f"(%s, %s, {', '.join(vectors_sql)}, 1.0, %s, %s)")
        with self.write_connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {IndexEntry._meta.db_table} (content_type_id, object_id, title,
                    autocomplete, body, title_norm, title_text, body_text)
                (VALUES {", ".join(rows_sql)})
                ON CONFLICT (content_type_id, object_id)
                DO UPDATE SET title = EXCLUDED.title,
                              title_norm = 1.0,
                              autocomplete = EXCLUDED.autocomplete,
                              body = EXCLUDED.body,
                              title_text = EXCLUDED.title_text,
                              body_text = EXCLUDED.body_text
                """,
                params,
            )
        self._refresh_title_norms()


class _PostgresSegmentedMixin(SegmentedQueryMixin):
    def build_tsquery_content(self, query, config=None, invert=False):
        if isinstance(query, PlainText):
            if invert:
                # A page lacks a word when it lacks any one of the word's bigrams:
                # NOT (a AND b) == (NOT a) OR (NOT b).
                query = PlainText(query.query_string, "or" if query.operator == "and" else "and")
            lexemes = combine_lexemes(Lexeme, query, self.LAST_TERM_IS_PREFIX, invert=invert)
            return SearchQuery(lexemes, search_type="raw", config=config)
        if isinstance(query, Phrase):
            # `a <-> b:*`: b right after a. Upstream's phraseto_tsquery cannot mark a lone
            # character as a prefix, and ignores invert.
            lexemes = combine_phrase(Lexeme, CombinedLexeme, "<->", query, self.LAST_TERM_IS_PREFIX)
            return SearchQuery(lexemes, search_type="raw", config=config, invert=invert)
        return super().build_tsquery_content(query, config=config, invert=invert)


class ChinesePostgresSearchQueryCompiler(
    _PostgresSegmentedMixin, postgres.PostgresSearchQueryCompiler
):
    def get_index_vectors(self, search_query):
        # Upstream matches `title || body`, which PostgreSQL must build for every row (no index
        # applies) and which grows large with bigrams. Our body vector holds the title too, so
        # `body @@ query` can use its GIN index; ts_rank still ranks title hits first, through
        # the title's weight.
        return [(F("index_entries__body"), 1.0)]


class ChinesePostgresAutocompleteQueryCompiler(
    _PostgresSegmentedMixin, postgres.PostgresAutocompleteQueryCompiler
):
    pass


class ChinesePostgresSearchBackend(postgres.PostgresSearchBackend):
    index_class = ChinesePostgresIndex
    query_compiler_class = ChinesePostgresSearchQueryCompiler
    autocomplete_query_compiler_class = ChinesePostgresAutocompleteQueryCompiler

    def __init__(self, params):
        # 'simple': no English stemming or stop words, which would drop "IT" from "IT时代".
        params.setdefault("SEARCH_CONFIG", "simple")
        super().__init__(params)
