"""Countries as exports write them: ISO 3166 codes (pycountry) and ACLED's regions and names.

Our `country` columns hold ISO 3166 alpha-3 codes. ACLED writes the ISO numeric code
(`iso`), its own English name for the country and one of its 17 regions; the last two
come from `data/acled_regions.tsv`, checked when first read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry

REGIONS_FILE = Path(__file__).parent / "data" / "acled_regions.tsv"
# ACLED's regions, as its API names them (its region codes 1-5, 7, 9, 11-20).
ACLED_REGIONS = frozenset(
    {
        "Western Africa",
        "Middle Africa",
        "Eastern Africa",
        "Southern Africa",
        "Northern Africa",
        "South Asia",
        "Southeast Asia",
        "Middle East",
        "Europe",
        "Caucasus and Central Asia",
        "Central America",
        "South America",
        "Caribbean",
        "East Asia",
        "North America",
        "Oceania",
        "Antarctica",
    }
)


@dataclass(frozen=True, slots=True)
class Country:
    alpha3: str
    numeric: int  # ISO 3166 numeric: 4 for Afghanistan
    name: str  # ACLED's English name
    region: str  # ACLED's region


@cache
def countries() -> dict[str, Country]:
    """Every ISO 3166 country (and the coder's XKX) by alpha-3 code; a bad regions file
    fails loudly, naming its line."""
    iso = {c.alpha_3: int(c.numeric) for c in pycountry.countries}
    found: dict[str, Country] = {}
    text = REGIONS_FILE.read_text(encoding="utf-8")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{REGIONS_FILE.name}, line {lineno}"
        parts = line.split("\t")
        if len(parts) not in (3, 4):
            raise ValueError(f"{where}: needs 3 tab-separated fields (4 for a code ISO lacks)")
        code, region, name = parts[:3]
        if len(parts) == 4:  # a code ISO 3166 does not assign (Kosovo's XKX), with ACLED's iso
            if code in iso or not parts[3].isdigit():
                raise ValueError(f"{where}: a 4th field is ACLED's iso for a code ISO lacks")
            iso[code] = int(parts[3])
        if code not in iso:
            raise ValueError(f"{where}: {code!r} is not an ISO 3166 alpha-3 code")
        if region not in ACLED_REGIONS:
            raise ValueError(f"{where}: {region!r} is not one of ACLED's regions")
        if code in found:
            raise ValueError(f"{where}: {code} is listed twice")
        found[code] = Country(code, iso[code], name, region)
    missing = sorted(set(iso) - set(found))
    if missing:
        raise ValueError(f"{REGIONS_FILE.name}: no region for {', '.join(missing)}")
    return found


def known_countries() -> set[str]:
    """The ISO 3166 alpha-3 codes a `--country` may name."""
    return set(countries())
