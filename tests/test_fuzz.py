"""A fuzz run: a few thousand generated hostile inputs through a real `ingest`.

Random bytes, random Unicode (lone surrogates, control characters, bidi marks),
huge lines, odd encodings declared in HTML, broken JSON lines and sidecars,
all from a fixed seed. Every input must end stored, a duplicate, or rejected
with a reason; no batch may fail, and nothing may print a traceback.
"""

from __future__ import annotations

import faulthandler
import json
import random
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest_files

pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.slow]

SEED = 20261203
FILES = 1500  # plus JSONL lines: a few thousand inputs in all
WORDS = (
    "police",
    "arrested",
    "protesters",
    "in",
    "Lagos",
    "on",
    "Monday",
    "gunmen",
    "killed",
    "villagers",
    "Mopti",
    "army",
    "shelled",
    "Kharkiv",
    "minister",
    "met",
    "envoy",
    "talks",
    "ceasefire",
    "strike",
    "Kabul",
    "Taliban",
)
ENCODINGS = ("punycode", "utf-7", "rot13", "idna", "utf-16", "latin-1", "nonsense", "base64")


def _unicode(rng: random.Random, n: int) -> str:
    pools = [
        (0x20, 0x7E),
        (0x00, 0x1F),  # control characters
        (0xD800, 0xDFFF),  # lone surrogates
        (0x200B, 0x202E),  # zero-width and bidi marks
        (0x0600, 0x06FF),
        (0x1F300, 0x1F6FF),
    ]
    out = []
    for _ in range(n):
        lo, hi = rng.choice(pools)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def _prose(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _write(path: Path, data: str | bytes) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    path.write_bytes(data)


def _generate(root: Path, rng: random.Random) -> int:
    """Write the corpus; return how many JSON lines it holds (each line is an input)."""
    lines = 0
    for i in range(FILES):
        kind = rng.randrange(8)
        stem = root / f"f{i:05d}"
        if kind == 0:
            _write(stem.with_suffix(".txt"), rng.randbytes(rng.randint(0, 4000)))
        elif kind == 1:
            _write(stem.with_suffix(".txt"), _prose(rng, 40) + _unicode(rng, rng.randint(0, 500)))
        elif kind == 2:  # a huge line
            _write(stem.with_suffix(".txt"), _prose(rng, 20) + "x" * rng.randint(10_000, 300_000))
        elif kind == 3:
            charset = rng.choice(ENCODINGS)
            body = f"<p>{_prose(rng, 60)}</p><p>{_unicode(rng, 200)}</p>"
            html = f'<html><head><meta charset="{charset}"><title>T</title></head><body>{body}'
            _write(stem.with_suffix(".html"), html.encode("utf-8", "surrogatepass"))
        elif kind == 4:
            _write(stem.with_suffix(".html"), rng.randbytes(rng.randint(0, 3000)))
        elif kind == 5:
            rows = []
            for _ in range(rng.randint(1, 6)):
                lines += 1
                choice = rng.randrange(4)
                if choice == 0:
                    rows.append(_unicode(rng, 80))  # not JSON
                elif choice == 1:
                    rows.append(
                        json.dumps({"text": _prose(rng, 30), "published": _unicode(rng, 10)})
                    )
                elif choice == 2:
                    rows.append(json.dumps({"text": rng.randint(0, 9), "title": []}))
                else:
                    rows.append(
                        json.dumps(
                            {"text": _prose(rng, 30) + _unicode(rng, 50), "url": _unicode(rng, 20)}
                        )
                    )
            _write(stem.with_suffix(".jsonl"), "\n".join(rows))
        elif kind == 6:  # an article with a hostile sidecar
            _write(stem.with_suffix(".txt"), _prose(rng, 50))
            sidecar = rng.choice(
                [
                    rng.randbytes(200),
                    json.dumps({"title": _unicode(rng, 30), "published": "0001-01-01"}).encode(
                        "utf-8", "surrogatepass"
                    ),
                    json.dumps([1, 2, 3]).encode(),
                    json.dumps({"published": "9999-12-31T23:59:59-14:00"}).encode(),
                ]
            )
            Path(f"{stem}.meta.json").write_bytes(sidecar)
        else:
            name = "".join(rng.choice("ab\n\x1b\t ;") for _ in range(6))
            _write(root / f"g{i:05d}{name}.txt", _prose(rng, 30))
    return lines


# The whole run's time budget: a hang (a FIFO read, a runaway decode) fails the test
# with every thread's stack instead of holding CI.
BUDGET_S = 900


def test_thousands_of_hostile_inputs_are_stored_or_rejected_with_a_reason(
    tmp_path: Path, db_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _generate(corpus, random.Random(SEED))
    faulthandler.dump_traceback_later(BUDGET_S, exit=True)
    try:
        result = ingest_files([str(corpus)], db=str(db_path), batch_size=200)
    finally:
        faulthandler.cancel_dump_traceback_later()
    printed = capfd.readouterr()
    assert "Traceback" not in printed.out + printed.err
    c = result.counts
    assert c.articles_seen >= FILES  # every file, and each JSON line, was counted
    assert c.articles_seen == c.articles_new + c.articles_duplicate + c.articles_rejected
    assert c.articles_new > 0 and c.articles_rejected > 0
    assert all(r.reason and r.detail for r in result.rejections)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        statuses = con.execute("SELECT DISTINCT status FROM runs").fetchall()
        stored = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
        reasons = con.execute("SELECT count(*) FROM rejections WHERE reason IS NULL").fetchall()
    finally:
        con.close()
    assert statuses == [("completed",)]  # no batch failed
    assert stored == c.articles_new and reasons == [(0,)]
