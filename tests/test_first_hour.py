"""What a new user hit in the first hour: exit codes, early errors, feeds that failed,
undated texts, and names that could forge output. Each test comes from the report."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.ingest import ingest_files
from flows.live import ingest_feeds

from .conftest import read_rows
from .livesite import Reply, SiteServer, write_config
from .test_cli import run_cli

ARTICLE = (
    "Police arrested ten protesters in Lagos on Monday after a march against fuel prices,"
    " witnesses said. The protesters had blocked a main road for several hours.\n"
)


_rows = read_rows


# --- exit codes, found before Prefect starts -------------------------------------------


def test_a_missing_path_is_a_usage_error_found_before_any_run(tmp_path: Path) -> None:
    db = tmp_path / "events.duckdb"
    proc = run_cli("ingest", str(tmp_path / "nope.txt"), "--db", str(db), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: no such file or folder: {tmp_path}/nope.txt"
    ]
    assert not db.exists()  # no run was recorded: nothing started


def test_a_bad_feed_table_is_a_usage_error_found_before_any_run(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text("[[feeds]]\nurl = 5\n", encoding="utf-8")
    db = tmp_path / "events.duckdb"
    proc = run_cli("ingest-feeds", "--config", str(config), "--db", str(db), timeout=60)
    assert proc.returncode == 2
    assert "feeds[1] has no 'url' string" in proc.stderr
    assert "error: 1 bad [[feeds]] table(s)" in proc.stderr and "Traceback" not in proc.stderr
    assert not db.exists()


def test_a_bad_published_option_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    proc = run_cli("ingest", str(tmp_path / "a.txt"), "--published", "yesterday", timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("error: --published yesterday")


@pytest.mark.slow
def test_runs_where_nothing_succeeded_exit_1_and_name_each_failure(tmp_path: Path) -> None:
    env = {"PREFECT_HOME": str(tmp_path / "prefect")}
    db = str(tmp_path / "events.duckdb")
    # Every input rejected; their names try to forge a line and to clear the screen.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a\nrejected fake.txt: all good").write_text("", encoding="utf-8")
    (inbox / "b\x1b[2J\x1b]0;pwned\x07.txt").write_text("", encoding="utf-8")
    files = run_cli("ingest", str(inbox), "--db", db, env=env)
    assert files.returncode == 1, files.stderr
    # The temporary API kept its own database, apart from a `prefect server start`'s.
    home = tmp_path / "prefect"
    assert (home / "eventpipe-temporary.db").exists() and not (home / "prefect.db").exists()
    output = files.stdout + files.stderr
    assert "\x1b" not in output and "\x07" not in output
    assert not any(line.startswith("rejected fake.txt") for line in output.splitlines())
    assert "a\\nrejected fake.txt" in files.stderr and "b\\x1b[2J" in files.stderr
    # Every URL failed (a loopback address without --allow-private-hosts).
    urls = run_cli("ingest-urls", "http://127.0.0.1:9/a.html", "--db", db, env=env)
    assert urls.returncode == 1
    assert "blocked_address page http://127.0.0.1:9/a.html" in urls.stderr
    # Every feed failed: the summary names each feed's outcome, not only a query.
    config = write_config(tmp_path / "feeds.toml", [{"url": "http://127.0.0.1:9/f.rss"}], False)
    feeds = run_cli("ingest-feeds", "--config", str(config), "--db", db, env=env)
    assert feeds.returncode == 1
    assert "blocked_address feed http://127.0.0.1:9/f.rss" in feeds.stderr
    # And a run that did its work, rejections and all, exits 0.
    (inbox / "good.txt").write_text(ARTICLE, encoding="utf-8")
    good = run_cli("ingest", str(inbox), "--db", db, env=env)
    assert good.returncode == 0, good.stderr


# --- a failed poll does not start the feed's interval ----------------------------------

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Arrests in Lagos</title><link>{base}/a.html</link>
<pubDate>Tue, 14 Oct 2025 10:00:00 GMT</pubDate></item></channel></rss>"""
PAGE = f"<html><head><title>Arrests in Lagos</title></head><body><article><p>{ARTICLE}</p>"
PAGE += "<p>Rights groups condemned the arrests and called for the release of all ten.</p>"
PAGE += "</article></body></html>"


@pytest.fixture
def wire() -> Iterator[SiteServer]:
    with SiteServer() as site:
        site.routes["/f.rss"] = Reply(
            200, RSS.format(base=site.base).encode(), {"Content-Type": "application/rss+xml"}
        )
        site.routes["/a.html"] = Reply(200, PAGE.encode(), {"Content-Type": "text/html"})
        site.routes["/robots.txt"] = Reply(200, b"User-agent: *\n", {"Content-Type": "text/plain"})
        yield site


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_only_a_successful_poll_starts_the_interval(
    wire: SiteServer, db_path: Path, tmp_path: Path
) -> None:
    feed = {"url": wire.url("/f.rss"), "interval_minutes": 60}
    refused = write_config(tmp_path / "refused.toml", [feed], allow_loopback=False)
    allowed = write_config(tmp_path / "allowed.toml", [feed])
    first = ingest_feeds(str(refused), db=str(db_path))
    assert [s.outcome for s in first.sources] == ["blocked_address"]
    second = ingest_feeds(str(allowed), db=str(db_path))  # at once: the failure was no poll
    assert [s.outcome for s in second.sources] == ["fetched"]
    assert second.counts.articles_new == 1
    third = ingest_feeds(str(allowed), db=str(db_path))
    (outcome,) = [s.outcome for s in third.sources]
    assert re.fullmatch(r"not due until \d\d:\d\d UTC", outcome)
    forced = ingest_feeds(str(allowed), db=str(db_path), force=True)
    assert [s.outcome for s in forced.sources] == ["fetched"]  # the server sends no ETag
    assert wire.hits("/f.rss") == 2  # the refused poll never reached it; the third was skipped


# --- texts without a publication date ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_undated_texts_are_counted_and_published_dates_a_batch(
    db_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    undated = ingest_files([str(tmp_path / "a.txt")], db=str(db_path))
    assert undated.undated == 1
    other = tmp_path / "other.duckdb"
    dated = ingest_files([str(tmp_path / "a.txt")], db=str(other), published="2025-10-15")
    assert dated.undated == 0
    rows = _rows(
        other,
        "SELECT a.published_at::DATE, e.event_date"
        " FROM articles a JOIN events e USING (article_id)",
    )
    assert rows and all(str(pub) == "2025-10-15" for pub, _ in rows)
    assert any(str(day) == "2025-10-13" for _, day in rows)  # "on Monday", resolved


def test_extract_takes_published_date_times_like_ingest(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    case = {"id": "c1", "published": "2025-10-15T08:30:00+00:00", "title": None, "text": ARTICLE}
    cases.write_text(json.dumps(case) + "\n", encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    proc = run_cli("extract", str(cases), "-o", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr
    (pred,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert any(e.get("event_date") == "2025-10-13" for e in pred["events"])


# --- progress on a terminal, nothing extra elsewhere -------------------------------------


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run a command with a pseudo-terminal as its stdout and stderr; what it showed there."""
    import os
    import pty
    import subprocess

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=180) == 0
    os.close(leader)
    return seen.decode("utf-8", "replace")


@pytest.mark.slow
def test_a_terminal_shows_progress_and_a_pipe_does_not(tmp_path: Path) -> None:
    import os

    from .test_cli import EVENTPIPE

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(12):
        (inbox / f"a{i}.txt").write_text(ARTICLE.replace("ten", str(i + 11)), encoding="utf-8")
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "TERM": "xterm-256color",
        "COLUMNS": "150",
    }
    args = [EVENTPIPE, "ingest", str(inbox), "--batch-size", "4"]
    shown = _on_a_terminal([*args, "--db", str(tmp_path / "tty.duckdb")], env)
    assert "files" in shown and "articles/s" in shown and "/12" in shown
    piped = run_cli(*args[1:], "--db", str(tmp_path / "pipe.duckdb"), env=env)
    assert piped.returncode == 0
    assert "articles/s" not in piped.stdout + piped.stderr and "\x1b[" not in piped.stderr


@pytest.mark.slow
def test_maintain_shows_its_re_coding_progress_on_a_terminal(tmp_path: Path) -> None:
    """Articles coded by an older coder (their codings relabelled so) are re-coded by
    `eventpipe maintain`, which shows how many of them it has done on a terminal (the
    texts differ in one word, so most are near-duplicates: count what was stored)."""
    import os

    import duckdb

    from .test_cli import EVENTPIPE

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(6):
        (inbox / f"a{i}.txt").write_text(ARTICLE.replace("ten", str(i + 11)), encoding="utf-8")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "COLUMNS": "150"}
    db = tmp_path / "w.duckdb"
    assert run_cli("ingest", str(inbox), "--db", str(db), env=env).returncode == 0
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE codings SET extractor_version = 'rules-0.0.1'")
    shown = _on_a_terminal(
        [EVENTPIPE, "maintain", "--no-export", "--no-report", "--db", str(db)],
        {**env, "TERM": "xterm-256color"},
    )
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    with duckdb.connect(str(db), read_only=True) as con:
        ((stored,),) = con.execute("SELECT count(*) FROM articles").fetchall()
    assert stored >= 1 and "articles re-coded" in shown and f"{stored}/{stored}" in shown, shown
