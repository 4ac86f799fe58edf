"""The process pool gives the same output, in the same order, as running in-process."""

from __future__ import annotations

import pytest

from tasks import clean, coding, parallel
from tasks.load import load_paths

from .conftest import FIXTURES, SEED_FILE


@pytest.mark.parametrize(("n", "count"), [(10, 3), (3, 8), (0, 4), (8, 8)])
def test_chunks_keep_order_and_cover_everything(n: int, count: int) -> None:
    items = list(range(n))
    parts = parallel.chunks(items, count)
    assert [x for part in parts for x in part] == items
    assert len(parts) == max(1, min(count, n))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_the_pool_cleans_and_codes_exactly_as_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = (
        sorted((FIXTURES / "articles").iterdir())
        + [SEED_FILE]
        + sorted((FIXTURES / "bad").iterdir())
    )
    docs, _ = load_paths([p for p in paths if not p.name.lower().endswith(".meta.json")])
    docs = docs * 2  # enough items for the pool
    assert len(docs) >= parallel.MIN_PARALLEL_ITEMS
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    alone = clean.clean_docs(docs)
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    pooled = parallel.map_split(clean.clean_docs, docs)
    assert pooled == alone and parallel._pool is not None
    coded_alone = coding.code_articles(alone[0])
    coded_pooled = parallel.map_split(coding.code_articles, alone[0])
    assert coded_pooled == coded_alone
    assert sum(len(x.events) for x in coded_pooled[0]) > 5
