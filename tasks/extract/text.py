"""Small text helpers shared by the extractor modules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_NON_KEY = re.compile(r"[^a-z0-9' \-]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, strip accents and odd punctuation: the key for dictionary lookups."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("\u2018", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _NON_KEY.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def name_key(text: str) -> str:
    """A place name reduced to its letters and digits: "North-West", "Northwest" and
    "north west" are one subdivision (the gazetteer's sources spell them differently)."""
    return _NON_ALNUM.sub("", fold(text))


_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_Trie = dict[str, "_Trie"]


def trie_alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words`` nested as a trie ("kill(?:ed|ing)?"): the engine
    then reads each letter once instead of trying every word at every position."""
    root: _Trie = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(node) if ch]
        if not alts:
            return ""
        if "" in node:
            return "(?:" + "|".join(alts) + ")?"
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return build(root)
