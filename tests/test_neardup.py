"""Near-duplicate articles: syndicated copies of one text are one article, stored once.

The stage (`tasks/neardup.py`) on data-driven fixtures (a wire story and its
variants, other stories sharing its boilerplate), the writer's use of it on a
real DuckDB file, and the real ingest flow.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from datasketch import MinHashLSH

from tasks import neardup, store
from tasks.models import Article, ExtractedArticle
from tasks.records import FetchRecord

from .conftest import FIXTURES

CASES_DIR = FIXTURES / "neardup"
CASES = json.loads((CASES_DIR / "cases.json").read_text(encoding="utf-8"))
# The MinHash estimate may stray from the exact Jaccard similarity by about three of its
# standard errors (0.035 at 0.8 with 128 permutations; larger further from 0 and 1).
ESTIMATE_TOLERANCE = 0.12


def _text(name: str) -> str:
    return (CASES_DIR / name).read_text(encoding="utf-8")


def _row(article_id: str, text: str) -> dict[str, Any]:
    return {"article_id": article_id, "minhash": neardup.signature(text).minhash}


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["file"])
def test_a_variant_is_a_near_duplicate_of_the_wire_story_or_not(case: dict[str, Any]) -> None:
    original, variant = _text(CASES["original"]), _text(case["file"])
    found = neardup.near_duplicates([_row("new", variant)], [_row("wire", original)])
    assert bool(found) == case["duplicate"], case["why"]
    if found:
        assert found[0]["duplicate_of"] == "wire" and found[0]["similarity"] >= neardup.THRESHOLD
    # The estimate is close to the exact similarity of the shingle sets.
    a, b = neardup.shingles(original), neardup.shingles(variant)
    estimate = neardup.similarity(_row("", original)["minhash"], _row("", variant)["minhash"])
    assert abs(estimate - len(a & b) / len(a | b)) < ESTIMATE_TOLERANCE


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["file"])
def test_every_near_duplicate_shares_a_band_with_its_original(case: dict[str, Any]) -> None:
    """The warehouse finds candidates by band keys alone: a copy must share one."""
    shared = set(neardup.signature(_text(CASES["original"])).bands) & set(
        neardup.signature(_text(case["file"])).bands
    )
    assert bool(shared) == case["duplicate"]


def test_earlier_articles_of_a_batch_count_and_duplicates_point_at_kept_ones() -> None:
    new = [
        _row("wire", _text("wire.txt")),
        _row("headline", _text("headline.txt")),
        _row("other", _text("other_story.txt")),
        _row("credit", _text("credit.txt")),
    ]
    found = {f["article_id"]: f["duplicate_of"] for f in neardup.near_duplicates(new, [])}
    assert found == {"headline": "wire", "credit": "wire"}


def test_signatures_are_stable_and_band_keys_carry_the_settings() -> None:
    text = _text("wire.txt")
    first, again = neardup.signature(text), neardup.signature(text)
    assert first == again and len(first.minhash) == neardup.NUM_PERM
    assert all(0 <= v < 2**32 for v in first.minhash)  # fits UINTEGER
    assert len(first.bands) == neardup.BANDS
    assert all(b.startswith(neardup.TAG + ":") for b in first.bands)
    assert neardup.BANDS * neardup.ROWS <= neardup.NUM_PERM
    lsh = MinHashLSH(
        threshold=neardup.THRESHOLD,
        num_perm=neardup.NUM_PERM,
        params=(neardup.BANDS, neardup.ROWS),
    )
    assert (lsh.b, lsh.r) == (neardup.BANDS, neardup.ROWS)


def test_a_signature_of_other_settings_is_never_compared() -> None:
    wire = _row("wire", _text("wire.txt"))
    short = {"article_id": "old", "minhash": wire["minhash"][:64]}
    assert neardup.near_duplicates([_row("new", _text("credit.txt"))], [short]) == []


def _item(name: str, source: str) -> ExtractedArticle:
    article = Article("url", source, _text(name), url=source, raw_sha256=f"raw-{name}")
    return ExtractedArticle(article, [], "v1")


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_writer_stores_one_copy_and_says_which_page_repeated_which(db_path: Path) -> None:
    """Straight through `store_batch` on a real file: a live batch's page records too."""
    first = _item("wire.txt", "https://a.example/wire")
    store.store_batch(db_path, "run-1", [first])
    items = [_item("credit.txt", "https://b.example/c"), _item("other_story.txt", "https://c/o")]
    pages = [
        FetchRecord("page", x.article.source, "stored", article_id=x.article.article_id)
        for x in items
    ]
    counts = store.store_batch(db_path, "run-2", items, records=pages)
    assert (counts.articles_new, counts.articles_duplicate) == (1, 1)
    wire_id = first.article.article_id
    assert _rows(db_path, "SELECT url, duplicate_of, raw_sha256 FROM near_duplicates") == [
        ("https://b.example/c", wire_id, "raw-credit.txt")
    ]
    log = dict(
        (url, (outcome, detail, article_id))
        for url, outcome, detail, article_id in _rows(
            db_path, "SELECT url, outcome, detail, article_id FROM fetch_log"
        )
    )
    outcome, detail, article_id = log["https://b.example/c"]
    assert (outcome, article_id) == ("duplicate_content", wire_id)
    assert detail.startswith(f"near-duplicate of article {wire_id}")
    assert log["https://c/o"][0] == "stored"
    # Signatures and band keys are kept for stored articles only.
    assert _rows(db_path, "SELECT count(*), count(DISTINCT article_id) FROM article_minhash") == [
        (2, 2)
    ]
    assert _rows(db_path, "SELECT count(DISTINCT article_id) FROM article_bands") == [(2,)]
    # The same batch again adds nothing (the near-duplicate is recorded once).
    again = store.store_batch(db_path, "run-3", items)
    assert (again.articles_new, again.articles_duplicate) == (0, 2)
    assert _rows(db_path, "SELECT count(*) FROM near_duplicates") == [(1,)]


# --- through the real flow ---------------------------------------------------------------


def _syndicated(folder: Path) -> None:
    folder.mkdir()
    for name, outlet in (
        ("wire", "Sahel Wire"),
        ("headline", "Gusau Times"),
        ("credit", "Kano Herald"),
    ):
        shutil.copy(CASES_DIR / f"{name}.txt", folder / f"{name}.txt")
        meta = {"source": outlet, "published": "2024-09-16", "url": f"https://x.example/{name}"}
        (folder / f"{name}.meta.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_a_story_and_two_syndicated_copies_are_one_article(db_path: Path, tmp_path: Path) -> None:
    from flows.ingest import ingest_files

    alone = tmp_path / "alone.duckdb"
    (tmp_path / "one").mkdir()
    shutil.copy(CASES_DIR / "wire.txt", tmp_path / "one" / "wire.txt")
    ingest_files([str(tmp_path / "one")], db=str(alone), published="2024-09-16")

    _syndicated(tmp_path / "story")
    result = ingest_files([str(tmp_path / "story")], db=str(db_path))
    counts = result.counts
    assert (counts.articles_seen, counts.articles_new, counts.articles_duplicate) == (3, 1, 2)
    ((article_id, url),) = _rows(db_path, "SELECT article_id, url FROM articles")
    assert url == "https://x.example/credit"  # the first of the batch (files in name order)
    near = _rows(
        db_path,
        "SELECT n.url, n.duplicate_of, n.similarity >= 0.8, a.url FROM near_duplicates n"
        " JOIN articles a ON a.article_id = n.duplicate_of ORDER BY n.url",
    )
    assert near == [
        ("https://x.example/headline", article_id, True, url),
        ("https://x.example/wire", article_id, True, url),
    ]
    events = _rows(db_path, "SELECT DISTINCT article_id FROM events")
    assert events == [(article_id,)] and counts.events_stored > 0
    # The incidents are those of the wire story ingested alone: the copies add no report.
    incidents = (
        "SELECT event_type, acled_sub_event_type, location, fatalities, num_articles"
        " FROM incidents ORDER BY ALL"
    )
    assert _rows(db_path, incidents) == _rows(alone, incidents)
    assert _rows(db_path, "SELECT max(num_articles), max(num_sources) FROM incidents") == [(1, 1)]
    # A re-run stores nothing: the copies' inputs are settled before they are parsed.
    before = _rows(db_path, "SELECT count(*) FROM near_duplicates")
    again = ingest_files([str(tmp_path / "story")], db=str(db_path))
    assert (again.counts.articles_new, again.counts.events_stored) == (0, 0)
    assert again.counts.articles_duplicate == 3
    assert _rows(db_path, "SELECT count(*) FROM near_duplicates") == before == [(2,)]
    assert _rows(db_path, "SELECT count(*) FROM articles") == [(1,)]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_a_copy_that_raises_the_toll_is_kept_and_joins_the_incident(
    db_path: Path, tmp_path: Path
) -> None:
    """An updated wire copy ("rises to 15") is a near-duplicate by its text, but its
    higher toll is news: it is stored, its events join the original's incident, and the
    incident's toll is the later one. A plain copy of the same day stays a duplicate."""
    from flows.ingest import ingest_files

    for day, names in (("2024-09-16", ("wire", "headline")), ("2024-09-17", ("updated_toll",))):
        folder = tmp_path / day
        folder.mkdir()
        for name in names:
            shutil.copy(CASES_DIR / f"{name}.txt", folder / f"{name}.txt")
            meta = {"source": name, "published": day, "url": f"https://x.example/{name}"}
            (folder / f"{name}.meta.json").write_text(json.dumps(meta), encoding="utf-8")
        ingest_files([str(folder)], db=str(db_path))
    assert _rows(db_path, "SELECT url FROM near_duplicates") == [("https://x.example/wire",)]
    assert _rows(db_path, "SELECT count(*) FROM articles") == [(2,)]
    assert _rows(
        db_path,
        "SELECT num_articles, fatalities FROM incidents WHERE event_type = 'ASSAULT'",
    ) == [(2, 15)]
