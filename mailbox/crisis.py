"""Recognising a letter that suggests suicide, self-harm, abuse or immediate danger.

A curated phrase list kept in the repository (crisis_phrases.json), not a model: counsellors can
read it, correct it and see in the tests why a sentence matched. The browser runs the same list
through static/mailbox/crisis.js before sending, so the help panel shows at once; the server
decides again on what it received (the browser may have no JavaScript).

Text is normalised first, so the usual ways of writing a phrase still match:
- full-width letters, digits and spaces become half-width (NFKC);
- spaces, zero-width characters and decorative separators between characters are removed
  ("想 死", "想·死");
- traditional characters of the listed phrases become simplified (殺 → 杀): a small table in the
  same file, not a general converter.
Everyday expressions that contain a phrase (笑死, 死记硬背, 狼人杀) are taken out before matching.
"""

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PHRASE_FILE = Path(__file__).with_name("crisis_phrases.json")
CATEGORY_LABELS = {
    "suicide": "自杀念头",
    "self_harm": "自我伤害",
    "abuse": "虐待或侵害",
    "danger": "人身危险",
}
# Removed between characters; sentence punctuation (，。！？) stays, so phrases do not form
# across sentences.
_SEPARATORS = re.compile(r"[\s\u200b-\u200d\u2060\ufeff·•・*_~\-—.…]+")
# What an exclusion is replaced with: not a character of any phrase, so nothing joins across it.
_CUT = "|"


@lru_cache(maxsize=1)
def phrase_data():
    return json.loads(PHRASE_FILE.read_text(encoding="utf-8"))


def browser_data():
    """What crisis.js needs, for `json_script` in the writing page: the same file, no copy."""
    data = phrase_data()
    return {key: data[key] for key in ("phrases", "exclusions", "traditional")}


def normalise(text: str) -> str:
    data = phrase_data()
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _SEPARATORS.sub("", text)
    return text.translate(str.maketrans(data["traditional"]))


@dataclass(frozen=True)
class Match:
    category: str
    phrase: str

    @property
    def label(self):
        return CATEGORY_LABELS[self.category]


def find(text: str) -> list[Match]:
    """The crisis phrases in `text`, in list order; empty if none."""
    data = phrase_data()
    cleaned = normalise(text)
    for exclusion in data["exclusions"]:
        cleaned = cleaned.replace(exclusion, _CUT)
    return [
        Match(category, phrase)
        for category, phrases in data["phrases"].items()
        for phrase in phrases
        if phrase in cleaned
    ]


def is_crisis(text: str) -> bool:
    return bool(find(text))
