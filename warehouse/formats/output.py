"""Where an export goes: a file written whole or not at all, or stdout (`-`)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from warehouse.errors import EventpipeError, UsageError, storage_problem
from warehouse.formats.selection import Selection, Written

STDOUT = "-"


def check_target(path: str, text: bool, folder: bool) -> None:
    """Refuse, in one line and before any work, a target the format cannot be written to:
    `-` for a format that is not text, a folder for one written to a file, a file for
    one written to a folder."""
    if path == STDOUT:
        if not text:
            raise UsageError("-o -: this format is not text; give a folder to write it to")
        return
    target = Path(path)
    if target.is_dir() and not folder:
        raise UsageError(f"-o {path}: is a folder; give a file name (or - for stdout)")
    if target.exists() and not target.is_dir() and not text:
        raise UsageError(f"-o {path}: is a file; give a folder to write the tables to")


@contextmanager
def text_target(path: str) -> Iterator[TextIO]:
    """A text stream to `path`, renamed into place only when the export completes
    (so a failed export leaves no half file), or stdout for `-`."""
    if path == STDOUT:
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise EventpipeError(f"cannot write {path}: {storage_problem(exc)}") from exc
    try:
        # newline="": the csv module writes its own line ends (\r\n, as ACLED's files have).
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(tmp, target)
    except OSError as exc:
        raise EventpipeError(f"cannot write {path}: {storage_problem(exc)}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def folder_target(path: str) -> Iterator[Path]:
    """A fresh folder beside `path` to write into; on success, each entry written there
    replaces the entry of the same name in `path` (others in `path` are left alone)."""
    target = Path(path)
    try:
        target.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    except OSError as exc:
        raise EventpipeError(f"cannot write {path}: {storage_problem(exc)}") from exc
    try:
        yield fresh
        for entry in sorted(fresh.iterdir()):
            old = target / entry.name
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            elif old.exists() or old.is_symlink():
                old.unlink()
            os.replace(entry, old)
    except OSError as exc:
        raise EventpipeError(f"cannot write {path}: {storage_problem(exc)}") from exc
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def to_text_file(
    write: Callable[[Any, Selection, TextIO], Written],
) -> Callable[..., Written]:
    """A writer to a stream (GDELT, PLOVER) as an export to a path: the file is written
    whole or not at all, or the rows go to stdout for `-`."""

    def export(
        db: str | os.PathLike[str] | None, selection: Selection, path: str, progress: object = None
    ) -> Written:
        with text_target(path) as out:
            return write(db, selection, out)

    return export
