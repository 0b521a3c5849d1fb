"""The Elasticsearch backend: index settings, mappings and queries are checked without a server;
the live tests at the end run only when ELASTICSEARCH_URL points at one (they are skipped, not
passed, otherwise)."""

import os
import uuid

import elasticsearch
import pytest
from modelsearch.backends.elasticsearch8 import Elasticsearch8SearchBackend
from modelsearch.query import Phrase
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.utils import parse_query_string

from courses.models import LessonPage

from .conftest import make_lesson

BACKEND = "sunshine.search.backends.elasticsearch"


def es_backend(**params):
    # The same options sunshine.settings passes when ELASTICSEARCH_URL is set. Building the
    # client does not connect.
    options = {"URLS": ["http://127.0.0.1:9"], "INDEX": "sunshine", "TIMEOUT": 10}
    options.update(params)
    return get_search_backend(BACKEND, **options)


def analysis():
    return es_backend().settings["settings"]["analysis"]


def test_the_backend_matches_the_installed_client_major_version():
    assert elasticsearch.VERSION[0] == 8
    assert isinstance(es_backend(), Elasticsearch8SearchBackend)


def test_text_is_indexed_as_cjk_bigrams_and_single_characters():
    default = analysis()["analyzer"]["default"]
    assert default["tokenizer"] == "standard"
    assert default["filter"] == ["cjk_width", "lowercase", "cjk_bigram_and_unigrams"]
    assert analysis()["filter"]["cjk_bigram_and_unigrams"] == {
        "type": "cjk_bigram",
        "output_unigrams": True,
    }


def test_queries_are_analysed_as_bigrams_only():
    assert analysis()["analyzer"]["default_search"]["filter"] == [
        "cjk_width",
        "lowercase",
        "cjk_bigram",
    ]


def test_only_built_in_analysis_parts_are_used():
    built_in_tokenizers = {"standard"}
    built_in_filters = {"cjk_width", "lowercase", "cjk_bigram", "asciifolding"}
    defined_filters = set(analysis()["filter"])
    for analyzer in analysis()["analyzer"].values():
        assert analyzer["tokenizer"] in built_in_tokenizers
        assert set(analyzer["filter"]) <= built_in_filters | defined_filters


def test_wagtails_own_analysis_settings_are_kept():
    assert "ngram_analyzer" in analysis()["analyzer"]
    assert es_backend().settings["settings"]["index"]["max_ngram_diff"] == 12


def test_autocomplete_fields_index_cjk_and_search_with_bigrams():
    mapping = es_backend().mapping_class(LessonPage).get_mapping()["properties"]
    assert mapping["_edgengrams"]["analyzer"] == "edgengram_analyzer"
    assert mapping["_edgengrams"]["search_analyzer"] == "cjk_search"
    edgengram = analysis()["analyzer"]["edgengram_analyzer"]
    assert "cjk_bigram_and_unigrams" in edgengram["filter"]
    assert edgengram["filter"][-1] == "edgengram"


def test_search_fields_use_the_index_default_analyzer():
    mapping = es_backend().mapping_class(LessonPage).get_mapping()["properties"]
    summary = mapping["courses_lessonpage__summary"]
    assert summary["type"] == "text"
    assert "analyzer" not in summary  # so the CJK "default" analyzer applies
    assert "_all_text" in summary["copy_to"]


def test_the_index_prefix_from_settings_names_the_indexes():
    assert es_backend().get_index_for_model(LessonPage).name == "sunshine_wagtailcore_page"
    assert es_backend(INDEX="x_").get_index_for_model(LessonPage).name == "x_wagtailcore_page"


@pytest.mark.django_db
def test_a_search_requires_every_bigram_of_the_query():
    results = es_backend().search("考试焦虑", Page.objects.live())
    query = results.query_compiler.get_query()
    match = query["bool"]["must"]["multi_match"]
    assert match["query"] == "考试焦虑"
    assert match["operator"] == "and"
    assert "_all_text" in match["fields"]
    assert {"term": {"live_filter": True}} in query["bool"]["filter"]


@pytest.mark.django_db
def test_a_phrase_is_searched_as_a_phrase():
    # match_phrase keeps order and adjacency; the bigrams of the search analyzer sit at
    # consecutive positions, like the index's bigrams.
    results = es_backend().search(Phrase("考试 焦虑"), Page.objects.live())
    match = results.query_compiler.get_query()["bool"]["must"]["multi_match"]
    assert match["type"] == "phrase"
    assert match["query"] == "考试 焦虑"
    assert "_all_text" in match["fields"]
    one_field = es_backend().search(Phrase("考试 焦虑"), Page, fields=["title"])
    assert one_field.query_compiler.get_inner_query() == {
        "match_phrase": {"title": {"query": "考试 焦虑", "boost": 2}}
    }


@pytest.mark.django_db
def test_quoted_words_in_the_search_box_become_a_match_phrase():
    _filters, query = parse_query_string('训练 "ADHD 注意力"', operator="and")
    inner = es_backend().search(query, Page, fields=["title"]).query_compiler.get_inner_query()
    assert {"match_phrase": {"title": {"query": "ADHD 注意力", "boost": 2}}} in inner["bool"][
        "must"
    ]


@pytest.mark.django_db
def test_the_admin_autocomplete_searches_the_edgengram_field_with_and():
    results = es_backend().autocomplete("考试焦", Page)
    inner = results.query_compiler.get_inner_query()
    assert inner == {"match": {"_edgengrams": {"query": "考试焦", "operator": "and"}}}


ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL")
live = pytest.mark.skipif(
    not ELASTICSEARCH_URL,
    reason="ELASTICSEARCH_URL is not set: live Elasticsearch tests not run (not a pass)",
)


@pytest.fixture
def live_backend():
    backend = es_backend(URLS=[ELASTICSEARCH_URL], INDEX=f"test_search_{uuid.uuid4().hex[:8]}")
    index = backend.get_index_for_model(LessonPage)
    index.reset()
    yield backend
    index.delete()


@live
def test_live_the_analyzer_splits_chinese_into_bigrams(live_backend):
    index = live_backend.get_index_for_model(LessonPage)
    index.add_model(LessonPage)
    tokens = live_backend.es.indices.analyze(
        index=index.name, analyzer="default_search", text="如何应对考试焦虑情绪，ADHD！"
    )["tokens"]
    assert [token["token"] for token in tokens] == [
        "如何",
        "何应",
        "应对",
        "对考",
        "考试",
        "试焦",
        "焦虑",
        "虑情",
        "情绪",
        "adhd",
    ]


@live
@pytest.mark.django_db
@pytest.mark.parametrize("query", ["焦虑", "考试焦虑", "虑", "ADHD", "“焦虑”？"])
def test_live_a_word_inside_a_chinese_run_is_found(live_backend, series, query):
    lesson = make_lesson(series, "如何应对考试焦虑情绪", summary="ADHD与专注")
    other = make_lesson(series, "睡个好觉", summary="早睡早起")
    index = live_backend.get_index_for_model(LessonPage)
    index.add_model(LessonPage)
    index.add_items(LessonPage, [lesson, other])
    index.refresh()
    assert [page.pk for page in live_backend.search(query, LessonPage)] == [lesson.pk]
