"""`eventpipe bench`: its corpus is distinct pages, and one small run yields every figure.

Only the figures' presence and consistency are asserted: timings are the
benchmark's business, not a test's (shared, noisy machines).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from flows.bench import (
    DEV_CASES,
    generated_page,
    report_lines,
    run_bench,
    source_pages,
    write_corpus,
)
from tasks.clean import html_to_text
from tasks.errors import EventpipeError
from tasks.models import sha256_hex

from .conftest import FIXTURES


def test_varied_real_pages_all_extract_to_distinct_texts(tmp_path: Path) -> None:
    pages = source_pages(FIXTURES / "articles")
    assert [p.name for p in pages] == ["sahel_attack.html"]
    written = write_corpus(5, tmp_path / "c", pages)
    texts = [html_to_text(p.read_bytes())[0] for p in written]
    assert all(texts) and len({sha256_hex(t) for t in texts}) == 5


def test_generated_pages_carry_an_event_and_differ() -> None:
    rng = random.Random(1)
    a, b = generated_page(0, rng), generated_page(1, rng)
    assert a != b and "killed" in html_to_text(a)[0]


def test_a_folder_without_pages_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EventpipeError, match="no .html pages"):
        source_pages(tmp_path)


@pytest.mark.slow
def test_a_small_run_reports_every_figure(tmp_path: Path) -> None:
    report = run_bench(4, FIXTURES / "articles", rss_scale=2)
    assert report.pages == 4 and report.notes == []
    for name in ("trafilatura_pages_s", "flow_pages_s", "clean_pages_s", "coder_articles_s"):
        assert getattr(report, name) > 0, name
    assert report.store_rows_s > 0 and report.first_run_s > 0 and report.rerun_s > 0
    assert report.rss_mib_n > 50 and report.rss_mib_10n is not None
    assert report.rerun_vs_first == round(report.rerun_s / report.first_run_s, 3)
    stages = 4 if DEV_CASES.exists() else 3  # the dev-cases line needs ../shared
    heads = [line.split()[0] for line in report_lines(report)]
    assert heads == ["corpus:", "limit", "flow", *["stage"] * stages, "re-run", "memory", "memory"]
    assert report.tree_mib_n > report.rss_mib_n  # the pool's workers and Prefect's server
