"""Rewrites a search query into the tokens the database index holds (see sunshine.search.tokens)."""

from modelsearch.query import MATCH_NONE, And, Boost, Not, Or, Phrase, PlainText

from sunshine.search.tokens import index_tokens, is_single_cjk, query_tokens


def _plain_text(text, operator, boost):
    if operator == "or":
        # "考试 焦虑" with OR means either word, but the bigrams of one word must all match.
        words = [" ".join(query_tokens(word)) for word in text.split()]
        words = [PlainText(word, "and", boost) for word in words if word]
        if len(words) > 1:
            return Or(words)
        return words[0] if words else None
    tokens = query_tokens(text)
    return PlainText(" ".join(tokens), "and", boost) if tokens else None


def segment_query(query):
    """The same query over segmented tokens; None where nothing searchable is left.

    Parts with no letters or digits ("？！") are dropped. A phrase keeps the tokens exactly as the
    index lays its text out (bigrams, then each CJK run's last character), so the backends can ask
    for them in order and side by side; see combine_phrase.
    """
    if isinstance(query, PlainText):
        return _plain_text(query.query_string, query.operator, query.boost)
    if isinstance(query, Phrase):
        tokens = index_tokens(query.query_string)
        return Phrase(" ".join(tokens)) if tokens else None
    if isinstance(query, Boost):
        subquery = segment_query(query.subquery)
        return Boost(subquery, query.boost) if subquery else None
    if isinstance(query, Not):
        subquery = segment_query(query.subquery)
        return Not(subquery) if subquery else None
    if isinstance(query, And | Or):
        subqueries = [segment_query(subquery) for subquery in query.subqueries]
        subqueries = [subquery for subquery in subqueries if subquery]
        return type(query)(subqueries) if subqueries else None
    # MatchAll, and Fuzzy (trigram similarity on the raw text, PostgreSQL only), pass through.
    return query


class SegmentedQueryMixin:
    """For a query compiler: searches the segmented tokens; a query with nothing searchable in it
    matches nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.query = segment_query(self.query) or MATCH_NONE


def combine_lexemes(lexeme_class, query, last_term_is_prefix, **kwargs):
    """Combine the (already segmented) terms of a PlainText into lexemes. A lone CJK character
    is matched as a prefix, since the index holds two-character tokens."""
    terms = query.query_string.split()
    combined = None
    for position, term in enumerate(terms, start=1):
        prefix = is_single_cjk(term) or (last_term_is_prefix and position == len(terms))
        lexeme = lexeme_class(term, prefix=prefix, **kwargs)
        if combined is None:
            combined = lexeme
        elif query.operator == "and":
            combined &= lexeme
        else:
            combined |= lexeme
    return combined


def combine_phrase(lexeme_class, combined_class, connector, query, last_term_is_prefix, **kwargs):
    """Join the (already segmented) tokens of a Phrase with the database's "next token" operator.

    The lone CJK characters are the runs' last characters, which the index holds only where a
    run ends: matched as a prefix, one also matches the bigram it starts where the text runs on,
    so "考试 焦虑" finds 考试焦虑 as well as 考试 焦虑, and "考试焦虑" finds 考试焦虑情绪.
    """
    combined = None
    terms = query.query_string.split()
    for position, term in enumerate(terms, start=1):
        prefix = is_single_cjk(term) or (last_term_is_prefix and position == len(terms))
        lexeme = lexeme_class(term, prefix=prefix, **kwargs)
        combined = lexeme if combined is None else combined_class(combined, connector, lexeme)
    return combined
