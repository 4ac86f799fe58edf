"""ACLED's export layout: its 31 columns, in its order, with its codes and vocabularies.

One row per incident (or per event, at the events level), as CSV with a header, as
ACLED's own export is. What ACLED cannot hold is left out and counted: verbal acts
(PLOVER types with no ACLED event type), rows with no day, rows with no country.

Mappings (from ACLED's codebook):

* `time_precision`: 1 the day is known (a date, a weekday, "yesterday"); 2 approximate
  (an incident whose reports give different days, or a day of unknown precision);
  3 only the month or year.
* `geo_precision`: 1 a town or point; 3 a region (admin1), with the province's
  coordinates; a country-level place is also 3, its `location` the country's name and
  `admin1` empty. 2 (part of a region, near a town) is never given: we do not code it.
* `inter1`/`inter2`: ACLED's actor-type codes (`INTER_CODES`); `interaction` the two,
  smaller first (12), or a sole actor's code times ten (60).
* `disorder_type` from the sub-event type (`DISORDER`); `civilian_targeting` when
  civilians are the target of political violence.
* `event_id_cnty`: the country's ISO alpha-3 code and the first 15 hex digits of the
  incident id (events level: of the event id) as a decimal number: stable across exports
  and re-runs, at most 19 digits (fits a signed 64-bit integer); two rows of one country
  share a number with odds of about n^2 / 2^61 (4e-5 at ten million rows).
* `source`: the outlets of the incident's reports, joined by "; "; `notes`: one sentence
  built from the fields; `fatalities` 0 when unknown, as ACLED does; `timestamp` the Unix
  time the latest report was loaded. `assoc_actor_*`, `admin2`, `admin3`, `source_scale`
  and `tags` are empty: we do not code them.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TextIO

from warehouse.formats.countries import countries
from warehouse.formats.output import text_target
from warehouse.formats.rows import Row, count_rows, iter_rows
from warehouse.formats.selection import Selection, Written

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

# ACLED's actor-type codes (inter1, inter2) for our actor types.
INTER_CODES: dict[str, int] = {
    "state_forces": 1,
    "government": 1,
    "rebel_group": 2,
    "political_militia": 3,
    "identity_militia": 4,
    "rioters": 5,
    "protesters": 6,
    "civilians": 7,
    "external_other": 8,
}

POLITICAL_VIOLENCE, DEMONSTRATIONS = "Political violence", "Demonstrations"
STRATEGIC = "Strategic developments"
# ACLED's disorder type by event type, then by sub-event type where they differ within one.
DISORDER_BY_TYPE: dict[str, str] = {
    "Battles": POLITICAL_VIOLENCE,
    "Explosions/Remote violence": POLITICAL_VIOLENCE,
    "Violence against civilians": POLITICAL_VIOLENCE,
    "Protests": DEMONSTRATIONS,
    "Riots": DEMONSTRATIONS,
    "Strategic developments": STRATEGIC,
}
DISORDER_BY_SUB_TYPE: dict[str, str] = {
    "Excessive force against protesters": f"{POLITICAL_VIOLENCE}; {DEMONSTRATIONS}",
    "Mob violence": POLITICAL_VIOLENCE,
}

# Our date precisions to ACLED's time precision (an incident whose reports disagree on
# the day is 2 whatever its precision).
TIME_PRECISION: dict[str, int] = {"day": 1, "relative": 1, "unknown": 2, "month": 3, "year": 3}
GEO_PRECISION: dict[str, int] = {"point": 1, "admin1": 3, "country": 3, "unknown": 3}
# Hex digits of an id kept in event_id_cnty's number: 60 bits, at most 19 decimal digits.
ID_HEX_DIGITS = 15

# Why a row is left out, as the count's label.
LEFT_OUT_WHY = {
    "verbal": "verbal acts (ACLED codes none)",
    "undated": "undated (ACLED rows need a day)",
    "placeless": "without a country (ACLED rows need one)",
}

# What each sub-event type says in notes: (with a second actor, without one).
NOTE_VERBS: dict[str, tuple[str, str]] = {
    "Armed clash": ("clashed with {a2}", "were involved in an armed clash"),
    "Government regains territory": ("regained territory from {a2}", "regained territory"),
    "Non-state actor overtakes territory": ("took territory from {a2}", "took territory"),
    "Chemical weapon": ("used a chemical weapon against {a2}", "used a chemical weapon"),
    "Air/drone strike": (
        "carried out an air or drone strike on {a2}",
        "carried out an air or drone strike",
    ),
    "Suicide bomb": ("carried out a suicide bombing against {a2}", "carried out a suicide bombing"),
    "Shelling/artillery/missile attack": ("shelled {a2}", "fired shells, artillery or missiles"),
    "Remote explosive/landmine/IED": (
        "used an explosive device against {a2}",
        "used an explosive device",
    ),
    "Grenade": ("threw a grenade at {a2}", "threw a grenade"),
    "Sexual violence": ("committed sexual violence against {a2}", "committed sexual violence"),
    "Attack": ("attacked {a2}", "carried out an attack"),
    "Abduction/forced disappearance": ("abducted {a2}", "abducted people"),
    "Peaceful protest": ("protested against {a2}", "protested peacefully"),
    "Protest with intervention": ("protested and {a2} intervened", "protested and were dispersed"),
    "Excessive force against protesters": (
        "used excessive force against {a2}",
        "used excessive force against protesters",
    ),
    "Violent demonstration": ("rioted against {a2}", "rioted"),
    "Mob violence": ("carried out mob violence against {a2}", "carried out mob violence"),
    "Agreement": ("reached an agreement with {a2}", "reached an agreement"),
    "Arrests": ("arrested {a2}", "made arrests"),
    "Change to group/activity": ("changed their activity towards {a2}", "changed their activity"),
    "Disrupted weapons use": ("disrupted weapons use by {a2}", "disrupted weapons use"),
    "Headquarters or base established": ("established a base near {a2}", "established a base"),
    "Looting/property destruction": (
        "looted or destroyed property of {a2}",
        "looted or destroyed property",
    ),
    "Non-violent transfer of territory": (
        "took territory from {a2} without fighting",
        "took territory without fighting",
    ),
    "Other": ("acted against {a2}", "were involved in a strategic development"),
}
UNNAMED_ACTOR = "Unidentified actors"
# Sub-event types whose sentence is about the crowd (the others' subject is actor 1).
CROWD_LED = frozenset(
    {"Peaceful protest", "Protest with intervention", "Violent demonstration", "Mob violence"}
)
_HEX = re.compile(r"[0-9a-f]+")


def id_number(identifier: str) -> int:
    """The number of an id in event_id_cnty: its first hex digits after any prefix ("inc-"),
    or, for an id that is not hex, those of its SHA-256."""
    digits = identifier.lower().removeprefix("inc-")
    if not _HEX.fullmatch(digits) or len(digits) < ID_HEX_DIGITS:
        digits = hashlib.sha256(identifier.encode("utf-8")).hexdigest()
    return int(digits[:ID_HEX_DIGITS], 16)


def disorder_type(event_type: str, sub_event_type: str | None) -> str:
    return DISORDER_BY_SUB_TYPE.get(sub_event_type or "", DISORDER_BY_TYPE[event_type])


def interaction(inter1: int | None, inter2: int | None) -> int | None:
    """ACLED's interaction code: both actor codes, smaller first (12), or one times ten (60)."""
    codes = sorted(c for c in (inter1, inter2) if c is not None)
    if not codes:
        return None
    return codes[0] * 10 + (codes[1] if len(codes) == 2 else 0)


def civilian_targeting(row: Row) -> str:
    """ "Civilian targeting" when civilians are the target of political violence."""
    if row["acled_event_type"] == "Violence against civilians":
        return "Civilian targeting"
    civilians = "civilians" in (row["actor1_type"], row["actor2_type"])
    hits = row["acled_event_type"] == "Explosions/Remote violence"
    return "Civilian targeting" if civilians and hits else ""


def time_precision(row: Row) -> int:
    if row.get("num_days", 1) > 1:
        return 2
    return TIME_PRECISION.get(row.get("date_precision") or "unknown", 2)


def actor_name(row: Row, side: str) -> str:
    return str(row.get(f"{side}_canonical") or row.get(side) or "")


def place_words(location: str, admin1: str, country: str) -> str:
    return ", ".join(dict.fromkeys(p for p in (location, admin1, country) if p))


def notes(row: Row, day: date, a1: str, a2: str, place: str) -> str:
    """One sentence from the fields: the day, who did what to whom, where, the toll."""
    with_other, alone = NOTE_VERBS.get(row["acled_sub_event_type"] or "", NOTE_VERBS["Other"])
    crowd = ("protesters", "rioters")
    led = row["acled_sub_event_type"] in CROWD_LED and row["actor1_type"] not in crowd
    if led and row["actor2_type"] in crowd and a2:
        a1, a2 = a2, a1  # a demonstration's sentence is about the crowd, whoever is actor 1
    act = with_other.format(a2=a2) if a2 else alone
    text = f"On {day.day} {day:%B %Y}, {a1 or UNNAMED_ACTOR} {act} in {place}"
    dead = row["fatalities"]
    if dead is None:
        return text + "; no fatality figure reported."
    return text + f"; {dead} {'fatality' if dead == 1 else 'fatalities'}."


def left_out_reason(row: Row) -> str | None:
    if row["acled_event_type"] is None:
        return "verbal"
    if row["event_date"] is None:
        return "undated"
    if row["country"] not in countries():
        return "placeless"
    return None


def acled_row(row: Row, level: str) -> dict[str, Any]:
    """One ACLED row from one of our rows (incident or event) that ACLED can hold."""
    country = countries()[row["country"]]
    day: date = row["event_date"]
    a1, a2 = actor_name(row, "actor1"), actor_name(row, "actor2")
    inter1 = INTER_CODES.get(row["actor1_type"] or "") if a1 else None
    inter2 = INTER_CODES.get(row["actor2_type"] or "") if a2 else None
    precision = row.get("geo_precision") or "unknown"
    admin1 = "" if precision == "country" else (row["admin1"] or "")
    location = "" if precision == "country" else (row["location"] or "")
    location = location or admin1 or country.name
    identifier = row["incident_id"] if level == "incidents" else row["event_id"]
    outlets = row["outlets"] if level == "incidents" else [row["outlet"]]
    loaded: datetime | None = row["loaded_at"]  # naive UTC, as the reader gives times
    lat, lon = row["latitude"], row["longitude"]
    return {
        "event_id_cnty": f"{country.alpha3}{id_number(identifier)}",
        "event_date": day.isoformat(),
        "year": day.year,
        "time_precision": time_precision(row),
        "disorder_type": disorder_type(row["acled_event_type"], row["acled_sub_event_type"]),
        "event_type": row["acled_event_type"],
        "sub_event_type": row["acled_sub_event_type"] or "",
        "actor1": a1,
        "assoc_actor_1": "",
        "inter1": inter1 if inter1 is not None else "",
        "actor2": a2,
        "assoc_actor_2": "",
        "inter2": inter2 if inter2 is not None else "",
        "interaction": interaction(inter1, inter2) or "",
        "civilian_targeting": civilian_targeting(row),
        "iso": country.numeric,
        "region": country.region,
        "country": country.name,
        "admin1": admin1,
        "admin2": "",
        "admin3": "",
        "location": location,
        "latitude": "" if lat is None else round(lat, 4),
        "longitude": "" if lon is None else round(lon, 4),
        "geo_precision": GEO_PRECISION.get(precision, 3),
        "source": "; ".join(o for o in outlets if o),
        "source_scale": "",
        "notes": notes(row, day, a1, a2, place_words(location, admin1, country.name)),
        "fatalities": row["fatalities"] or 0,
        "tags": "",
        "timestamp": int(loaded.replace(tzinfo=UTC).timestamp()) if loaded is not None else "",
    }


def write_acled(
    db: str | os.PathLike[str] | None,
    selection: Selection,
    out: TextIO,
    progress: Callable[[int], None] | None = None,
) -> Written:
    """Write a selection as ACLED CSV to `out`; count what ACLED cannot hold."""
    writer = csv.DictWriter(out, fieldnames=ACLED_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    written, left = 0, Counter[str]()
    for batch in iter_rows(db, selection, progress=progress):
        for row in batch:
            reason = left_out_reason(row)
            if reason is not None:
                left[reason] += 1
                continue
            writer.writerow(acled_row(row, selection.level))
            written += 1
    why = ", ".join(f"{n} {LEFT_OUT_WHY[k]}" for k, n in left.most_common())
    return Written(written, sum(left.values()), why)


def export_acled(
    db: str | os.PathLike[str] | None,
    selection: Selection,
    path: str,
    progress: Callable[[int, int], None] | None = None,
) -> Written:
    """Export a selection as ACLED CSV to a file (written whole or not at all) or `-`."""
    step = None
    if progress is not None:
        total = count_rows(db, selection)
        progress(0, total)

        def step(done: int) -> None:
            progress(done, total)

    with text_target(path) as out:
        return write_acled(db, selection, out, step)
