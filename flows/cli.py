"""The `eventpipe` command line: a thin shell over the flows and the warehouse."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

import flows  # noqa: F401  (sets Prefect's quiet, local environment first)
from flows.cli_common import (
    CONTROL,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    DataPathOption,
    DbOption,
    app,
    err,
    out,
    safe,
)
from tasks.clean import parse_published
from tasks.errors import EventpipeError, RunTerminated, UsageError
from tasks.runtime import terminating

if TYPE_CHECKING:
    from flows.runner import RunnerChoice
    from flows.skeleton import RunResult

# The table printed after a run shows this many events; the rest are a query away.
MAX_EVENTS_SHOWN = 50
# Failed URLs listed after a run, one line each; past this, a query shows them all.
MAX_FAILURES_SHOWN = 20


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Article files or folders (.txt, .html, .jsonl).")
    ],
    db: DbOption = None,
    data_path: DataPathOption = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Articles per batch.")] = 200,
    published: Annotated[
        str | None,
        typer.Option(
            help="Publication date (ISO) for articles that give none (no sidecar, page date"
            " or dateline): relative dates such as 'on Monday' resolve against it."
        ),
    ] = None,
    runner: RunnerOption = None,
    dask_address: DaskAddressOption = None,
    workers: WorkersOption = None,
) -> None:
    """Run the file-ingestion flow over PATHS and show the events it stored."""
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing and len(missing) == len(paths):
        names = ", ".join(str(p) for p in missing)
        raise UsageError(f"no such file or folder: {names}")
    if published is not None:
        _check_published(published)
    _check_db(db, data_path)
    choice = _runner(runner, dask_address, workers)
    from flows.ingest import ingest_files
    from flows.runner import with_runner

    with _one_run("files"):
        result = with_runner(ingest_files, choice)(
            [str(p) for p in paths], db=db, batch_size=batch_size, published=published
        )
    _print_result(result, "seen")
    raise typer.Exit(
        EXIT_OK if result.counts.articles_new + result.counts.articles_duplicate else EXIT_FAILED
    )


# Where the CPU stages run (flows/runner.py): the local pool, or Dask.
class Runner(StrEnum):
    local = "local"
    dask = "dask"


RunnerOption = Annotated[
    Runner | None,
    typer.Option(
        "--runner",
        help="Where parsing and coding run: the local process pool, or Dask workers"
        " (default $EVENTPIPE_RUNNER, else local).",
        show_default=False,
    ),
]
DaskAddressOption = Annotated[
    str | None,
    typer.Option(
        "--dask-address",
        help="With --runner dask: an existing scheduler, tcp://HOST:PORT (default"
        " $EVENTPIPE_DASK_ADDRESS, else a LocalCluster of --workers processes).",
        show_default=False,
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Worker processes: the local pool's, or the Dask LocalCluster's (default: the cores).",
        show_default=False,
    ),
]


def _runner(runner: Runner | None, address: str | None, workers: int | None) -> RunnerChoice:
    """The runner asked for, checked before Prefect starts (one line if it cannot be)."""
    from flows.runner import choose_runner, prepare_runner
    from tasks.parallel import WORKERS_ENV

    choice = choose_runner(runner.value if runner else None, address, workers)
    prepare_runner(choice)
    if choice.kind == "local" and workers is not None:
        os.environ[WORKERS_ENV] = str(workers)
    return choice


# Live sources (feeds and pages): thin commands over flows/live.py.
AllowPrivateOption = Annotated[
    bool,
    typer.Option(
        "--allow-private-hosts",
        help="Let fetches reach loopback and private addresses (a local site, tests).",
    ),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Feeds file (default seeds/feeds.toml).")
]


@app.command("ingest-feeds")
def ingest_feeds_command(
    config: ConfigOption = None,
    db: DbOption = None,
    data_path: DataPathOption = None,
    allow_private_hosts: AllowPrivateOption = False,
    force: Annotated[
        bool, typer.Option("--force", help="Poll every feed now, due or not.")
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option(min=1, help="Feeds per batch (their pages are stored in one transaction)."),
    ] = 10,
    runner: RunnerOption = None,
    dask_address: DaskAddressOption = None,
    workers: WorkersOption = None,
) -> None:
    """Poll the feeds of a TOML file, fetch their new pages and store their events."""
    from tasks.fetch.feeds import load_config

    feeds_file = load_config(config, allow_private_hosts=allow_private_hosts or None)
    if feeds_file.problems:
        for problem in feeds_file.problems:
            err.print(f"[red]bad_config[/] {safe(problem.detail)}", highlight=False)
        where = config or "seeds/feeds.toml"
        raise UsageError(f"{len(feeds_file.problems)} bad [[feeds]] table(s) in {where}")
    if not feeds_file.feeds:
        raise UsageError(f"no [[feeds]] in {config or 'seeds/feeds.toml'}")
    _check_db(db, data_path)
    choice = _runner(runner, dask_address, workers)
    from flows.live import ingest_feeds
    from flows.runner import with_runner

    with _one_run("feeds"):
        result = with_runner(ingest_feeds, choice)(
            str(config) if config else None,
            db,
            allow_private_hosts,
            batch_size=batch_size,
            force=force,
        )
    _print_result(result, "links")
    from tasks.records import SUCCESS_OUTCOMES

    polled = any(
        s.outcome in SUCCESS_OUTCOMES or s.outcome.startswith("not due") for s in result.sources
    )
    raise typer.Exit(EXIT_OK if polled else EXIT_FAILED)


@app.command("ingest-urls")
def ingest_urls_command(
    urls: Annotated[list[str], typer.Argument(help="Pages to fetch (http or https).")],
    db: DbOption = None,
    data_path: DataPathOption = None,
    allow_private_hosts: AllowPrivateOption = False,
    config: Annotated[
        Path | None, typer.Option("--config", help="A feeds file to take the fetch settings from.")
    ] = None,
    runner: RunnerOption = None,
    dask_address: DaskAddressOption = None,
    workers: WorkersOption = None,
) -> None:
    """Fetch single pages and store their articles and events."""
    if config is not None:
        from tasks.fetch.feeds import load_config

        load_config(config)  # a bad file is a usage error, found before any work
    _check_db(db, data_path)
    choice = _runner(runner, dask_address, workers)
    from flows.live import ingest_urls
    from flows.runner import with_runner

    with _one_run("URLs"):
        result = with_runner(ingest_urls, choice)(
            urls, db, allow_private_hosts, str(config) if config else None
        )
    _print_result(result, "links")
    raise typer.Exit(
        EXIT_OK if result.counts.articles_new + result.counts.articles_duplicate else EXIT_FAILED
    )


def _print_result(result: RunResult, seen: str) -> None:
    """What any flow run did: refusals (one line each), totals, then the events it stored.

    `seen` names what the totals count (articles of files, links of feeds and pages).
    """
    for rejection in result.rejections:
        err.print(f"[yellow]rejected[/] {safe(rejection.detail)}", highlight=False, soft_wrap=True)
    for failure in result.failures[:MAX_FAILURES_SHOWN]:
        err.print(
            f"[yellow]{failure.outcome}[/] {failure.kind} {safe(failure.url)}:"
            f" {safe(failure.detail)}",
            highlight=False,
            soft_wrap=True,
        )
    if result.failures:
        from warehouse.reads import failed_fetches_query

        more = len(result.failures) - MAX_FAILURES_SHOWN
        shown = f"{more} more URLs failed; see" if more > 0 else "see"
        err.print(
            f"{shown} every failed URL with: eventpipe query"
            f' "{failed_fetches_query(result.run_id)}"',
            highlight=False,
            soft_wrap=True,
        )
    _print_totals(result.run_id, result.counts, seen)
    for source in result.sources:
        if source.outcome.startswith("not due"):
            out.print(
                f"feed {safe(source.source)}: {source.outcome}", highlight=False, soft_wrap=True
            )
    if result.undated:
        out.print(
            f"[yellow]{result.undated} new article(s) have no publication date[/]: relative dates"
            " in them ('on Monday') are left empty. Give one with a sidecar <name>.meta.json,"
            " a date line at the top of the text, or --published DATE.",
            highlight=False,
            soft_wrap=True,
        )
    if result.outcomes:
        counts = ", ".join(f"{k} {n}" for k, n in sorted(result.outcomes.items()))
        out.print(f"fetches: {escape(counts)}", highlight=False, soft_wrap=True)
    if result.runner is not None:
        out.print(f"cpu stages: {safe(result.runner)}", highlight=False, soft_wrap=True)
    if result.export_path is not None:
        out.print(
            f"exported {result.exported_events} events to {safe(result.export_path)}",
            highlight=False,
            soft_wrap=True,
        )
    if result.orphaned_files:
        out.print(
            f"deleted {len(result.orphaned_files)} data files no commit references",
            highlight=False,
            soft_wrap=True,
        )
    if result.report_line is not None:
        out.print(safe(result.report_line), highlight=False, soft_wrap=True)
    _print_run_events(result.db, result.run_id, result.counts.events_stored)


class _DropExpectedFailures(logging.Filter):
    """Drop Prefect's logs of failures that the CLI reports itself, as one line.

    An `EventpipeError` (a locked or broken warehouse...) is shown once, clearly,
    by `main`; any other exception is a bug and keeps Prefect's full traceback.
    """

    def __init__(self) -> None:
        super().__init__()
        names = {EventpipeError.__name__, RunTerminated.__name__}
        names |= {cls.__name__ for cls in _subclasses(EventpipeError)}
        self.markers = tuple(f"{n}{sep}" for n in names for sep in ("(", ":"))

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and terminating():
            return False  # what fails as a run is stopped is the stop, reported once
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:  # ours, or raised while handling ours
            if isinstance(exc, EventpipeError | RunTerminated):
                return False
            exc = exc.__cause__ or exc.__context__
        if record.levelno < logging.ERROR:
            return True
        message = record.getMessage()
        return not any(marker in message for marker in self.markers)


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    subs: list[type] = cls.__subclasses__()
    for sub in subs:
        found += [sub, *_subclasses(sub)]
    return found


def _check_db(db: str | None, data_path: str | None = None) -> None:
    """Refuse a database path that cannot be a warehouse in one line, before Prefect starts.

    A DuckLake's data path goes to the run through $EVENTPIPE_DATA_PATH (its steps open
    the warehouse by `--db` alone)."""
    from warehouse.db import check_location
    from warehouse.lake import DATA_PATH_ENV

    if data_path:
        os.environ[DATA_PATH_ENV] = data_path
    check_location(db, inspect=True)


@contextmanager
def _one_run(unit: str = "inputs") -> Iterator[None]:
    """Flow runs started from the command line: expected failures are reported
    once, by `main`, runs on the temporary API skip heartbeats, SIGTERM stops the
    whole command as it stops a run, child processes end with this one, and a
    terminal shows a progress bar (`unit` names what it counts: files, feeds, URLs)."""
    from flows.runs import CLI_RUN_ENV, local_run_settings
    from tasks.lifeline import start_reaper
    from tasks.runtime import sigterm_ends_run

    start_reaper()
    _quiet_expected_failures()
    before = os.environ.get(CLI_RUN_ENV)
    os.environ[CLI_RUN_ENV] = "1"
    try:
        with local_run_settings(), sigterm_ends_run(), _progress_bar(unit):
            yield
    finally:  # a caller that goes on after this run (a test, a script) is not a CLI run
        if before is None:
            os.environ.pop(CLI_RUN_ENV, None)
        else:
            os.environ[CLI_RUN_ENV] = before


@contextmanager
def _progress_bar(unit: str) -> Iterator[None]:
    """A rich progress bar on stderr when it is a terminal; nothing at all otherwise."""
    if not err.is_terminal:
        yield
        return
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from flows.skeleton import progress_to

    started = time.monotonic()
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        console=err,
        transient=True,
    )
    task = bar.add_task(unit, total=None, rate="")

    def show(result: RunResult, done: int, total: int) -> None:
        c = result.counts
        per_s = c.articles_seen / max(time.monotonic() - started, 1e-6)
        rate = f"{per_s:.1f} articles/s, {c.articles_new} new, {c.events_stored} events"
        bar.update(task, completed=done, total=total, rate=rate)

    with bar, progress_to(show):
        yield


def _quiet_expected_failures() -> None:
    for name in (
        "prefect.task_runs",
        "prefect.flow_runs",
        "prefect.task_engine",
        "prefect.flow_engine",
        "prefect.engine",
        # The temporary API's database connections, reset while a SIGTERM unwinds the
        # process: "Exception during reset or similar", a traceback about the stop.
        "sqlalchemy.pool",
        # A parent logger's filters do not apply to its children's records: the pool
        # class logs under its own name.
        "sqlalchemy.pool.impl.AsyncAdaptedQueuePool",
        "sqlalchemy.pool.impl.QueuePool",
        "sqlalchemy.pool.impl.NullPool",
    ):
        logging.getLogger(name).addFilter(_DropExpectedFailures())


def _print_totals(run_id: str, c: Any, seen: str) -> None:
    """The run's one-line totals (`seen` names what was counted: files' articles, links)."""
    out.print(
        f"run {run_id}: {c.articles_seen} {seen}, {c.articles_new} new, "
        f"{c.articles_duplicate} duplicate, {c.articles_rejected} rejected, "
        f"{c.events_stored} new events",
        highlight=False,
        soft_wrap=True,
    )


def _print_run_events(db: str, run_id: str, n_events: int) -> None:
    """The table of the run's stored events (when it stored any), then the warehouse path."""
    if n_events:
        _print_events_table(db, run_id, n_events)
    out.print(f"warehouse: {safe(db)}", highlight=False, soft_wrap=True)


def _print_events_table(db: str, run_id: str, n_events: int) -> None:
    from warehouse.reads import run_events

    rows = []
    for event in run_events(db, run_id, MAX_EVENTS_SHOWN):
        etype, sub, a1, c1, a2, c2, location, admin1, country, day, dead = event.values()
        place = ", ".join(dict.fromkeys(p for p in (location, admin1, country) if p))
        rows.append(
            (
                f"{etype} / {sub}" if sub else etype,
                _actor(a1, c1),
                _actor(a2, c2),
                place,
                day,
                dead,
            )
        )
    title = f"events stored by this run ({min(n_events, MAX_EVENTS_SHOWN)} of {n_events})"
    columns = ["type", "actor 1", "actor 2", "place", "date", "killed"]
    out.print(_table(columns, rows, title))


def _actor(name: str | None, country: str | None) -> str:
    if name and country:
        return f"{name} ({country})"
    return name or country or ""


def _table(columns: list[str], rows: list[tuple[Any, ...]], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    for name in columns:
        table.add_column(Text(name), overflow="fold")
    for row in rows:  # Text, not str: "[red]" in data is data, not rich markup
        table.add_row(*(Text("" if v is None else CONTROL.sub(" ", str(v))) for v in row))
    return table


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="Read-only SQL (SELECT, EXPLAIN, PRAGMA).")],
    db: DbOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.1, help="Stop the query after SECONDS (default 60)."),
    ] = None,
) -> None:
    """Run read-only SQL on the warehouse; writes are refused."""
    from warehouse.query import run_query

    res = run_query(sql, db, timeout_s=timeout)
    if fmt is Format.json:
        records = [{k: _json_value(v) for k, v in r.items()} for r in res.records()]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, allow_nan=False) + "\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(res.columns)
        writer.writerows(res.rows)
    else:
        out.print(_table(res.columns, res.rows))


def _json_value(value: Any) -> Any:
    """A JSON-safe value: ISO dates, hex blobs, null for NaN and infinities."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


@app.command()
def extract(
    cases: Annotated[Path, typer.Argument(help="Cases file (JSONL, ../shared/eval format).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Predictions file to write.")],
) -> None:
    """Run only the event coder on a cases file; write predictions for the scorer."""
    from tasks.extract import predict_cases

    rows = read_cases(cases)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target, then rename: a failure never leaves half a file.
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for prediction in predict_cases(rows):
                fh.write(json.dumps(prediction, ensure_ascii=False) + "\n")
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    err.print(f"wrote {len(rows)} predictions to {escape(str(output))}", highlight=False)


@app.command()
def explain(
    article: Annotated[
        str, typer.Argument(help="An article file (coded now) or a stored article id or prefix.")
    ],
    db: DbOption = None,
) -> None:
    """Show each event of one article with the words that set each field."""
    from flows.explain import explain as explain_article
    from flows.explain import render

    for part in render(explain_article(article, db)):
        out.print(part, highlight=False)


@app.command()
def incident(
    incident_id: Annotated[str, typer.Argument(help="An incident id (or its first characters).")],
    db: DbOption = None,
) -> None:
    """Show one incident: its best fields, then its reports side by side."""
    from warehouse.reads import INCIDENT_REPORT_COLUMNS
    from warehouse.reads import incident as read_incident

    best, reports = read_incident(db, incident_id)
    if best is None:
        if reports:
            raise UsageError(f"incident id prefix {incident_id!r} matches several incidents")
        raise EventpipeError(f"no incident with id {incident_id!r}")
    fields = [(k, v) for k, v in best.items() if v is not None]
    out.print(_table(["field", "value"], fields, title=f"incident {best['incident_id']}"))
    rows = [tuple(r[c] for c in INCIDENT_REPORT_COLUMNS) for r in reports]
    out.print(_table(list(INCIDENT_REPORT_COLUMNS), rows, title=f"{len(reports)} report(s)"))


@app.command()
def bench(
    n: Annotated[int, typer.Option("--n", min=1, help="Pages in the corpus.")] = 200,
    corpus: Annotated[
        Path | None, typer.Option(help="A folder of .html pages (default: ../shared's).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    rss_scale: Annotated[
        int, typer.Option(min=0, help="Also run at this many times N for peak RSS (0: skip).")
    ] = 10,
    copies: Annotated[
        int, typer.Option(min=1, help="Byte-different pages per text (1: all texts distinct).")
    ] = 5,
    long_mb: Annotated[
        float, typer.Option(min=0, help="MB of the long article the coder is timed on (0: skip).")
    ] = 1.0,
    link_events: Annotated[
        int,
        typer.Option(min=0, help="Linked events stored when 1,000 new ones are linked (0: skip)."),
    ] = 1_000_000,
    band_articles: Annotated[
        int,
        typer.Option(
            min=0, help="Articles' signatures stored for the near-duplicate look-up (0: skip)."
        ),
    ] = 100_000,
    runner: RunnerOption = None,
    dask_address: DaskAddressOption = None,
    workers: WorkersOption = None,
) -> None:
    """Measure each stage and the whole flow on N pages (a benchmark, minutes long).

    With --runner dask the flow also runs with its stages on Dask, over the same pages,
    and its pages/s is printed beside the local pool's."""
    from flows.bench import as_json as bench_json
    from flows.bench import report_lines, run_bench
    from flows.runner import choose_runner, prepare_runner

    choice = choose_runner(runner.value if runner else None, dask_address, workers)
    prepare_runner(choice)

    if err.is_terminal:
        with err.status("bench: starting") as status:
            report = run_bench(
                n,
                corpus,
                rss_scale,
                copies,
                long_mb,
                progress=lambda what: status.update(f"bench: {what}"),
                link_events=link_events,
                band_articles=band_articles,
                runner=choice,
            )
    else:
        report = run_bench(
            n,
            corpus,
            rss_scale,
            copies,
            long_mb,
            link_events=link_events,
            band_articles=band_articles,
            runner=choice,
        )
    if as_json:
        sys.stdout.write(bench_json(report) + "\n")
    else:
        for line in report_lines(report):
            out.print(line, highlight=False, soft_wrap=True)


@app.command("verify-backends")
def verify_backends_command(
    corpus: Annotated[
        Path | None,
        typer.Option(help="Folder of .html pages to vary (default the shared benchmark pages)."),
    ] = None,
    n: Annotated[int, typer.Option("--n", min=0, help="Pages to ingest (0: none).")] = 1000,
    sets: Annotated[
        Path | None,
        typer.Option(help="Incident story sets (JSONL; default the shared dev sets if present)."),
    ] = None,
    story_sets: Annotated[
        bool, typer.Option(help="Ingest the story sets too (--no-story-sets: pages only).")
    ] = True,
    pg: Annotated[
        str | None,
        typer.Option(
            help="libpq conninfo of an empty PostgreSQL database: a third, PostgreSQL-catalog"
            " lake (it keeps the lake; its files go under --work-dir).",
            show_default=False,
        ),
    ] = None,
    work_dir: Annotated[
        Path | None,
        typer.Option(help="Empty folder to keep the inputs and warehouses in (default: removed)."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Articles per batch.")] = 200,
    dask_workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Also fill a file and a SQLite-catalog lake with --runner dask on a"
            " LocalCluster of this many workers (the lake's workers store the batches).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Ingest the same pages and story sets into a DuckDB file and DuckLakes; say whether
    their events and incidents are identical (exit 1 if not), with counts and timings."""
    from flows.verify import DEFAULT_SETS, report_lines, verify_backends

    chosen = sets or (DEFAULT_SETS if DEFAULT_SETS.is_file() else None)
    if sets is not None and not sets.is_file():
        raise UsageError(f"no story sets file at {sets}")
    _quiet_expected_failures()
    with err.status("verify-backends") as status:
        report = verify_backends(
            n,
            corpus,
            chosen if story_sets else None,
            pg,
            work_dir,
            batch_size,
            progress=lambda what: status.update(f"verify-backends: {what}"),
            dask_workers=dask_workers,
        )
    for line in report_lines(report):
        out.print(safe(line), highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK if report.identical else EXIT_FAILED)


@app.command()
def serve(
    config: Annotated[
        Path | None, typer.Option(help="Feeds and [serve] settings (default seeds/feeds.toml).")
    ] = None,
    db: DbOption = None,
    allow_private_hosts: Annotated[
        bool, typer.Option(help="Let feeds and pages on loopback or private addresses in.")
    ] = False,
) -> None:
    """Serve the deployments on their schedules (needs a Prefect server; see README)."""
    from flows.serve import deployments, describe, plan, serve_plan

    p = plan(config, db, allow_private_hosts)
    for d in deployments(p):
        out.print(f"deployment {describe(d)}", highlight=False, soft_wrap=True)
    _quiet_expected_failures()
    serve_plan(p)


@app.command()
def maintain(
    db: DbOption = None,
    data_path: DataPathOption = None,
    recode: Annotated[bool, typer.Option(help="Re-code articles coded by an older coder.")] = True,
    export: Annotated[bool, typer.Option(help="Export events_view to Parquet.")] = True,
    report: Annotated[
        bool, typer.Option(help="Refresh the HTML report (exports/report.html).")
    ] = True,
) -> None:
    """Run the maintenance flow once, now (what `serve` runs nightly)."""
    _check_db(db, data_path)
    from flows.maintenance import maintenance

    with _one_run("articles re-coded"):
        result = maintenance(db=db, recode=recode, export=export, report=report)
    _print_result(result, "re-coded")
    raise typer.Exit(EXIT_OK)


def read_cases(path: Path) -> list[dict[str, Any]]:
    """Cases of the eval format, checked line by line so a bad one is named."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise EventpipeError(f"cannot read cases file {path}: {exc}") from exc
    cases = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"cannot read cases file {path}, line {lineno}"
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EventpipeError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(case, dict) or "id" not in case or not isinstance(case.get("text"), str):
            raise EventpipeError(f"{where}: needs an object with an 'id' and a string 'text'")
        published = case.get("published")
        if published is not None:
            # Dates or date-times, as `ingest` takes them: the coder needs the day.
            try:
                parsed = parse_published(published)
                case["published"] = parsed.date().isoformat() if parsed else None
            except (TypeError, ValueError) as exc:
                raise EventpipeError(
                    f"{where}: 'published' must be an ISO date or date-time, or null ({exc})"
                ) from exc
        cases.append(case)
    return cases


def _check_published(value: str) -> None:
    try:
        parse_published(value)
    except ValueError as exc:
        raise UsageError(f"--published {value}: {exc}") from exc


# The analysts' commands live in a module of their own; importing it registers them.
from flows import cli_exports  # noqa: E402, F401


def main() -> None:
    """Console entry point: a whole-run failure is one clear line.

    Exit codes: 0 the run did its work (rejections and all), 1 the run failed or
    nothing it was asked to do succeeded, 2 a usage or configuration error.
    """
    try:
        app()
    except UsageError as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
        raise SystemExit(EXIT_USAGE) from None
    except (EventpipeError, RunTerminated) as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
        raise SystemExit(EXIT_FAILED) from None


if __name__ == "__main__":
    main()
