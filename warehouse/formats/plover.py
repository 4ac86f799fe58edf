"""PLOVER export: JSON Lines, one record per incident (or event), with the top-level
fields of the PLOVER manual's "PLOVER JSON" table, in its order, plus the manual's
`size` object (dead) for the toll.

Nesting as the manual gives it: `source` and `recipient` are lists of actor objects
(code, sector, actor_text, identifier_text), `event`, `mode`, `context` and `event_text`
lists, `event_loc` a GeoNames-style location object, `text_info` and `cite_info` objects.
Fields we cannot fill are null (or empty lists); `text` stays null because the manual
asks for it only from those holding the rights to the text. An incident or event
without a day is left out and counted: `date` is a required field.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from warehouse.formats import cameo
from warehouse.formats.rows import Row, Unit, read_units
from warehouse.formats.selection import Selection, Written
from warehouse.formats.units import place_precision, sentence_number

# The manual's "PLOVER JSON" table, in order (tests/fixtures/formats/plover_fields.txt).
PLOVER_FIELDS: tuple[str, ...] = tuple(
    [
        "id",
        "has_event",
        "date",
        "time",
        "enddate",
        "endtime",
        "source",
        "recipient",
        "event",
        "event_loc",
        "event_text",
        "quad_code",
        "event_scale",
        "mode",
        "context",
        "link",
        "text",
        "text_info",
        "cite_info",
        "coder",
        "coded_date",
        "coded_time",
        "comment",
    ]
)
# Named fields beyond the table that the manual defines elsewhere: the size object.
EXTRA_FIELDS: tuple[str, ...] = ("size",)
# cite_info.codebook: the ontology the `event` field is coded in.
CODEBOOK = "PLOVER"


def _actor(row: Row, n: int) -> list[dict[str, Any]]:
    """One actor object in a list (PLOVER's `source`/`recipient`), or an empty list."""
    text = row.get(f"actor{n}")
    canonical = row.get(f"actor{n}_canonical")
    if not text and not canonical:
        return []
    return [
        {
            "code": row.get(f"actor{n}_country"),
            "sector": cameo.sector(row.get(f"actor{n}_type"), text) or None,
            "actor_text": text,
            "identifier_text": canonical,
        }
    ]


def _location(unit: Unit) -> dict[str, Any] | None:
    """The event's place as the manual's location object: GeoNames names, ISO alpha-2
    `country code` and alpha-3 `cc3`. `geonameid` is the country's for a country-level
    place; we keep no GeoNames id for towns or provinces."""
    row = unit.row
    if not row.get("country"):
        return None
    where = cameo.country(row["country"])
    precision = place_precision(unit)
    country_level = precision not in ("point", "admin1")
    name = where.name if where and country_level else row.get("location") or row.get("admin1")
    return {
        "geonameid": where.geonameid if where and country_level else None,
        "name": name,
        "latitude": row.get("latitude"),
        "longitude": row.get("longitude"),
        "country code": where.iso2 if where else None,
        "cc3": row["country"],
    }


def record(unit: Unit) -> dict[str, Any]:
    """One PLOVER record for an incident or an event (the caller has checked its day)."""
    row, main = unit.row, unit.main
    code = main.get("cameo_code")
    loaded = max(r["loaded_at"] for r in unit.reports)
    sentences: list[str] = []
    for r in unit.reports:
        if r["sentence"] and r["sentence"] not in sentences:
            sentences.append(r["sentence"])
    out: dict[str, Any] = {
        "id": unit.key,
        "has_event": True,
        "date": row["event_date"].isoformat(),
        "time": None,
        "enddate": None,
        "endtime": None,
        "source": _actor(row, 1),
        "recipient": _actor(row, 2),
        "event": [row["event_type"]],
        "event_loc": _location(unit),
        "event_text": sentences,
        "quad_code": cameo.PLOVER_QUAD[row["event_type"]],
        "event_scale": cameo.goldstein(code) if code else None,
        "mode": [main["event_mode"]] if main.get("event_mode") else [],
        "context": [],
        "link": None if unit.key == unit.incident_id else unit.incident_id,
        "text": None,
        "text_info": {
            "sequence": sentence_number(main["text"], main["char_start"]),
            "start": main["char_start"],
            "end": main["char_end"],
            "article_id": main["article_id"],
        },
        "cite_info": {
            "corpus": main["source_kind"],
            "citation": main["article_id"],
            "url": main["url"],
            "title": main["title"],
            "language": main["language"],
            "publication": main["outlet"],
            "date": main["reported_at"].date().isoformat() if main["reported_at"] else None,
            "coder": main["extractor_version"],
            "codebook": CODEBOOK,
        },
        "coder": main["extractor_version"],
        "coded_date": loaded.date().isoformat(),
        "coded_time": loaded.time().isoformat(timespec="seconds") + "Z",
        "comment": None,
        "size": {"dead": row.get("fatalities")},
    }
    return out


def write_plover(db: str | Path, selection: Selection, out: TextIO) -> Written:
    """PLOVER JSON Lines: one record per incident (or per stored event), verbal acts too."""
    written, left_out = 0, Counter[str]()
    for unit in read_units(db, selection):
        if unit.row.get("event_date") is None:
            left_out["no event date"] += 1
            continue
        out.write(json.dumps(record(unit), ensure_ascii=False) + "\n")
        written += 1
    noun = selection.level
    why = "; ".join(f"{n} {noun} with {reason}" for reason, n in sorted(left_out.items()))
    return Written(written, sum(left_out.values()), why)
