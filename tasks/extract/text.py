"""Small text helpers shared by the extractor modules."""

from __future__ import annotations

import re
import unicodedata
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
