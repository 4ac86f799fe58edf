"""The commands that hand the warehouse to analysts' tools: `export` (ACLED, GDELT,
PLOVER, Parquet, CSV) and `report` (one offline HTML file)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli_common import DbOption, app, err, safe
from tasks.errors import UsageError


class ExportFormat(StrEnum):
    acled = "acled"
    gdelt = "gdelt"
    gdelt_mentions = "gdelt-mentions"
    plover = "plover"
    parquet = "parquet"
    csv = "csv"


class ExportLevel(StrEnum):
    incidents = "incidents"
    events = "events"


if TYPE_CHECKING:
    from collections.abc import Callable

    from warehouse.formats.selection import Selection, Written

    ExportProgress = Callable[[int, int], None]
    Writer = Callable[[str | None, Selection, str, ExportProgress | None], Written]


def _export_writers(header: bool = False) -> dict[str, tuple[Writer, bool, bool]]:
    """Each export format's writer, whether it is text (so `-o -` may name stdout), and
    whether it may be written to a folder. `header`: GDELT's tables get a line of column
    names (GDELT ships none)."""
    from functools import partial

    from warehouse.formats import gdelt
    from warehouse.formats.acled import export_acled
    from warehouse.formats.output import to_text_file
    from warehouse.formats.plover import write_plover
    from warehouse.formats.tables import export_tables

    return {
        ExportFormat.acled: (export_acled, True, False),
        ExportFormat.gdelt: (to_text_file(partial(gdelt.write_events, header=header)), True, False),
        ExportFormat.gdelt_mentions: (
            to_text_file(partial(gdelt.write_mentions, header=header)),
            True,
            False,
        ),
        ExportFormat.plover: (to_text_file(write_plover), True, False),
        ExportFormat.parquet: (partial(export_tables, fmt="parquet"), False, True),
        ExportFormat.csv: (partial(export_tables, fmt="csv"), True, True),
    }


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Export format.")],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="A file (acled, csv), a folder (parquet; csv's three tables), or - for stdout.",
        ),
    ],
    level: Annotated[
        ExportLevel, typer.Option(help="One row per incident, or per event (report).")
    ] = ExportLevel.incidents,
    since: Annotated[
        str | None, typer.Option(help="First day (YYYY-MM-DD); undated rows are left out.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day (YYYY-MM-DD); undated rows are left out.")
    ] = None,
    country: Annotated[
        list[str] | None,
        typer.Option(help="ISO 3166 alpha-3 code (AFG, KEN...); repeat for several."),
    ] = None,
    header: Annotated[
        bool, typer.Option(help="GDELT: a first line of column names (GDELT ships none).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Export incidents or events as ACLED, GDELT (events, mentions), PLOVER, Parquet or
    CSV, for analysts' tools."""
    from warehouse.formats.countries import known_countries
    from warehouse.formats.output import check_target
    from warehouse.formats.selection import make_selection

    selection = make_selection(level.value, since, until, country, known_countries())
    write, text, folder = _export_writers(header)[fmt]
    check_target(output, text, folder)
    with _export_bar(selection.level) as progress:
        written = write(db, selection, output, progress)
    where = "stdout" if output == "-" else safe(output)
    line = f"exported {written.rows} {selection.level} to {where}"
    if written.left_out:
        line += f" ({written.left_out} left out: {safe(written.left_out_why)})"
    if not written.rows:
        line += ": the selection holds none"
    err.print(line, highlight=False, soft_wrap=True)


@contextmanager
def _export_bar(unit: str) -> Iterator[ExportProgress | None]:
    """A rich progress bar on stderr when it is a terminal (stdout may be the export)."""
    if not err.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task(f"export {unit}", total=None)

    def show(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield show


@app.command()
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")],
    since: Annotated[str | None, typer.Option(help="First day of incidents (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day of incidents (YYYY-MM-DD).")] = None,
    country: Annotated[
        list[str] | None,
        typer.Option("--country", help="ISO 3166 alpha-3 code; repeat for several (default all)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write one self-contained HTML report (opens offline): timeline, map, actors, runs."""
    from flows.report.page import write_report
    from warehouse.formats.countries import known_countries
    from warehouse.formats.selection import make_selection

    selection = make_selection("incidents", since, until, country, known_countries())
    if output.is_dir():
        raise UsageError(f"-o {output} is a folder: give the HTML file to write")
    summary = write_report(db, selection, output)
    err.print(safe(summary.line()), highlight=False, soft_wrap=True)
