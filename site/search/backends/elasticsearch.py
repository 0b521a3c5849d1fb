"""Wagtail's Elasticsearch 8 backend with analyzers that split Chinese.

Elasticsearch's standard analyzer cuts Chinese into single characters, so 焦虑 would match any
page holding 焦 and 虑 anywhere. Here every text field is indexed with the built-in `cjk_bigram`
filter (no plugin needed): overlapping two-character tokens plus the single characters, and
searched with bigrams only, so a two-character word must occur as written while a
one-character query still finds its character. `cjk_width` folds full-width letters and digits.

The installed client is elasticsearch-py 8, so this builds on Elasticsearch8SearchBackend.
"""

from copy import deepcopy

from modelsearch.backends.elasticsearch8 import (
    Elasticsearch8AutocompleteQueryCompiler,
    Elasticsearch8Mapping,
    Elasticsearch8SearchBackend,
    Elasticsearch8SearchQueryCompiler,
)
from modelsearch.utils import deep_update

INDEX_FILTERS = ["cjk_width", "lowercase", "cjk_bigram_and_unigrams"]
SEARCH_FILTERS = ["cjk_width", "lowercase", "cjk_bigram"]

CJK_INDEX_SETTINGS = {
    "settings": {
        "analysis": {
            "filter": {
                "cjk_bigram_and_unigrams": {"type": "cjk_bigram", "output_unigrams": True},
            },
            "analyzer": {
                # "default" and "default_search" apply to every text field that names no
                # analyzer of its own: all SearchFields and the _all_text catch-alls.
                "default": {"type": "custom", "tokenizer": "standard", "filter": INDEX_FILTERS},
                "default_search": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": SEARCH_FILTERS,
                },
                "cjk_search": {"type": "custom", "tokenizer": "standard", "filter": SEARCH_FILTERS},
                # Autocomplete (the admin's page search): prefixes of Latin words as before,
                # Chinese as bigrams and single characters.
                "edgengram_analyzer": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["asciifolding", *INDEX_FILTERS, "edgengram"],
                },
            },
        }
    }
}


class ChineseElasticsearchMapping(Elasticsearch8Mapping):
    edgengram_analyzer_config = {
        "analyzer": "edgengram_analyzer",
        "search_analyzer": "cjk_search",
    }


class ChineseElasticsearchSearchQueryCompiler(Elasticsearch8SearchQueryCompiler):
    mapping_class = ChineseElasticsearchMapping
    # Every bigram of the query must match, as on the database backends; with "or", 考试焦虑
    # would match any page mentioning 考试.
    DEFAULT_OPERATOR = "and"


class ChineseElasticsearchAutocompleteQueryCompiler(Elasticsearch8AutocompleteQueryCompiler):
    mapping_class = ChineseElasticsearchMapping
    DEFAULT_OPERATOR = "and"


class ChineseElasticsearchSearchBackend(Elasticsearch8SearchBackend):
    mapping_class = ChineseElasticsearchMapping
    query_compiler_class = ChineseElasticsearchSearchQueryCompiler
    autocomplete_query_compiler_class = ChineseElasticsearchAutocompleteQueryCompiler
    settings = deep_update(deepcopy(Elasticsearch8SearchBackend.settings), CJK_INDEX_SETTINGS)

    def __init__(self, params):
        # sunshine.settings names the index prefix INDEX; Wagtail's option is INDEX_PREFIX.
        if "INDEX" in params:
            prefix = params.pop("INDEX")
            params.setdefault("INDEX_PREFIX", prefix if prefix.endswith("_") else prefix + "_")
        super().__init__(params)


SearchBackend = ChineseElasticsearchSearchBackend
