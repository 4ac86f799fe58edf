"""CAMEO lookups shared by the GDELT and PLOVER exports: Goldstein scores, quad classes,
actor sector codes and the country code tables (ISO alpha-3 -> alpha-2, FIPS 10-4).

The tables are data files under `data/`, read and checked once; a malformed file is a
`WarehouseError` naming the file and line, not a wrong export.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from warehouse.errors import WarehouseError

DATA = Path(__file__).resolve().parent / "data"
GOLDSTEIN_FILE = DATA / "goldstein.tsv"
COUNTRIES_FILE = DATA / "countries.tsv"

log = logging.getLogger(__name__)

_CODE = re.compile(r"\d{2,4}")

# CAMEO's quad classes by root code (01-20): GDELT's QuadClass and PLOVER's quad_code.
VERBAL_COOPERATION, MATERIAL_COOPERATION, VERBAL_CONFLICT, MATERIAL_CONFLICT = 1, 2, 3, 4
_QUAD_BY_ROOT = (
    [(r, VERBAL_COOPERATION) for r in range(1, 6)]
    + [(r, MATERIAL_COOPERATION) for r in range(6, 9)]
    + [(r, VERBAL_CONFLICT) for r in range(9, 14)]
    + [(r, MATERIAL_CONFLICT) for r in range(14, 21)]
)
QUAD_BY_ROOT: dict[str, int] = {f"{r:02d}": q for r, q in _QUAD_BY_ROOT}

# PLOVER's quad categories (PLOVER manual, "Quad categories in PLOVER"); REQUEST is the
# category the manual's tables call DEMAND.
PLOVER_QUAD: dict[str, int] = {
    **dict.fromkeys(("AGREE", "CONSULT", "SUPPORT", "CONCEDE"), VERBAL_COOPERATION),
    **dict.fromkeys(("COOPERATE", "AID", "RETREAT"), MATERIAL_COOPERATION),
    **dict.fromkeys(("REQUEST", "ACCUSE", "REJECT", "SANCTION", "THREATEN"), VERBAL_CONFLICT),
    **dict.fromkeys(("PROTEST", "MOBILIZE", "COERCE", "ASSAULT"), MATERIAL_CONFLICT),
}

# Our actor types -> CAMEO sector ("type"/"role") codes, as both CAMEO's actor codebook and
# PLOVER's sector table define them. Militias are CAMEO's UAF (unaligned/unidentified armed
# forces): armed groups that are neither the state's forces nor rebels seeking to take
# power. Protesters and rioters are CVL: CAMEO's OPP would claim every crowd opposes the
# government, which our coder does not know. `external_other` has no honest code.
SECTOR: dict[str, str] = {
    "state_forces": "MIL",
    "government": "GOV",
    "rebel_group": "REB",
    "political_militia": "UAF",
    "identity_militia": "UAF",
    "rioters": "CVL",
    "protesters": "CVL",
    "civilians": "CVL",
}
POLICE = "COP"
_POLICE_WORDS = re.compile(r"\b(police|policemen|policeman|constabulary|gendarm\w*)\b", re.I)


def sector(actor_type: str | None, name: str | None) -> str:
    """The CAMEO sector code of an actor ('' when none fits): state forces named as police
    are COP, the other state forces MIL."""
    code = SECTOR.get(actor_type or "", "")
    if code == "MIL" and name and _POLICE_WORDS.search(name):
        return POLICE
    return code


def root_code(code: str) -> str:
    """CAMEO's root (cue category) of an event code: its first two digits."""
    return code[:2]


def base_code(code: str) -> str:
    """CAMEO's base code: the first three digits (a root-level code is its own base)."""
    return code[:3]


def quad_class(code: str) -> int:
    """GDELT's QuadClass (1-4) of a CAMEO event code, from its root."""
    try:
        return QUAD_BY_ROOT[root_code(code)]
    except KeyError:
        raise WarehouseError(f"{code!r} is not a CAMEO event code (roots are 01-20)") from None


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """A tab-separated data file's rows (with line numbers), after its `#` comments and
    its header, which must name `columns`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise WarehouseError(f"cannot read {path}: {exc.strerror}") from None
    body = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    if not body or tuple(body[0][1].split("\t")) != columns:
        raise WarehouseError(f"{path}: the header must be {' '.join(columns)}")
    out = []
    for n, line in body[1:]:
        fields = line.split("\t")
        if len(fields) != len(columns):
            raise WarehouseError(f"{path}:{n}: {len(fields)} fields, {len(columns)} expected")
        out.append((n, fields))
    return out


@cache
def goldstein_table(path: Path = GOLDSTEIN_FILE) -> dict[str, float]:
    """CAMEO code -> Goldstein score, checked: codes of 2-4 digits under a root 01-20, each
    once, scores within [-10, 10]."""
    table: dict[str, float] = {}
    for n, (code, value) in _rows(path, ("code", "goldstein")):
        try:
            score = float(value)
        except ValueError:
            score = float("nan")
        if not _CODE.fullmatch(code) or root_code(code) not in QUAD_BY_ROOT:
            raise WarehouseError(f"{path}:{n}: {code!r} is not a CAMEO event code")
        if not -10.0 <= score <= 10.0:
            raise WarehouseError(f"{path}:{n}: Goldstein score {value!r} is not in [-10, 10]")
        if code in table:
            raise WarehouseError(f"{path}:{n}: {code} is listed twice")
        table[code] = score
    return table


def goldstein(code: str) -> float:
    """The Goldstein score of a CAMEO event code. A code the table lacks takes its base
    code's score (then its root's), and the fallback is logged once per code."""
    table = goldstein_table()
    for candidate in (code, base_code(code), root_code(code)):
        if candidate in table:
            if candidate != code:
                _note_fallback(code, candidate)
            return table[candidate]
    raise WarehouseError(f"CAMEO code {code!r} has no Goldstein score, nor has its root")


@cache
def _note_fallback(code: str, used: str) -> None:
    log.warning("CAMEO %s is not in %s: using %s's Goldstein score", code, GOLDSTEIN_FILE, used)


@dataclass(frozen=True)
class Country:
    """One country's codes: ISO alpha-3 and alpha-2, FIPS 10-4, GeoNames id, name."""

    iso3: str
    iso2: str
    fips: str
    geonameid: int
    name: str


@cache
def countries(path: Path = COUNTRIES_FILE) -> dict[str, Country]:
    """ISO alpha-3 -> its codes, checked (alpha-3 of 3 letters, alpha-2 of 2, FIPS of 2 or
    none, a numeric GeoNames id)."""
    out: dict[str, Country] = {}
    for n, (iso3, iso2, fips, geonameid, name) in _rows(
        path, ("iso3", "iso2", "fips", "geonameid", "name")
    ):
        ok = (
            re.fullmatch(r"[A-Z]{3}", iso3)
            and re.fullmatch(r"[A-Z]{2}", iso2)
            and re.fullmatch(r"([A-Z]{2})?", fips)
            and geonameid.isdigit()
            and name
        )
        if not ok or iso3 in out:
            raise WarehouseError(f"{path}:{n}: a malformed or repeated country row")
        out[iso3] = Country(iso3, iso2, fips, int(geonameid), name)
    return out


def country(iso3: str | None) -> Country | None:
    """The codes of an ISO alpha-3 country, or None (no country, or one the table lacks)."""
    return countries().get(iso3 or "")
