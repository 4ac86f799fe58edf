"""Hostile input (lone surrogates, odd file types, absurd dates, datelines): each case is data.

Every case is built in tmp_path from its reproduction and carries its
expected outcome: "article" or a rejection reason, per source label.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import tasks.clean
from tasks.clean import clean_docs, parse_published
from tasks.dates import dateline_date
from tasks.load import (
    MAX_SIDECAR_BYTES,
    RawDoc,
    discover,
    load_paths,
    load_units,
    work_units,
)
from tasks.models import Article, Rejection
from tasks.text import path_label, storable

BODY = "Police arrested ten protesters in Lagos on Monday after a march."
# A FIFO or device read by mistake would hang the test run: fail it instead.
HANG_SECONDS = 10


class ReadHung(Exception):
    """Not an OSError (as TimeoutError is), so the loader cannot take it for a bad file."""


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Turn a blocking read (the bug these tests guard against) into a failure."""

    def hung(signum: int, frame: Any) -> None:
        raise ReadHung("a read blocked: a FIFO or device was opened")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _run(*paths: Path) -> tuple[dict[str, str], list[Article], list[Rejection]]:
    """Discover, load and clean: the outcome per source label, the articles, the rejections."""
    files, rejections = discover(paths)
    docs, load_rej = load_paths(files)
    for doc in docs:
        assert len(doc.raw_sha256) == 64  # the hash never crashes
    articles, clean_rej = clean_docs(docs)
    every = rejections + load_rej + clean_rej
    outcome = {a.source: "article" for a in articles}
    outcome.update({r.source: r.reason for r in every})
    for label in outcome:
        label.encode("utf-8")  # every label is storable
    for r in every:
        r.detail.encode("utf-8")
        assert "\n" not in r.detail
    return outcome, articles, every


def _jsonl(folder: Path, name: str, *lines: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _bad_name(folder: Path, name: bytes, data: bytes) -> None:
    fd = os.open(os.fsencode(folder) + b"/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, data)
    os.close(fd)


def _surrogate_text(d: Path) -> None:
    _jsonl(d, "w.jsonl", {"text": BODY + " \ud800"})


def _bad_file_name(d: Path) -> None:
    _bad_name(d, b"bad\xff.txt", BODY.encode())


def _surrogate_title_and_url(d: Path) -> None:
    _jsonl(
        d, "w.jsonl", {"text": BODY, "title": "T \ud800"}, {"text": BODY, "url": "http://x/\udcff"}
    )


def _surrogate_sidecar(d: Path) -> None:
    (d / "a.txt").write_text(BODY)
    (d / "a.meta.json").write_text(json.dumps({"title": "x\udc80y"}))


def _bad_sidecar_name(d: Path) -> None:
    _bad_name(d, b"b\xfe.txt", BODY.encode())
    _bad_name(d, b"b\xfe.meta.json", b'{"title": "Lagos"}')


# Each case: what to build in a folder, and the outcome expected per name in it.
SURROGATE_CASES: dict[str, tuple[Callable[[Path], None], dict[str, str]]] = {
    "text with a lone surrogate": (_surrogate_text, {"w.jsonl:1": "article"}),
    "file name with an invalid UTF-8 byte": (_bad_file_name, {"bad\\xff.txt": "article"}),
    "surrogate in a JSONL title and url": (
        _surrogate_title_and_url,
        {"w.jsonl:1": "article", "w.jsonl:2": "article"},
    ),
    "surrogate in a sidecar title": (_surrogate_sidecar, {"a.txt": "article"}),
    "invalid UTF-8 byte in a sidecar's name": (_bad_sidecar_name, {"b\\xfe.txt": "article"}),
}


@pytest.mark.parametrize("case", sorted(SURROGATE_CASES))
def test_surrogates_are_cleaned_and_each_input_stored(tmp_path: Path, case: str) -> None:
    build, expected = SURROGATE_CASES[case]
    build(tmp_path)
    outcome, articles, _ = _run(tmp_path)
    assert outcome == {path_label(tmp_path / k): v for k, v in expected.items()}
    for article in articles:
        for value in (article.text, article.title, article.url, article.source):
            (value or "").encode("utf-8")


def test_surrogates_become_the_replacement_character_and_hash_the_same_twice(
    tmp_path: Path,
) -> None:
    wire = _jsonl(tmp_path, "w.jsonl", {"text": BODY + " \ud800", "title": "T \ud800"})
    (first,), _ = load_paths([wire])
    (again,), _ = load_paths([wire])
    assert first.payload == BODY + " \ufffd" and first.meta["title"] == "T \ufffd"
    assert first.raw_sha256 == again.raw_sha256
    # A document built elsewhere with a surrogate still hashes, and cleans to storable text.
    odd = RawDoc("x", "text", BODY + " \udcff", {"title": "y\ud800"})
    assert len(odd.raw_sha256) == 64
    (article,), _ = clean_docs([odd])
    assert article.text.endswith("\ufffd") and article.title == "y\ufffd"


def test_path_label_shows_bad_bytes_as_escapes() -> None:
    assert path_label(os.fsdecode(b"/tmp/bad\xff.txt")) == "/tmp/bad\\xff.txt"
    assert path_label("/tmp/caf\u00e9.txt") == "/tmp/caf\u00e9.txt"
    assert storable("a\ud800b\udfffc") == "a\ufffdb\ufffdc"


def _fifo_sidecar(d: Path) -> None:
    (d / "a.txt").write_text(BODY)
    os.mkfifo(d / "a.meta.json")


def _zero_sidecar(d: Path) -> None:
    (d / "x.txt").write_text(BODY)
    (d / "x.meta.json").symlink_to("/dev/zero")


def _huge_sidecar(d: Path) -> None:
    (d / "h.txt").write_text(BODY)
    (d / "h.meta.json").write_text(json.dumps({"title": "t" * MAX_SIDECAR_BYTES}))


def _fifo_article(d: Path) -> None:
    (d / "ok.txt").write_text(BODY)
    os.mkfifo(d / "a.txt")


def _link_loop(d: Path) -> None:
    (d / "ok.txt").write_text(BODY)
    (d / "loop.txt").symlink_to(d / "loop.txt")


def _broken_link(d: Path) -> None:
    (d / "ok.txt").write_text(BODY)
    (d / "gone.txt").symlink_to(d / "nowhere.txt")


def _device(d: Path) -> None:
    (d / "ok.txt").write_text(BODY)
    (d / "zero.txt").symlink_to("/dev/zero")


def _socket(d: Path) -> None:
    (d / "ok.txt").write_text(BODY)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind("s.txt")  # relative: a Unix socket path is limited to ~100 bytes
    finally:
        sock.close()


FILE_TYPE_CASES: dict[str, tuple[Callable[[Path], None], dict[str, str]]] = {
    "FIFO as sidecar": (_fifo_sidecar, {"a.txt": "bad_metadata", "a.meta.json": "unreadable"}),
    "sidecar linked to /dev/zero": (
        _zero_sidecar,
        {"x.txt": "bad_metadata", "x.meta.json": "unreadable"},
    ),
    "sidecar over the size cap": (_huge_sidecar, {"h.txt": "bad_metadata"}),
    "FIFO named as an article": (_fifo_article, {"ok.txt": "article", "a.txt": "unreadable"}),
    "symlink loop": (_link_loop, {"ok.txt": "article", "loop.txt": "unreadable"}),
    "broken symlink": (_broken_link, {"ok.txt": "article", "gone.txt": "unreadable"}),
    "link to a device": (_device, {"ok.txt": "article", "zero.txt": "unreadable"}),
    "socket": (_socket, {"ok.txt": "article", "s.txt": "unreadable"}),
}


@pytest.mark.parametrize("case", sorted(FILE_TYPE_CASES))
def test_only_regular_files_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.chdir(tmp_path)
    build, expected = FILE_TYPE_CASES[case]
    build(tmp_path)
    outcome, _, _ = _run(tmp_path)
    assert outcome == {str(tmp_path / k): v for k, v in expected.items()}


def test_sidecar_and_file_type_details_name_the_problem(tmp_path: Path) -> None:
    _fifo_sidecar(tmp_path)
    _, _, rejections = _run(tmp_path)
    details = sorted(r.detail for r in rejections)
    assert details == [
        f"{tmp_path / 'a.meta.json'}: not a regular file (a FIFO)",
        f"{tmp_path / 'a.txt'}: sidecar a.meta.json not read: not a regular file (a FIFO)",
    ]


def test_named_link_loop_is_unreadable_not_missing(tmp_path: Path) -> None:
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    _, rejections = discover([loop])
    assert [(r.reason, r.detail) for r in rejections] == [
        ("unreadable", f"{loop}: symbolic link loop")
    ]


def test_a_fifo_passed_to_the_reader_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "a.txt"
    os.mkfifo(fifo)
    docs, rejections = load_paths([fifo])  # would block forever in open() or read()
    assert docs == [] and [r.reason for r in rejections] == ["unreadable"]


BAD_DATES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00+14:00", "1899-12-31", "3000-01-01"]


@pytest.mark.parametrize("value", BAD_DATES)
def test_dates_out_of_range_reject_the_input_naming_the_date(tmp_path: Path, value: str) -> None:
    _jsonl(tmp_path, "w.jsonl", {"text": BODY, "published": value}, {"text": BODY})
    (tmp_path / "s.txt").write_text(BODY + " Again.")
    (tmp_path / "s.meta.json").write_text(json.dumps({"published": value}))
    outcome, _, rejections = _run(tmp_path)
    assert outcome == {
        str(tmp_path / "w.jsonl:1"): "bad_metadata",
        str(tmp_path / "w.jsonl:2"): "article",
        str(tmp_path / "s.txt"): "bad_metadata",
    }
    for r in rejections:
        assert "bad published date" in r.detail and value[:4] in r.detail


def test_parse_published_range_edges() -> None:
    tomorrow = datetime.now(UTC) + timedelta(hours=23)
    assert parse_published(tomorrow.isoformat()) == tomorrow
    assert parse_published("1900-01-01") == datetime(1900, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="9999-12-31T23:59:59-14:00 is outside 1900-01-01"):
        parse_published("9999-12-31T23:59:59-14:00")


def test_a_bad_page_date_is_dropped_not_held_against_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def extractor(html: bytes | str, url: str | None = None) -> tasks.clean.PageText:
        return tasks.clean.PageText(
            BODY, {"title": "Lagos", "published": "9999-12-31T23:59:59-14:00"}
        )

    monkeypatch.setattr(tasks.clean, "read_html", extractor)
    (article,), rejections = clean_docs([RawDoc("p.html", "html", b"<html></html>")])
    assert rejections == [] and article.published_at is None and article.title == "Lagos"
    # The sidecar's own bad date is not a guess: it still rejects the page.
    (rej,) = clean_docs([RawDoc("p.html", "html", b"<p/>", {"published": "0001-01-01"})])[1]
    assert rej.reason == "bad_metadata"


# Each text's top, and the publication date it gives (None: it gives none).
DATELINES: list[tuple[str, str | None]] = [
    ("12 October 2025\n" + BODY, "2025-10-12T00:00:00+00:00"),
    ("October 12, 2025\n" + BODY, "2025-10-12T00:00:00+00:00"),
    ("2025-10-12\n" + BODY, "2025-10-12T00:00:00+00:00"),
    ("Published: 12 Oct 2025 14:03 UTC\n" + BODY, "2025-10-12T14:03:00+00:00"),
    ("Lagos arrests\n\nMonday, 13 October 2025\n\n" + BODY, "2025-10-13T00:00:00+00:00"),
    ("Posted on Oct. 12, 2025 at 3:05 p.m. +01:00\n" + BODY, "2025-10-12T15:05:00+01:00"),
    ("KABUL, Oct 12, 2025 (Reuters) - " + BODY, "2025-10-12T00:00:00+00:00"),
    ("NAIROBI, Kenya, June 27, 2024 (AP) \u2014 " + BODY, "2024-06-27T00:00:00+00:00"),
    ("KABUL, Oct 12 (Reuters) - " + BODY, None),  # no year: not guessed
    ("12 killed in attack\n" + BODY, None),
    ("2025 was a year of protests\n" + BODY, None),
    ("October 12, 2025 was the day police arrested ten.\n" + BODY, None),
    ("31 February 2025\n" + BODY, None),
    ("9999-12-31\n" + BODY, None),
    ("a\nb\nc\n12 October 2025\n" + BODY, None),  # below the first three lines
    (BODY + "\n12 October 2025", None),  # the body's first line is no date
]


@pytest.mark.parametrize(("text", "expected"), DATELINES)
def test_dateline_date(text: str, expected: str | None) -> None:
    found = dateline_date(text)
    assert (found.isoformat() if found else None) == expected


def test_a_txt_file_takes_the_date_at_its_top_and_its_sidecar_wins(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("12 October 2025\n\n" + BODY)
    (tmp_path / "b.txt").write_text("KABUL, Oct 12, 2025 (Reuters) - " + BODY)
    (tmp_path / "b.meta.json").write_text(json.dumps({"published": "2025-10-14"}))
    (tmp_path / "c.txt").write_text("12 killed in attack\n\n" + BODY)
    _, articles, _ = _run(tmp_path)
    dates = {Path(a.source).name: a.published_date for a in articles}
    assert {k: v.isoformat() if v else None for k, v in dates.items()} == {
        "a.txt": "2025-10-12",
        "b.txt": "2025-10-14",
        "c.txt": None,
    }


def test_a_jsonl_file_is_read_in_slices_that_together_read_it_once(tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"{BODY} Line {n}."}) for n in range(1, 11)]
    lines[3] = "{not json"
    lines[6] = ""
    wire = tmp_path / "w.jsonl"
    wire.write_text("\n".join(lines) + "\n")
    (tmp_path / "a.txt").write_text(BODY)
    units = work_units([tmp_path / "a.txt", wire], lines_per_unit=4)
    assert [(u.path.name, u.line_start, u.line_end) for u in units] == [
        ("a.txt", 1, None),
        ("w.jsonl", 1, 5),
        ("w.jsonl", 5, 9),
        ("w.jsonl", 9, 13),
    ]
    whole_docs, whole_rej = load_paths([tmp_path / "a.txt", wire])
    sliced: list[tuple[list[RawDoc], list[Rejection]]] = [load_units([u]) for u in units]
    assert [[d.source.rsplit(":", 1)[-1] for d in docs] for docs, _ in sliced] == [
        [str(tmp_path / "a.txt")],
        ["1", "2", "3"],
        ["5", "6", "8"],
        ["9", "10"],
    ]
    assert [d for docs, _ in sliced for d in docs] == whole_docs
    assert [r for _, rej in sliced for r in rej] == whole_rej
    assert [r.source for r in whole_rej] == [f"{wire}:4"]


def test_a_whole_file_problem_is_one_rejection_however_many_slices(tmp_path: Path) -> None:
    wire = tmp_path / "w.jsonl"
    wire.write_bytes(b'{"text": "caf\xe9"}\n' * 5)
    (tmp_path / "w.meta.json").write_text("{}")
    units = work_units([wire], lines_per_unit=2)
    assert len(units) == 3
    docs, rejections = load_units(units)
    assert docs == [] and [r.reason for r in rejections] == ["not_utf8"]
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\xef\xbb\xbf\n\n  \n")
    assert load_units(work_units([blank], lines_per_unit=1))[1][0].reason == "empty"
    assert len(load_units(work_units([blank], lines_per_unit=1))[1]) == 1
