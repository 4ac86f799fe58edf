"""The `eventpipe` command line: a thin shell over the flows and the warehouse."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

import flows  # noqa: F401  (sets Prefect's quiet, local environment first)
from tasks.errors import EventpipeError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="eventpipe: news articles to structured political event data in DuckDB.",
)
# Tables are wide; when output is not a terminal, do not fold them to 80 columns.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", envvar="EVENTPIPE_DB", help="DuckDB file (default warehouse/events.duckdb)."
    ),
]
# The table printed after a run shows this many events; the rest are a query away.
MAX_EVENTS_SHOWN = 50


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
    batch_size: Annotated[int, typer.Option(min=1, help="Articles per batch.")] = 200,
) -> None:
    """Run the file-ingestion flow over PATHS and show the events it stored."""
    from flows.ingest import ingest_files

    result = ingest_files([str(p) for p in paths], db=db, batch_size=batch_size)
    for rejection in result.rejections:
        err.print(f"[yellow]rejected[/] {rejection.detail}", highlight=False, soft_wrap=True)
    c = result.counts
    out.print(
        f"run {result.run_id}: {c.articles_seen} seen, {c.articles_new} new, "
        f"{c.articles_duplicate} duplicate, {c.articles_rejected} rejected, "
        f"{c.events_stored} new events",
        highlight=False,
        soft_wrap=True,
    )
    _print_run_events(result.db, result.run_id, c.events_stored)
    out.print(f"warehouse: {result.db}", highlight=False, soft_wrap=True)


def _print_run_events(db: str, run_id: str, n_events: int) -> None:
    if not n_events:
        return
    from warehouse.query import run_query

    res = run_query(
        "SELECT event_type, acled_sub_event_type, actor1, actor1_country, actor2, actor2_country,"
        " location, admin1, country, event_date, fatalities FROM events"
        f" WHERE run_id = '{run_id}' ORDER BY article_id, char_start, event_type"
        f" LIMIT {MAX_EVENTS_SHOWN}",
        db,
    )
    rows = []
    for etype, sub, a1, c1, a2, c2, location, admin1, country, day, dead in res.rows:
        place = ", ".join(dict.fromkeys(p for p in (location, admin1, country) if p))
        rows.append((
            f"{etype} / {sub}" if sub else etype, _actor(a1, c1), _actor(a2, c2), place,
            day, dead,
        ))
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
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="Read-only SQL (SELECT, EXPLAIN, PRAGMA).")],
    db: DbOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Run read-only SQL on the warehouse; writes are refused."""
    from warehouse.query import run_query

    res = run_query(sql, db)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(res.records(), default=str, ensure_ascii=False) + "\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(res.columns)
        writer.writerows(res.rows)
    else:
        out.print(_table(res.columns, res.rows))


@app.command()
def extract(
    cases: Annotated[Path, typer.Argument(help="Cases file (JSONL, ../shared/eval format).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Predictions file to write.")],
) -> None:
    """Run only the event coder on a cases file; write predictions for the scorer."""
    from tasks.extract import predict_cases

    try:
        lines = cases.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventpipeError(f"cannot read cases file {cases}: {exc}") from exc
    output.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with output.open("w", encoding="utf-8") as fh:
        for prediction in predict_cases(rows):
            fh.write(json.dumps(prediction, ensure_ascii=False) + "\n")
            n += 1
    err.print(f"wrote {n} predictions to {output}", highlight=False)


def main() -> None:
    """Console entry point: a whole-run failure is one clear line and exit code 1."""
    try:
        app()
    except EventpipeError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
