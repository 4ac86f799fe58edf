"""Near-duplicate articles: MinHash signatures over word shingles, LSH band keys, the check.

Articles are content-addressed, so only byte-identical texts are one article. A
syndicated copy of a wire story (a new headline, an agency credit, a trailing
paragraph, a few words edited) is a new text, and without this stage its events would
count as reports of their own. Each article gets a MinHash signature of its word
shingles and the LSH band keys of that signature (datasketch); the warehouse looks up
stored articles sharing a band with a new one (a look-up per key through an index,
never a scan of band rows or signatures) and hands their signatures to
`near_duplicates`, which decides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

Row = dict[str, Any]

# Permutations: the estimate of a Jaccard similarity J has a standard error of
# sqrt(J(1-J)/128), 0.035 at J = 0.8, small next to the gap between copies and distinct
# stories; 128 unsigned 32-bit values (512 bytes) per article.
NUM_PERM = 128
# Words per shingle: one edited word changes at most three shingles, so a few edits
# keep a long copy above the threshold, while two stories on one topic share only their
# stock phrases ("police said on", "in the state of") as three-word runs.
SHINGLE_WORDS = 3
# Two texts are one article's text at an estimated Jaccard similarity of their
# shingles of 0.8 or more: a 200-word wire copy with a new headline, a credit line or a
# trailing paragraph of a fifth of its length stays above it, two reports of one event
# by two outlets (even sharing a boilerplate footer) stay far below (tests/ fixtures).
THRESHOLD = 0.8
# LSH bands x rows (120 of the 128 values): a pair at J = 0.8 shares a band with
# probability 1 - (1 - 0.8^6)^20 = 0.998, at J = 0.5 with 0.27, at J = 0.3 with 0.014.
# Chosen for recall (datasketch's balanced choice, 9 x 13, misses 60% of pairs at 0.8):
# a candidate costs one comparison of 128 integers, a missed copy a double count.
BANDS = 20
ROWS = 6
# The scheme and seed the signatures are made with (explicit, so an upgrade of
# datasketch cannot silently change stored signatures). Band keys carry this tag, so
# signatures made with other settings are never candidates of new ones.
SCHEME = "affine32"
SEED = 1
TAG = f"mh{NUM_PERM}s{SHINGLE_WORDS}b{BANDS}r{ROWS}"

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Signature:
    """An article's MinHash values and the LSH band keys they fall in."""

    minhash: list[int]
    bands: list[str]


def shingles(text: str) -> set[bytes]:
    """The text's runs of `SHINGLE_WORDS` lower-cased words (a shorter text: all of it)."""
    words = _WORD.findall(text.lower())
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")} if words else {text.encode("utf-8")}
    runs = zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)
    return {" ".join(run).encode("utf-8") for run in runs}


def _minhash(values: Sequence[int] | None = None) -> MinHash:
    if values is None:
        return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    hashvalues = np.asarray(values, dtype=np.uint64)
    return MinHash(seed=SEED, scheme=SCHEME, hashvalues=hashvalues)


def signature(text: str) -> Signature:
    """The text's MinHash signature and its band keys (`TAG`, band number, its values)."""
    m = _minhash()
    m.update_batch(sorted(shingles(text)))
    values = m.hashvalues.astype(np.uint32)
    bands = [
        f"{TAG}:{i:02d}:{values[i * ROWS : (i + 1) * ROWS].tobytes().hex()}" for i in range(BANDS)
    ]
    return Signature([int(v) for v in values], bands)


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets."""
    return float(_minhash(a).jaccard(_minhash(b)))


def near_duplicates(new: list[Row], candidates: list[Row]) -> list[Row]:
    """Which new articles repeat a candidate's (or an earlier new article's) text.

    `new` holds the batch's new articles in order and `candidates` the stored
    articles sharing a band with one of them, each as `article_id` and `minhash`.
    A new article whose estimated similarity to one of them reaches `THRESHOLD` is
    a near-duplicate of the most similar (the lowest id among equals); the others
    are kept, and later new articles are compared with them too. Returns rows of
    `article_id`, `duplicate_of`, `similarity`.
    """
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=(BANDS, ROWS))
    signatures: dict[str, MinHash] = {}

    def add(row: Row) -> None:
        if len(row["minhash"]) == NUM_PERM and row["article_id"] not in signatures:
            signatures[row["article_id"]] = _minhash(row["minhash"])
            lsh.insert(row["article_id"], signatures[row["article_id"]])

    for row in candidates:
        add(row)
    found: list[Row] = []
    for row in new:
        if len(row["minhash"]) != NUM_PERM:
            continue
        m = _minhash(row["minhash"])
        scored = [(m.jaccard(signatures[key]), key) for key in lsh.query(m)]
        close = [(s, key) for s, key in scored if s >= THRESHOLD]
        best = min(close, key=lambda sk: (-sk[0], sk[1]), default=None)
        if best is None:
            add(row)
        else:
            found.append(
                {"article_id": row["article_id"], "duplicate_of": best[1], "similarity": best[0]}
            )
    return found
