"""`eventpipe bench`: its corpus is distinct pages, and one small run yields every figure.

Only the figures' presence and consistency are asserted: timings are the
benchmark's business, not a test's (shared, noisy machines).
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from rich.console import Console

from flows.bench import (
    DEV_CASES,
    MIN_MEANINGFUL_N,
    BenchReport,
    generated_page,
    long_article,
    report_lines,
    run_bench,
    source_pages,
    write_corpus,
)
from flows.bench_scale import NEARDUP_PLANTED, ScaleReport, scale_lines
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


@pytest.mark.parametrize("real", [True, False], ids=["real", "generated"])
def test_copies_of_a_text_differ_in_bytes_only(real: bool, tmp_path: Path) -> None:
    """What a re-run must skip by raw hash: pages whose bytes differ, text the same."""
    pages = source_pages(FIXTURES / "articles") if real else []
    written = write_corpus(10, tmp_path / "c", pages, copies=4)
    raw = {sha256_hex(p.read_text(encoding="utf-8")) for p in written}
    texts = [html_to_text(p.read_bytes())[0] for p in written]
    assert len(raw) == 10 and all(texts)
    assert len({sha256_hex(t) for t in texts}) == 3  # ten pages, four copies a text at most


def test_the_long_article_is_about_the_size_asked() -> None:
    text = long_article(0.05)
    assert 50_000 <= len(text.encode("utf-8")) < 70_000 and "\n\n" in text


def test_each_figure_is_printed_beside_its_target() -> None:
    report = BenchReport(pages=1000, corpus="c", texts=200, copies=5)
    report.flow_vs_trafilatura, report.coder_articles_s, report.rerun_vs_first = 1.2, 150.0, 0.03
    report.rss_10n_vs_n, report.coder_s_per_mb, report.long_article_mb = 1.5, 6.0, 1.0
    lines = list(report_lines(report))

    def line(start: str) -> str:
        (found,) = [x for x in lines if x.startswith(start)]
        return found

    assert line("flow ").endswith("(target >= 1.0: met)")
    assert line("stage   event coder (one core)").endswith("(target >= 200.0: MISSED)")
    assert line("re-run ").endswith("(target <= 0.05: met)")
    assert line("memory  peak RSS").endswith("(target <= 1.3: MISSED)")
    assert "6.0 s per MB" in line("stage   event coder, one long article")
    assert "1000 pages holding 200 texts" in line("corpus:")
    assert not [x for x in lines if x.startswith("WARNING")]
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(line("re-run "), highlight=False, soft_wrap=True)  # as the command prints
    assert "(target <= 0.05: met)" in console.export_text()


def test_generated_pages_carry_an_event_and_differ() -> None:
    rng = random.Random(1)
    a, b = generated_page(0, rng), generated_page(1, rng)
    assert a != b and "killed" in html_to_text(a)[0]


def test_a_folder_without_pages_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EventpipeError, match="no .html pages"):
        source_pages(tmp_path)


@pytest.mark.slow
def test_a_small_run_reports_every_figure_and_warns(tmp_path: Path) -> None:
    told: list[str] = []
    report = run_bench(
        4,
        FIXTURES / "articles",
        rss_scale=2,
        copies=2,
        long_mb=0.01,
        progress=told.append,
        link_events=3_000,
        band_articles=2_000,
    )
    assert (report.pages, report.texts, report.copies) == (4, 2, 2) and report.notes == []
    # each stage is told as it starts (a terminal shows it, instead of minutes of silence)
    assert (
        told[0] == "writing 4 pages" and told[-1] == "near-duplicate look-ups among 2,000 articles"
    )
    assert "the event coder" in told and "the ingest flow, then its re-run" in told
    assert "linking 1000 events into 3,000 stored ones" in told
    for name in ("trafilatura_pages_s", "flow_pages_s", "clean_pages_s", "coder_articles_s"):
        assert getattr(report, name) > 0, name
    assert report.store_rows_s > 0 and report.first_run_s > 0 and report.rerun_s > 0
    assert report.rss_mib_n > 50 and report.rss_mib_10n is not None
    assert report.rerun_vs_first == round(report.rerun_s / report.first_run_s, 3)
    assert report.long_article_mb >= 0.01 and report.coder_s_per_mb > 0
    assert len(report.warnings) == 1 and f"below {MIN_MEANINGFUL_N}" in report.warnings[0]
    stages = 5 if DEV_CASES.exists() else 4  # the dev-cases line needs ../shared
    lines = list(report_lines(report))
    heads = [line.split()[0] for line in lines]
    assert heads == [
        "WARNING",
        "corpus:",
        "limit",
        "flow",
        *["stage"] * stages,
        "re-run",
        "memory",
        "memory",
        *["link"] * 5,
        "memory",
        "neardup",
    ]
    for head in ("flow", "re-run"):
        assert "(target" in lines[heads.index(head)], head
    assert report.tree_mib_n > report.rss_mib_n  # the pool's workers and Prefect's server
    _check_scale(report.scale)


def _check_scale(s: ScaleReport) -> None:
    """The scale figures of a small run: present and consistent, not timed."""
    assert (s.link_events, s.link_batch, s.link_month_events) == (3_000, 1000, 3_000)
    assert s.link_empty_events_s > 0 and s.link_month_events_s > 0 and s.link_full_events_s > 0
    ratio = (1 / s.link_full_events_s) / (1 / s.link_empty_events_s)
    assert s.link_full_vs_empty == pytest.approx(ratio, abs=0.02)
    assert set(s.link_parts) == {"empty", "month", "full"}
    assert all(set(p) == {"read", "decide", "write"} for p in s.link_parts.values())
    assert s.link_candidates > 0 and 0 < s.link_joined < s.link_batch
    assert s.link_rows_read["events"] > 0 and "incident_links" in s.link_rows_read
    assert set(s.link_python_peak_mib) == set(s.link_rss_growth_mib) == {"empty", "full"}
    assert s.link_python_peak_mib["full"] > 0
    assert s.neardup_articles == 2_000 + NEARDUP_PLANTED and s.neardup_keys == 4_000
    assert s.neardup_found == NEARDUP_PLANTED and s.neardup_index_scan
    assert s.neardup_empty_s >= 0 and s.neardup_full_s > 0
    assert s.neardup_rows_read["article_bands"] == NEARDUP_PLANTED * 20


def test_the_scale_lines_say_each_figure() -> None:
    s = ScaleReport(link_events=1_000_000, link_month_events=21_000, link_full_vs_empty=1.4)
    s.link_full_vs_month, s.link_rows_read = 1.1, {"events": 16_960}
    s.link_parts = {"empty": {"read": 0.03, "decide": 0.07, "write": 0.01}}
    s.link_python_peak_mib, s.link_rss_growth_mib = {"empty": 2.0, "full": 8.0}, {"full": 90.0}
    s.neardup_articles, s.neardup_index_scan = 100_005, True
    lines = scale_lines(s)
    assert "1,000,000 stored events" in lines[2] and "(target <= 1.5: met)" in lines[2]
    assert "1.1 x the month's" in lines[2] and "empty 0.03 / 0.07 / 0.01" in lines[3]
    assert "events 16,960" in lines[4] and "8.0 MiB full" in lines[5]
    assert "100,005 stored, through the band index" in lines[6]
    assert scale_lines(ScaleReport()) == []  # both skipped
