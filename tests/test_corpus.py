"""Real news pages from ../shared/corpus through the real flow (skipped without ../shared)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from statistics import median

import duckdb
import pytest

from flows.ingest import ingest_files

from .conftest import shared_or_skip

pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.slow]

# Enough pages to cover several sites, few enough to keep the suite quick.
N_PAGES = 24
# Share of the human-checked body's words found in what we stored: trafilatura
# scores well above this on the benchmark; far below means we lost the body.
MIN_MEDIAN_RECALL = 0.8


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_corpus_pages_become_articles_close_to_ground_truth(tmp_path: Path) -> None:
    bench = shared_or_skip("corpus", "article-extraction-benchmark")
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    pages = tmp_path / "pages"
    pages.mkdir()
    for page_id in sorted(truth)[:N_PAGES]:
        html = gzip.decompress((bench / "html" / f"{page_id}.html.gz").read_bytes())
        (pages / f"{page_id}.html").write_bytes(html)
    db = tmp_path / "corpus.duckdb"
    result = ingest_files([str(pages)], db=str(db), batch_size=10)
    assert result.counts.articles_seen == N_PAGES
    assert result.counts.articles_new + result.counts.articles_rejected == N_PAGES
    assert result.counts.articles_new >= N_PAGES - 2
    assert {r.reason for r in result.rejections} <= {"no_text"}

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT source, text, title FROM articles").fetchall()
    con.close()
    recalls = []
    for source, text, title in rows:
        gold = _words(truth[Path(source).stem]["articleBody"])
        got = set(_words(text))
        recalls.append(sum(w in got for w in gold) / max(1, len(gold)))
        assert title, f"{source} has no title"
    assert median(recalls) >= MIN_MEDIAN_RECALL
