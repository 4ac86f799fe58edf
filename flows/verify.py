"""`eventpipe verify-backends`: the same input into a DuckDB file and DuckLakes, compared.

The input is N pages made from a corpus folder of real pages (each page varied so that
every one holds a text of its own, as `eventpipe bench` makes them), and the articles of
incident story sets (written as files with sidecars, as the shared `sets_to_files.py`
writes them). Each backend gets the same ingests, in the same order, through the real
ingest flow in this process (Prefect's temporary API started once, before the clock):
a DuckDB file, a SQLite-catalog lake, and a PostgreSQL-catalog lake when a database is
given. With `dask_workers`, the file and the SQLite-catalog lake are filled once more
with the CPU stages on a Dask LocalCluster of that many workers (on the lake, the
workers store the batches themselves). Their events and incidents are then read and
compared (warehouse/compare.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.bench import DEFAULT_CORPUS, SHARED, source_pages, write_corpus
from tasks.errors import EventpipeError, UsageError
from warehouse.compare import Contents, differences, is_empty, read_contents
from warehouse.db import connect
from warehouse.lake import DATA_PATH_ENV

DEFAULT_SETS = SHARED / "eval" / "incident_sets_dev.jsonl"
# The figure: enough pages for several batches and some thousands of events.
DEFAULT_N = 1000
# Batches as `eventpipe ingest` makes them.
DEFAULT_BATCH = 200


@dataclass(slots=True)
class BackendRun:
    """One backend's ingests: seconds per input, what it holds, how it differs."""

    name: str
    db: str
    seconds: dict[str, float] = field(default_factory=dict)
    contents: Contents | None = None
    differences: list[str] = field(default_factory=list)


@dataclass(slots=True)
class VerifyReport:
    pages: int = 0
    corpus: str = ""
    set_articles: int = 0
    sets: str = ""
    backends: list[BackendRun] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return all(not b.differences for b in self.backends)


def write_sets(sets: Path, out: Path) -> int:
    """Each story set's articles as `<id>.txt` with a `<id>.meta.json` sidecar (title,
    source, date, a URL ending in the id), as the shared `sets_to_files.py` writes them."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    try:
        lines = sets.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read story sets {sets}: {exc.strerror}") from exc
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            articles = json.loads(line)["articles"]
            for art in articles:
                slug = re.sub(r"[^a-z0-9]+", "-", art["source"].lower()).strip("-") or "outlet"
                meta = {
                    "title": art.get("title"),
                    "source": art["source"],
                    "published": art["published"],
                    "url": f"https://{slug}.example/news/{art['id']}",
                }
                (out / f"{art['id']}.txt").write_text(art["text"], encoding="utf-8")
                sidecar = {k: v for k, v in meta.items() if v is not None}
                (out / f"{art['id']}.meta.json").write_text(json.dumps(sidecar), "utf-8")
                n += 1
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UsageError(f"{sets}, line {lineno}: not a story set ({exc!r})") from exc
    return n


@contextmanager
def _data_path(path: str) -> Iterator[None]:
    before = os.environ.get(DATA_PATH_ENV)
    os.environ[DATA_PATH_ENV] = path
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(DATA_PATH_ENV, None)
        else:
            os.environ[DATA_PATH_ENV] = before


Backend = tuple[str, str, str | None, bool]  # name, location, data path, on Dask


def _backends(work: Path, pg: str | None, dask: bool) -> list[Backend]:
    """Each warehouse to fill, the file first (the reference)."""
    found: list[Backend] = [
        ("duckdb file", str(work / "events.duckdb"), None, False),
        (
            "sqlite lake",
            f"ducklake:sqlite:{work / 'catalog.sqlite'}",
            str(work / "sqlite-files"),
            False,
        ),
    ]
    if pg:
        found.append(("postgres lake", f"ducklake:postgres:{pg}", str(work / "pg-files"), False))
    if dask:
        found.append(("file, dask", str(work / "dask.duckdb"), None, True))
        lake = f"ducklake:sqlite:{work / 'dask-catalog.sqlite'}"
        found.append(("lake, dask", lake, str(work / "dask-files"), True))
    return found


def verify_backends(
    n: int = DEFAULT_N,
    corpus: Path | None = None,
    sets: Path | None = None,
    pg: str | None = None,
    work_dir: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[str], None] = lambda what: None,
    dask_workers: int | None = None,
) -> VerifyReport:
    """Ingest `n` pages and the story sets `sets` into each backend, then compare them."""
    if n < 0 or batch_size < 1:
        raise UsageError("--n must be at least 0 and --batch-size at least 1")
    if dask_workers is not None and dask_workers < 1:
        raise UsageError("--dask-workers must be at least 1")
    work = work_dir or Path(tempfile.mkdtemp(prefix="eventpipe-verify-"))
    work.mkdir(parents=True, exist_ok=True)
    if any(work.iterdir()):
        raise UsageError(f"--work-dir {work} is not empty: give a new or empty folder")
    report = VerifyReport()
    inputs: list[tuple[str, Path]] = []
    try:
        if n:
            progress(f"writing {n} pages")
            pages = source_pages(corpus)
            real = f"{len(pages)} real pages in {corpus or DEFAULT_CORPUS}"
            report.corpus = real if pages else "generated news pages"
            report.pages = len(write_corpus(n, work / "pages", pages))
            inputs.append(("pages", work / "pages"))
        if sets is not None:
            report.sets = str(sets)
            report.set_articles = write_sets(sets, work / "sets")
            inputs.append(("sets", work / "sets"))
        if not inputs:
            raise UsageError("nothing to ingest: give --n above 0, or story sets")
        backends = _backends(work, pg, dask_workers is not None)
        _run_all(report, inputs, backends, batch_size, work, progress, dask_workers)
    finally:
        if work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return report


def _run_all(
    report: VerifyReport,
    inputs: list[tuple[str, Path]],
    backends: list[Backend],
    batch_size: int,
    work: Path,
    progress: Callable[[str], None],
    dask_workers: int | None = None,
) -> None:
    from flows.ingest import ingest_files
    from flows.runs import local_run_settings

    warm = work / "warmup.txt"
    warm.write_text("Police arrested ten protesters in Lagos on Monday.", encoding="utf-8")
    with local_run_settings(), _cluster(dask_workers, progress) as on_dask:
        progress("starting Prefect")
        ingest_files([str(warm)], db=str(work / "warmup.duckdb"))  # the API starts here
        for name, db, data, dask in backends:
            flow = on_dask if dask and on_dask is not None else ingest_files
            run = BackendRun(name, db)
            with _data_path(data or ""):
                with connect(db):
                    pass  # made and migrated with its data path
                if not is_empty(db):
                    raise UsageError(f"{name} {db} holds articles already: give an empty one")
                for label, folder in inputs:
                    progress(f"{name}: ingesting {label}")
                    started = time.perf_counter()
                    flow([str(folder)], db=db, batch_size=batch_size)
                    run.seconds[label] = time.perf_counter() - started
            run.contents = read_contents(db)
            report.backends.append(run)
    reference = report.backends[0].contents
    assert reference is not None
    if reference.orphans:
        report.backends[0].differences.append(f"{reference.orphans} orphaned rows")
    for run in report.backends[1:]:
        assert run.contents is not None
        run.differences = differences(reference, run.contents)
    if not reference.events:
        raise EventpipeError("the input gave no events: nothing was compared")


@contextmanager
def _cluster(workers: int | None, progress: Callable[[str], None]) -> Iterator[Any]:
    """The ingest flow on a LocalCluster of `workers` (one start-up for every Dask
    backend, outside their timings), or None without workers."""
    if workers is None:
        yield None
        return
    from flows.ingest import ingest_files
    from flows.runner import RunnerChoice, prepare_runner, start_local_cluster, with_runner

    prepare_runner(RunnerChoice("dask", None, workers))  # prefect-dask installed, or exit 2
    progress(f"starting a Dask LocalCluster of {workers} workers")
    with start_local_cluster(workers) as cluster:
        yield with_runner(ingest_files, RunnerChoice("dask", str(cluster.scheduler_address)))


def report_lines(report: VerifyReport) -> list[str]:
    """The report as printed: the input, a line per backend, the verdict."""
    parts = []
    if report.pages:
        parts.append(f"{report.pages:,} pages (from {report.corpus})")
    if report.sets:
        parts.append(f"{report.set_articles} story-set articles ({report.sets})")
    lines = ["input: " + ", ".join(parts)]
    for run in report.backends:
        c = run.contents
        assert c is not None
        timing = "  ".join(f"{k} {v:.1f} s" for k, v in run.seconds.items())
        verdict = "reference" if run is report.backends[0] else "identical"
        lines.append(
            f"{run.name:<14} {timing}  articles {c.articles:,}  events {len(c.events):,}"
            f"  incidents {len(c.incidents):,}  orphans {c.orphans}"
            f"  {'DIFFERS' if run.differences else verdict}"
        )
        lines += [f"  {d}" for d in run.differences]
    names = ", ".join(b.name for b in report.backends)
    lines.append(
        f"events and incidents identical on {names} (run stamps aside)"
        if report.identical
        else "NOT identical: see the differences above"
    )
    return lines
