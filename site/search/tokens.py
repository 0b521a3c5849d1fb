"""Chinese-aware tokens for the database search backends.

SQLite FTS5 (unicode61) and PostgreSQL's text parser both treat a run of Chinese characters as
one word, so 焦虑 is not found in 如何应对考试焦虑情绪. We hand them text that is already split:
every run of CJK characters becomes its overlapping two-character pieces (考试 试焦 焦虑 虑情
情绪), plus the run's last character, so that any character of the run starts exactly one token
and a one-character query can match as a prefix. Other letters and digits stay whole words.
Punctuation and symbols (full-width ones included) are dropped.

Bigrams rather than jieba words: any two-character word is found wherever it occurs, no
dictionary is loaded, and the index and the query are split identically. The evidence is in
benchmarks/bench_search.py.
"""

import re
import unicodedata

# Han (with extensions A-G and compatibility ideographs), 〇, kana and hangul: scripts written
# without spaces between words.
_CJK = (
    "\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
_TOKEN_RE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_CJK}]+)")

# PostgreSQL ignores words over 2047 bytes; nobody searches for one. Cut them so the index and
# the query agree.
MAX_WORD_CHARS = 64


def normalize(text):
    # NFKC folds full-width letters, digits and punctuation (ＡＩ，２０２３) into their usual forms.
    return unicodedata.normalize("NFKC", text).casefold()


def _bigrams(run):
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_tokens(text):
    """The tokens stored for a piece of text."""
    tokens = []
    for match in _TOKEN_RE.finditer(normalize(text)):
        run = match.group("cjk")
        if run:
            tokens.extend(_bigrams(run))
            tokens.append(run[-1])
        else:
            tokens.append(match.group("word")[:MAX_WORD_CHARS])
    return tokens


def query_tokens(text):
    """The tokens a query must match: bigrams of each CJK run, or the lone character."""
    tokens = []
    for match in _TOKEN_RE.finditer(normalize(text)):
        run = match.group("cjk")
        if run:
            tokens.extend(_bigrams(run) if len(run) > 1 else [run])
        else:
            tokens.append(match.group("word")[:MAX_WORD_CHARS])
    # A repeated token adds nothing to an AND query.
    return list(dict.fromkeys(tokens))


def segment(text):
    """Text as the database backends should index it: tokens separated by spaces."""
    return " ".join(index_tokens(text))


def is_single_cjk(token):
    """A one-character CJK token: matched as a prefix, since the index holds bigrams."""
    return len(token) == 1 and _TOKEN_RE.fullmatch(token).group("cjk") is not None
