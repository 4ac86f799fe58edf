"""What every command shares: the typer app, the consoles, the warehouse options, exit
codes, and `safe` for text that goes to a terminal."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

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
        "--db",
        envvar="EVENTPIPE_DB",
        help="DuckDB file (default warehouse/events.duckdb), or a DuckLake:"
        " ducklake:postgres:<conninfo>, ducklake:sqlite:<path>, ducklake:duckdb:<path>.",
    ),
]
DataPathOption = Annotated[
    str | None,
    typer.Option(
        "--data-path",
        envvar="EVENTPIPE_DATA_PATH",
        help="Where a new DuckLake keeps its Parquet files (a folder or object storage URL).",
    ),
]
# Exit codes (README: "Exit codes"): the run did its work, rejections and all; the run
# failed or nothing it was asked to do succeeded; a usage or configuration error.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# C0 and C1 control characters (newline, ESC, OSC...): never written raw to a terminal.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe(text: object) -> str:
    """Text fit to print: control characters shown as escapes, rich markup escaped.

    A file named `a\nrejected fake.txt` cannot forge a second line, and one
    holding `ESC[2J` cannot clear the screen.
    """
    shown = CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(text))
    return escape(shown)
