"""Load stage: find article files and read them into raw documents.

Reads `.txt`, `.html`/`.htm` and `.jsonl` files, with an optional JSON
sidecar (`<stem>.meta.json`) giving title, url, published and language.
Bad input becomes a `Rejection` carrying a reason code and a one-line
message; nothing here raises for a bad file. File types are checked
before a file is opened (a FIFO would hang the run, a device read without
end), and every string is made storable (lone surrogates from JSON escapes
or undecodable file names are replaced or shown as escapes).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from tasks.models import Rejection, RejectReason
from tasks.text import path_label, storable

TEXT_SUFFIXES = {".txt"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
ARTICLE_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
SIDECAR_SUFFIX = ".meta.json"
# Files a folder walk passes over without a rejection: sidecars, and the
# config and docs that live beside articles (seeds/ holds feeds.toml, READMEs).
FOLDER_IGNORED_SUFFIXES = {".toml", ".md", ".yaml", ".yml"}
# A NUL byte within the first block is the cheap, reliable mark of a binary file.
BINARY_SNIFF_BYTES = 8192
# Refuse files no news article approaches, before reading them into memory.
MAX_FILE_BYTES = 20 * 1024 * 1024
# A sidecar holds a few short fields (title, url, date, language, source): 64 KiB
# is a hundred times what one needs, and bounds what a wrong file costs to read.
MAX_SIDECAR_BYTES = 64 * 1024
# Files are read in chunks of this size: few system calls, no large transient buffer.
READ_CHUNK_BYTES = 1024 * 1024
META_KEYS = {"title", "url", "published", "language", "source"}

PayloadKind = Literal["text", "html"]
# Lines of a `.jsonl` file to read: the first (1-based) and the end (excluded; None: no end).
LineRange = tuple[int, int | None]


@dataclass(slots=True)
class RawDoc:
    """One article as read from disk: undecoded HTML or decoded text, plus metadata."""

    source: str
    kind: PayloadKind
    payload: str | bytes
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def raw_sha256(self) -> str:
        """Hash of the payload and its metadata: the same input read again hashes the same."""
        digest = hashlib.sha256(self.kind.encode())
        payload = self.payload
        # surrogatepass: the loader makes text storable, but a hash must never be
        # what crashes a run; valid text hashes exactly as plain UTF-8.
        data = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")
        digest.update(data)
        digest.update(json.dumps(self.meta, sort_keys=True).encode("utf-8"))
        return digest.hexdigest()


def discover(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Rejection]]:
    """Expand files and folders (recursively, sorted) into candidate article files.

    A missing path, a named file with an unknown extension or that is not a
    regular file, and a folder holding no article file are rejections, and so
    is each FIFO, device, socket, broken link or link loop a folder walk meets.
    """
    found: list[Path] = []
    rejections: list[Rejection] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        label = path_label(path)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR) and not path.is_symlink():
                rejections.append(Rejection(label, "missing", f"{label}: no such file or folder"))
            else:  # a link loop, a broken link, a folder we may not enter
                rejections.append(Rejection(label, "unreadable", f"{label}: {os_problem(exc)}"))
            continue
        if stat.S_ISDIR(mode):
            walked, walk_rejections = walk_folder(path)
            rejections.extend(walk_rejections)
            candidates = [p for p in walked if not is_sidecar(p)]
            if not candidates:
                rejections.append(
                    Rejection(label, "empty", f"{label}: folder holds no article files")
                )
        elif not stat.S_ISREG(mode):
            rejections.append(Rejection(label, "unreadable", f"{label}: {not_regular(mode)}"))
            continue
        else:
            candidates = [path]
        for cand in candidates:
            resolved = cand.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            if cand.suffix.lower() not in ARTICLE_SUFFIXES:
                cand_label = path_label(cand)
                suffix = storable(cand.suffix)
                rejections.append(
                    Rejection(
                        cand_label,
                        "unknown_extension",
                        f"{cand_label}: unknown extension {suffix or '(none)'!r}; "
                        f"expected one of {', '.join(sorted(ARTICLE_SUFFIXES))}",
                    )
                )
                continue
            found.append(cand)
    return found, rejections


def walk(root: Path) -> list[Path]:
    """Regular files below `root`, sorted (see `walk_folder`, which also says what it refused)."""
    return walk_folder(root)[0]


def walk_folder(root: Path) -> tuple[list[Path], list[Rejection]]:
    """Regular files below `root`, sorted, following folder links once each.

    Hidden files and folders, and the config and docs listed in
    FOLDER_IGNORED_SUFFIXES, are passed over; any other entry that is not a
    regular file (FIFO, device, socket, broken link, link loop) is a rejection,
    found with stat alone: it is never opened.
    """
    out: list[Path] = []
    rejections: list[Rejection] = []
    visited: set[Path] = set()
    for folder, dirnames, filenames in os.walk(root, followlinks=True):
        real = Path(folder).resolve()
        if real in visited:  # a link back up the tree: do not loop
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            file = Path(folder) / name
            if name.startswith(".") or file.suffix.lower() in FOLDER_IGNORED_SUFFIXES:
                continue
            problem = file_type_problem(file)
            if problem is None:
                out.append(file)
            else:
                label = path_label(file)
                rejections.append(Rejection(label, "unreadable", f"{label}: {problem}"))
    return sorted(out), sorted(rejections, key=lambda r: r.source)


def file_type_problem(path: Path) -> str | None:
    """Why `path` (links followed) is not a regular file to read, by stat alone; None if it is."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return os_problem(exc)
    return None if stat.S_ISREG(mode) else not_regular(mode)


def not_regular(mode: int) -> str:
    """A one-line message naming the kind of a non-regular file."""
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    kind = next((name for test, name in kinds if test(mode)), "of an unknown kind")
    return f"not a regular file ({kind})"


def os_problem(exc: OSError) -> str:
    """A one-line message for an OS error, naming link loops and broken links plainly."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "broken symbolic link (its target does not exist)"
    return storable(exc.strerror or str(exc))


class NotRegularFile(Exception):
    """A file that is not read: not a regular file, too large, or failing to open."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes.

    The type is checked with stat before opening (a FIFO is never opened, so
    never waited on; a device is never read), opened non-blocking and checked
    again on the open file (a file swapped in between is still caught), and
    read to at most `limit` + 1 bytes (a file that grew is still refused).
    Raises NotRegularFile with its reason code.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise NotRegularFile("unreadable", os_problem(exc)) from None
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile("unreadable", not_regular(info.st_mode))
    if info.st_size > limit:
        raise NotRegularFile("too_large", f"{info.st_size} bytes is over {limit}")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise NotRegularFile("unreadable", os_problem(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile("unreadable", not_regular(info.st_mode))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, READ_CHUNK_BYTES))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise NotRegularFile("unreadable", os_problem(exc)) from None
    finally:
        os.close(fd)
    if size > limit:
        raise NotRegularFile("too_large", f"over {limit} bytes")
    return b"".join(chunks)


def is_sidecar(path: Path) -> bool:
    return path.name.lower().endswith(SIDECAR_SUFFIX)


def read_file(path: Path, lines: LineRange | None = None) -> Iterator[RawDoc | Rejection]:
    """Read one article file into raw documents (a `.jsonl` file yields many).

    `lines` reads only those lines of a `.jsonl` file (a slice, see
    `work_units`); a problem of the whole file is then reported by the slice
    starting at line 1 alone, so each problem is one rejection however many
    slices the file is cut into.
    """
    source = path_label(path)
    first_slice = lines is None or lines[0] <= 1
    for item in _read_file(path, source, lines):
        if first_slice or not (isinstance(item, Rejection) and item.source == source):
            yield item


def _read_file(path: Path, source: str, lines: LineRange | None) -> Iterator[RawDoc | Rejection]:
    try:
        data = read_regular(path, MAX_FILE_BYTES)
    except NotRegularFile as exc:
        yield Rejection(source, exc.reason, f"{source}: {exc}")
        return
    problem = sniff(data)
    if problem:
        yield Rejection(source, problem[0], f"{source}: {problem[1]}")
        return
    meta, meta_problem = read_sidecar(path)
    if meta_problem:
        yield Rejection(source, "bad_metadata", f"{source}: {meta_problem}")
        return
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        yield RawDoc(source, "html", data, meta)
        return
    text, error = decode_utf8(data)
    if text is None:
        yield Rejection(source, "not_utf8", f"{source}: {error}")
        return
    if suffix in JSONL_SUFFIXES:
        yield from read_jsonl(source, text, meta, lines)
    else:
        yield RawDoc(source, "text", text, meta)


def sniff(data: bytes) -> tuple[RejectReason, str] | None:
    """Reason code and message for an empty or binary payload, else None."""
    if not data.strip():
        return "empty", "file is empty"
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return "binary", "file is binary (NUL bytes), not text"
    return None


def decode_utf8(data: bytes) -> tuple[str | None, str]:
    """Strict UTF-8 (a BOM is allowed); on failure, say where the bad byte is."""
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"


def read_sidecar(path: Path) -> tuple[dict[str, str], str]:
    """Metadata from `<stem>.meta.json` beside the file, and a problem message if bad.

    Only a regular file of at most MAX_SIDECAR_BYTES is read (links followed):
    a FIFO, a device or a huge file there makes a problem, not a hang.
    """
    sidecar = find_sidecar(path)
    if sidecar is None:
        return {}, ""
    name = path_label(sidecar.name)
    try:
        data = read_regular(sidecar, MAX_SIDECAR_BYTES)
    except NotRegularFile as exc:
        return {}, f"sidecar {name} not read: {exc}"
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"sidecar {name} is not valid JSON: {exc}"
    if not isinstance(meta, dict):
        return {}, f"sidecar {name} must hold a JSON object"
    return pick_meta(meta, f"sidecar {name}")


def find_sidecar(path: Path) -> Path | None:
    """The sidecar of an article file, whatever the case of its name."""
    folder = path.parent
    try:
        listing = _sidecars_in(folder, folder.stat().st_mtime_ns)
    except OSError:
        return None
    return listing.get((path.stem + SIDECAR_SUFFIX).lower())


@lru_cache(maxsize=64)
def _sidecars_in(folder: Path, mtime_ns: int) -> dict[str, Path]:
    """Sidecars in a folder by lower-cased name: one listing per folder, not per file.

    Keyed by the folder's mtime too, so a sidecar added later is seen.
    """
    return {p.name.lower(): p for p in folder.iterdir() if is_sidecar(p)}


def pick_meta(obj: dict[str, Any], where: str) -> tuple[dict[str, str], str]:
    """The known metadata keys of `obj`; each must be a string (or null, meaning absent).

    Values are made storable: a lone surrogate (a JSON escape like "\\ud800") becomes U+FFFD.
    """
    meta: dict[str, str] = {}
    for key in sorted(META_KEYS & obj.keys()):
        value = obj[key]
        if value is None:
            continue
        if not isinstance(value, str):
            return {}, f"{where}: {key!r} must be a string, not {type(value).__name__}"
        meta[key] = storable(value)
    return meta, ""


def read_jsonl(
    source: str, text: str, file_meta: dict[str, str], lines: LineRange | None = None
) -> Iterator[RawDoc | Rejection]:
    """One document per JSON line; a bad line is rejected alone, as `path:line`.

    Lines end at "\n" only: U+2028 and friends may stand raw inside JSON strings.
    `lines` (first, end), 1-based and end excluded, keeps only those lines.
    """
    start, end = lines or (1, None)
    yielded = False
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        yielded = True
        if lineno < start or (end is not None and lineno >= end):
            continue
        where = f"{source}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(where, "bad_json", f"{where}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            yield Rejection(where, "bad_json", f"{where}: needs an object with a string 'text'")
            continue
        line_meta, problem = pick_meta(obj, where)
        if problem:
            yield Rejection(where, "bad_metadata", problem)
            continue
        yield RawDoc(where, "text", storable(obj["text"]), {**file_meta, **line_meta})
    if not yielded:
        yield Rejection(source, "empty", f"{source}: no JSON lines")


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """A file to read, or a slice of a `.jsonl` file: lines `line_start` to `line_end` - 1."""

    path: Path
    line_start: int = 1
    line_end: int | None = None  # None: to the end of the file
    inputs: int = 1  # articles it may hold: 1 for a file, its lines for JSONL

    @property
    def lines(self) -> LineRange | None:
        return (
            None
            if self.line_start <= 1 and self.line_end is None
            else (
                self.line_start,
                self.line_end,
            )
        )


def work_units(files: Iterable[Path], lines_per_unit: int) -> list[WorkUnit]:
    """Files as units of work: each `.jsonl` file cut into slices of `lines_per_unit` lines.

    So a flow can batch a JSONL file's lines like files (one batch, one
    transaction, for 100k lines held 1.75 GB). A file whose lines cannot be
    counted (unreadable, too large) is one unit: reading it reports why.
    Each slice reads the file again (at most MAX_FILE_BYTES) and keeps its lines.
    """
    if lines_per_unit < 1:
        raise ValueError("lines_per_unit must be at least 1")
    units: list[WorkUnit] = []
    for path in files:
        if path.suffix.lower() not in JSONL_SUFFIXES:
            units.append(WorkUnit(path))
            continue
        try:
            data = read_regular(path, MAX_FILE_BYTES)
        except NotRegularFile:
            units.append(WorkUnit(path))
            continue
        count = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if count <= lines_per_unit:
            units.append(WorkUnit(path, inputs=count))
            continue
        for first in range(1, count + 1, lines_per_unit):
            size = min(lines_per_unit, count - first + 1)
            units.append(WorkUnit(path, first, first + lines_per_unit, inputs=size))
    return units


def unit_batches(units: Iterable[WorkUnit], size: int) -> list[list[WorkUnit]]:
    """Consecutive units in batches of at most `size` inputs (a larger unit goes alone).

    So a batch holds about as many articles whether they come as files or as
    JSON lines, and memory and transactions stay the same size.
    """
    batches: list[list[WorkUnit]] = []
    current: list[WorkUnit] = []
    held = 0
    for unit in units:
        if current and held + unit.inputs > size:
            batches.append(current)
            current, held = [], 0
        current.append(unit)
        held += unit.inputs
    if current:
        batches.append(current)
    return batches


def load_units(units: Iterable[WorkUnit]) -> tuple[list[RawDoc], list[Rejection]]:
    """Read a batch of work units (files or `.jsonl` slices); split docs from rejections."""
    docs: list[RawDoc] = []
    rejections: list[Rejection] = []
    for unit in units:
        for item in read_file(unit.path, unit.lines):
            (docs if isinstance(item, RawDoc) else rejections).append(item)  # type: ignore[arg-type]
    return docs, rejections


def load_paths(paths: Iterable[Path]) -> tuple[list[RawDoc], list[Rejection]]:
    """Read a batch of files; split what was read from what was rejected."""
    docs: list[RawDoc] = []
    rejections: list[Rejection] = []
    for path in paths:
        for item in read_file(path):
            (docs if isinstance(item, RawDoc) else rejections).append(item)  # type: ignore[arg-type]
    return docs, rejections
