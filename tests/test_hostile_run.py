"""Hostile input against whole runs: no input can crash, hang or exhaust a run.

(File-level cases are in test_load_hostile.py; fetch-level in test_fetch_http.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest_files

pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.slow]


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_jsonl_file_is_batched_by_lines_like_files(db_path: Path, tmp_path: Path) -> None:
    """100k lines in one transaction held 1.75 GB: a JSONL file's lines are batched."""
    lines = [
        {"text": f"Police arrested {n} protesters in Lagos on Monday after a march.", "id": n}
        for n in range(11, 36)
    ]
    big = tmp_path / "wire.jsonl"
    big.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    result = ingest_files([str(big)], db=str(db_path), batch_size=10)
    assert (result.counts.articles_seen, result.counts.articles_new) == (25, 25)
    batches = _rows(
        db_path,
        "SELECT articles_seen FROM runs WHERE parent_run_id IS NOT NULL ORDER BY run_id",
    )
    assert [b[0] for b in batches] == [10, 10, 5]
