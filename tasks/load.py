"""Load stage: find article files and read them into raw documents.

Reads `.txt`, `.html`/`.htm` and `.jsonl` files, with an optional JSON
sidecar (`<stem>.meta.json`) giving title, url, published and language.
Bad input becomes a `Rejection` carrying a reason code and a one-line
message; nothing here raises for a bad file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from tasks.models import Rejection, RejectReason

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
META_KEYS = {"title", "url", "published", "language", "source"}

PayloadKind = Literal["text", "html"]


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
        data = self.payload if isinstance(self.payload, bytes) else self.payload.encode("utf-8")
        digest.update(data)
        digest.update(json.dumps(self.meta, sort_keys=True).encode("utf-8"))
        return digest.hexdigest()


def discover(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Rejection]]:
    """Expand files and folders (recursively, sorted) into candidate article files.

    A missing path, a named file with an unknown extension or that is not a
    regular file, and a folder holding no article file are rejections.
    """
    found: list[Path] = []
    rejections: list[Rejection] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            rejections.append(Rejection(str(path), "missing", f"{path}: no such file or folder"))
            continue
        if path.is_dir():
            candidates = [p for p in walk(path) if not is_sidecar(p)]
            if not candidates:
                rejections.append(
                    Rejection(str(path), "empty", f"{path}: folder holds no article files")
                )
        elif not path.is_file():
            rejections.append(Rejection(str(path), "unreadable", f"{path}: not a regular file"))
            continue
        else:
            candidates = [path]
        for cand in candidates:
            resolved = cand.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            if cand.suffix.lower() not in ARTICLE_SUFFIXES:
                rejections.append(
                    Rejection(
                        str(cand),
                        "unknown_extension",
                        f"{cand}: unknown extension {cand.suffix or '(none)'!r}; "
                        f"expected one of {', '.join(sorted(ARTICLE_SUFFIXES))}",
                    )
                )
                continue
            found.append(cand)
    return found, rejections


def walk(root: Path) -> list[Path]:
    """Regular files below `root`, sorted, following folder links once each.

    Hidden files and folders, and the config and docs listed in
    FOLDER_IGNORED_SUFFIXES, are passed over.
    """
    out: list[Path] = []
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
            if file.is_file():
                out.append(file)
    return sorted(out)


def is_sidecar(path: Path) -> bool:
    return path.name.lower().endswith(SIDECAR_SUFFIX)


def read_file(path: Path) -> Iterator[RawDoc | Rejection]:
    """Read one article file into raw documents (a `.jsonl` file yields many)."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield Rejection(source, "too_large", f"{path}: {size} bytes is over {MAX_FILE_BYTES}")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield Rejection(source, "unreadable", f"{path}: {exc.strerror or exc}")
        return
    problem = sniff(data)
    if problem:
        yield Rejection(source, problem[0], f"{path}: {problem[1]}")
        return
    meta, meta_problem = read_sidecar(path)
    if meta_problem:
        yield Rejection(source, "bad_metadata", f"{path}: {meta_problem}")
        return
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        yield RawDoc(source, "html", data, meta)
        return
    text, error = decode_utf8(data)
    if text is None:
        yield Rejection(source, "not_utf8", f"{path}: {error}")
        return
    if suffix in JSONL_SUFFIXES:
        yield from read_jsonl(source, text, meta)
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
    """Metadata from `<stem>.meta.json` beside the file, and a problem message if bad."""
    sidecar = find_sidecar(path)
    if sidecar is None:
        return {}, ""
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"sidecar {sidecar.name} is not valid JSON: {exc}"
    if not isinstance(meta, dict):
        return {}, f"sidecar {sidecar.name} must hold a JSON object"
    return pick_meta(meta, f"sidecar {sidecar.name}")


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
    """The known metadata keys of `obj`; each must be a string (or null, meaning absent)."""
    meta: dict[str, str] = {}
    for key in sorted(META_KEYS & obj.keys()):
        value = obj[key]
        if value is None:
            continue
        if not isinstance(value, str):
            return {}, f"{where}: {key!r} must be a string, not {type(value).__name__}"
        meta[key] = value
    return meta, ""


def read_jsonl(source: str, text: str, file_meta: dict[str, str]) -> Iterator[RawDoc | Rejection]:
    """One document per JSON line; a bad line is rejected alone, as `path:line`.

    Lines end at "\n" only: U+2028 and friends may stand raw inside JSON strings.
    """
    yielded = False
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        yielded = True
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
        yield RawDoc(where, "text", obj["text"], {**file_meta, **line_meta})
    if not yielded:
        yield Rejection(source, "empty", f"{source}: no JSON lines")


def load_paths(paths: Iterable[Path]) -> tuple[list[RawDoc], list[Rejection]]:
    """Read a batch of files; split what was read from what was rejected."""
    docs: list[RawDoc] = []
    rejections: list[Rejection] = []
    for path in paths:
        for item in read_file(path):
            (docs if isinstance(item, RawDoc) else rejections).append(item)  # type: ignore[arg-type]
    return docs, rejections
