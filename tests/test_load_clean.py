"""Load and clean stages over fixture files, each carrying its expected outcome."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tasks.clean import clean_docs, clean_text, parse_published
from tasks.load import discover, load_paths
from tasks.models import Article, Rejection

from .conftest import FIXTURES, SEED_FILE

EXPECTED: dict[str, str] = {
    k: v
    for k, v in json.loads((FIXTURES / "expectations.json").read_text()).items()
    if not k.startswith("_")
}


def _outcomes() -> dict[str, str]:
    files, rejections = discover([FIXTURES / "articles", FIXTURES / "bad"])
    docs, load_rej = load_paths(files)
    articles, clean_rej = clean_docs(docs)
    outcome = {a.source: "article" for a in articles}
    outcome.update({r.source: r.reason for r in rejections + load_rej + clean_rej})
    return {str(Path(k).relative_to(FIXTURES)): v for k, v in outcome.items()}


OUTCOMES = _outcomes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_outcome(name: str) -> None:
    assert OUTCOMES.get(name) == EXPECTED[name]


def test_every_input_is_accounted_for() -> None:
    assert set(OUTCOMES) == set(EXPECTED)


def test_missing_path_is_rejected_with_a_one_line_message(tmp_path: Path) -> None:
    files, rejections = discover([tmp_path / "nope.txt", SEED_FILE])
    assert files == [SEED_FILE]
    assert [r.reason for r in rejections] == ["missing"]
    assert "no such file" in rejections[0].detail and "\n" not in rejections[0].detail


def test_non_utf8_message_names_the_byte() -> None:
    _, rej = load_paths([FIXTURES / "bad" / "latin1.txt"])
    assert rej[0].detail.endswith("not valid UTF-8 (byte 0xe9 at offset 41)")


def test_sidecar_and_html_metadata() -> None:
    docs, _ = load_paths(
        [FIXTURES / "articles" / "kenya_protest.txt", FIXTURES / "articles" / "sahel_attack.html"]
    )
    articles, rejections = clean_docs(docs)
    assert rejections == []
    kenya, sahel = articles
    assert kenya.title == "Kenyan police fire tear gas at finance bill protesters"
    assert kenya.published_at == datetime(2024, 6, 27, tzinfo=UTC)
    assert kenya.url == "https://example.org/news/kenya-protests"
    assert sahel.title == "Gunmen kill 14 soldiers in attack on army post in Burkina Faso"
    assert sahel.published_at is not None and sahel.published_at.date().isoformat() == "2024-03-04"
    assert sahel.text.startswith("Suspected jihadists killed 14 soldiers")
    assert "Most read" not in sahel.text and "All rights reserved" not in sahel.text


def test_jsonl_lines_take_their_own_metadata() -> None:
    docs, rejections = load_paths([FIXTURES / "articles" / "wire.jsonl"])
    assert [d.source.rsplit(":", 1)[1] for d in docs] == ["1", "2", "5", "6"]
    assert docs[0].meta["published"] == "2024-01-27"
    assert "\u2028" in str(docs[3].payload)  # a raw line separator inside a JSON string
    assert sorted(r.reason for r in rejections) == ["bad_json", "bad_json", "bad_metadata"]
    assert rejections[-1].detail.endswith("wire.jsonl:7: 'url' must be a string, not int")


def test_seed_is_read_with_its_publication_date() -> None:
    docs, _ = load_paths([SEED_FILE])
    (article,), _ = clean_docs(docs)
    assert isinstance(article, Article)
    assert article.published_date is not None
    assert article.published_date.isoformat() == "2025-10-12"
    assert article.language == "en"
    assert article.text.startswith("Twelve Pakistani soldiers have been killed")


def test_clean_text_is_stable_under_whitespace_and_unicode_noise() -> None:
    a = clean_text("Twelve  soldiers\u00a0were killed.\r\n\r\n\r\n\nCafe\u0301 attacked.\x07")
    b = clean_text("Twelve soldiers were killed.\n\nCafé attacked.")
    assert a == b
    assert Article("file", "x", a).article_id == Article("file", "y", b).article_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-10-12", datetime(2025, 10, 12, tzinfo=UTC)),
        ("2025-10-12T08:30:00Z", datetime(2025, 10, 12, 8, 30, tzinfo=UTC)),
        (None, None),
    ],
)
def test_parse_published(value: str | None, expected: datetime | None) -> None:
    assert parse_published(value) == expected


def test_parse_published_refuses_words() -> None:
    with pytest.raises(ValueError):
        parse_published("the day before yesterday")


def test_rejection_is_plain_data() -> None:
    r = Rejection("a.txt", "empty", "a.txt: file is empty")
    assert (r.source, r.reason) == ("a.txt", "empty")


def test_uppercase_names_and_their_sidecar() -> None:
    docs, _ = load_paths([FIXTURES / "articles" / "UPPER.TXT"])
    (article,), _ = clean_docs(docs)
    assert article.title == "Tear gas in Kinshasa"
    assert article.published_date is not None
    assert article.published_date.isoformat() == "2024-09-20"


def test_folder_walk_follows_links_once_and_reports_empty_folders(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / ".hidden").mkdir(parents=True)
    (real / "a.txt").write_text("Soldiers clashed with rebels near the town on Monday.")
    (real / ".hidden" / "b.txt").write_text("never read")
    (real / "notes.md").write_text("# not an article")
    top = tmp_path / "top"
    top.mkdir()
    (top / "linked").symlink_to(real, target_is_directory=True)
    (top / "loop").symlink_to(top, target_is_directory=True)
    (tmp_path / "empty").mkdir()
    files, rejections = discover([top, tmp_path / "empty"])
    assert [f.name for f in files] == ["a.txt"]
    assert [(r.source, r.reason) for r in rejections] == [(str(tmp_path / "empty"), "empty")]


def test_a_named_fifo_is_rejected_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    files, rejections = discover([fifo])
    assert files == []
    assert [(r.reason, r.detail) for r in rejections] == [
        ("unreadable", f"{fifo}: not a regular file (a FIFO)")
    ]
