"""Link stage: which reports are one incident. Pure functions over report rows.

A report (one coded event, with its article's day and outlet) joins an
incident when it reports the same act: a compatible type, compatible actors
(`tasks/link_actors.py`), the same place at whatever precision each report
gives, and the same day (allowing a day's slack for reports that name one town
and give one sub-type or two of `subtype_groups`, and placing a report that
gives no day by its publication date; two ACLED types of `same_day_groups` only
in one town on one day). Hard negatives stay apart: two towns on one day, one
province on two days, an attack and the retaliation (actors swapped, or a
state's forces and the group they struck back at), a clash and the next day's
attack in one town, two reports from one article (the coder already made those
one event each, rule 1). A report that gives only the country, or no country, or an
unplaced village of a town's province a day apart, or no day, joins an incident only
when it is the one it could join (`loose_relation`); a mutual act (a meeting) may name
its parties either way round. A report that matches two incidents shows them to be
one: they merge, the older id surviving.

The warehouse calls `plan_links` inside the batch's transaction (see
`warehouse/links.py`), with the candidates of the new reports' window. Whether two
reports agree, and how strongly, is `tasks/link_match.py`'s; the tuned values are
`tasks/link_settings.py`'s (both re-exported here, where callers import them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from tasks.link_match import (
    LOOSE_SCORE,
    MERGE_SCORE,
    Row,
    actors_agree,
    at_town,
    conflicts,
    day_of,
    forget_names,
    key_of,
    kind_key,
    loose_relation,
    partners,
    physical,
    placeless,
    relation,
    same_actor,
)
from tasks.link_settings import CONFIG_ENV, DEFAULT_SETTINGS, LinkSettings, load_settings
from warehouse.links import LinkPlan

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_SETTINGS",
    "LinkSettings",
    "actors_agree",
    "forget_names",
    "incident_id_for",
    "load_settings",
    "loose_relation",
    "plan_links",
    "relation",
    "same_actor",
]


def incident_id_for(report: Row) -> str:
    """A new incident's id: stable, from the event that founded it."""
    return "inc-" + str(report["event_id"])[:24]


def plan_links(
    new: list[Row], candidates: Iterable[Row], s: LinkSettings = DEFAULT_SETTINGS
) -> LinkPlan:
    """Each new report's incident, and the incidents that a report shows to be one.

    `candidates` carry their current `incident_id`, oldest first; new reports are
    taken in the same order, so the outcome does not depend on batching. A report is
    weighed against the incidents that hold a report of its kind (and, for acts with
    a place, its country) within `date_slack_days` of its day (`_Reach`), not against
    every candidate: only those can be its incident, and the cost of a batch then
    grows with the reports near each of its own, not with the window's size.
    """
    incidents: dict[str, list[Row]] = {}
    earlier: dict[str, list[Row]] = {}  # an article's events of its earlier codings
    reach = _Reach(s)
    for row in candidates:
        if row.get("predecessor"):
            earlier.setdefault(row["article_id"], []).append(row)
        else:
            reach.open(row["incident_id"], incidents)
            incidents[row["incident_id"]].append(row)
            reach.add(row, row["incident_id"])
    merged_into: dict[str, str] = {}
    plan = LinkPlan()
    for report in new:
        inherited = _inherit(report, earlier.get(report["article_id"], []), s)
        matches = _matches(report, incidents, reach, s) if inherited is None else [inherited]
        if matches and matches[0][1] not in incidents:
            reach.open(matches[0][1], incidents)  # an incident known only by its earlier coding
        if not matches:
            incident_id, reason = incident_id_for(report), "new"
            reach.open(incident_id, incidents)
        else:
            _, incident_id, reason = matches[0]
            for score, other, why in matches[1:]:
                if score >= MERGE_SCORE and _can_merge(incidents[incident_id], incidents[other], s):
                    moved = incidents.pop(other)
                    incidents[incident_id].extend(moved)
                    reach.move(moved, incident_id)
                    merged_into[other] = incident_id
                    plan.merges.append(
                        {"incident_id": other, "merged_into": incident_id, "reason": why}
                    )
        member = {**report, "incident_id": incident_id}
        incidents[incident_id].append(member)
        reach.add(member, incident_id)
        plan.links.append(
            {"event_id": report["event_id"], "incident_id": incident_id, "reason": reason}
        )
    # A link made before its incident merged away in this batch points at the survivor.
    for link in plan.links:
        while link["incident_id"] in merged_into:
            link["incident_id"] = merged_into[link["incident_id"]]
    return plan


# Kilometres per degree of latitude (the linker's sphere, radius 6371 km): two places
# within `near_km` lie within near_km / KM_PER_DEGREE degrees of latitude of each other.
KM_PER_DEGREE = 2 * math.pi * 6371.0 / 360


class _Places:
    """The reports of one kind key and day, by where they happened. A report at a town
    (`point`) agrees only with one that names no town (a province, a country, no
    place), names the same town, or lies within `near_km` of it, so within a band of
    latitude either side (`place_agreement`): the others are never looked at."""

    __slots__ = ("all", "band_degrees", "bands", "coarse", "named")

    def __init__(self, band_degrees: float) -> None:
        self.band_degrees = band_degrees
        self.all: list[Row] = []
        self.coarse: list[Row] = []  # no town: compared with every report
        self.named: dict[str, list[Row]] = {}  # at a town, by its name
        self.bands: dict[int, list[Row]] = {}  # at a town with coordinates, by latitude

    def add(self, row: Row) -> None:
        self.all.append(row)
        if not at_town(row):
            self.coarse.append(row)
            return
        self.named.setdefault(key_of(row.get("location")), []).append(row)
        if (band := self._band(row)) is not None:
            self.bands.setdefault(band, []).append(row)

    def near(self, report: Row) -> list[Row]:
        """The reports here whose place may agree with `report`'s."""
        if not at_town(report):
            return self.all
        found = self.coarse + self.named.get(key_of(report.get("location")), [])
        if (band := self._band(report)) is not None:
            for b in (band - 1, band, band + 1):
                found += self.bands.get(b, ())
        return found

    def _band(self, row: Row) -> int | None:
        lat, lon = row.get("latitude"), row.get("longitude")
        if lat is None or lon is None:
            return None
        return math.floor(float(lat) / self.band_degrees)


class _Reach:
    """Which incidents a report could join: the reports held so far, by kind key, day and
    place (`_Places`), each with the incident it is in now, and each incident's rank
    (its age, which breaks ties as the order of `plan_links`'s incidents does)."""

    def __init__(self, s: LinkSettings) -> None:
        self.slack = s.date_slack_days
        # A band of latitude a little wider than near_km (a kilometre more): rounding
        # can never put two places near_km apart two bands apart.
        self.band_degrees = (s.near_km + 1.0) / KM_PER_DEGREE
        self.days: dict[tuple[Any, ...], dict[date | None, _Places]] = {}
        # The countries of each kind key's reports, for a report with no country
        # (`placeless`), which may be of an incident in any of them.
        self.countries: dict[tuple[Any, ...], set[Any]] = {}
        # Reports by sub-type, country and day, for `cross_kind` (one town, one day).
        self.settings = s
        self.subs: dict[tuple[Any, ...], _Places] = {}
        self.owner: dict[int, str] = {}  # id() of a held report -> its incident now
        self.rank: dict[str, int] = {}
        self.opened = 0

    def open(self, incident_id: str, incidents: dict[str, list[Row]]) -> None:
        """Start an incident (or another life of one merged away) at the end of the order."""
        if incident_id not in incidents:
            incidents[incident_id] = []
            self.rank[incident_id] = self.opened
            self.opened += 1

    def add(self, row: Row, incident_id: str) -> None:
        self.owner[id(row)] = incident_id
        key = kind_key(row)
        if physical(row):
            self.countries.setdefault(key[:-1], set()).add(key[-1])
        by_day = self.days.setdefault(key, {})
        day = day_of(row.get("event_date"))
        if day not in by_day:
            by_day[day] = _Places(self.band_degrees)
        by_day[day].add(row)
        if (
            day is not None
            and physical(row)
            and partners(row.get("acled_sub_event_type"), self.settings)
        ):
            key = (row.get("acled_sub_event_type"), row.get("country"), day)
            self.subs.setdefault(key, _Places(self.band_degrees)).add(row)

    def move(self, rows: list[Row], incident_id: str) -> None:
        for row in rows:
            self.owner[id(row)] = incident_id

    def incidents_near(self, report: Row) -> set[str]:
        """The incidents holding a report `relation` could find related to `report`:
        one of its kind key, dated within the slack of its day or undated (an undated
        report is dated by publication: any day of its key), at a place that may agree."""
        key = kind_key(report)
        keys = [key]
        if physical(report):  # a report with no country, and one with: see `placeless`
            others = self.countries.get(key[:-1], set()) if placeless(report) else {None}
            keys += [(*key[:-1], c) for c in others if c != key[-1]]
        day = day_of(report.get("event_date"))
        cells: list[_Places] = []
        for k in keys:
            by_day = self.days.get(k, {})
            if day is None:
                cells += by_day.values()
            else:
                gaps = range(-self.slack, self.slack + 1)
                days = [None, *(day + timedelta(days=gap) for gap in gaps)]
                cells += [by_day[d] for d in days if d in by_day]
        if day is not None and physical(report):
            for sub in partners(report.get("acled_sub_event_type"), self.settings):
                if (other := self.subs.get((sub, report.get("country"), day))) is not None:
                    cells.append(other)
        return {self.owner[id(row)] for places in cells for row in places.near(report)}


def _inherit(report: Row, earlier: list[Row], s: LinkSettings) -> tuple[int, str, str] | None:
    """The incident of the earlier coding's event that this re-coded event reports again,
    so an incident keeps its id when its articles are re-coded."""
    best: tuple[int, str, str] | None = None
    for old in earlier:
        found = relation(report, {**old, "article_id": None}, s)
        if found and (best is None or found[0] > best[0]):
            best = (found[0], old["incident_id"], f"re-coded: {found[1]}")
    return best


def _matches(
    report: Row, incidents: dict[str, list[Row]], reach: _Reach, s: LinkSettings
) -> list[tuple[int, str, str]]:
    """The incidents a report could join, best first (ties: the older incident)."""
    found: list[tuple[int, int, str, str]] = []
    near = reach.incidents_near(report)
    for incident_id in near:
        members = incidents[incident_id]
        if any(conflicts(report, m, s) for m in members):
            continue
        scored = [r for m in members if (r := relation(report, m, s))]
        if scored:
            score, reason = max(scored)
            found.append((-score, reach.rank[incident_id], incident_id, reason))
    if not found and physical(report):
        loose = [
            (incident_id, why)
            for incident_id in near
            if not any(conflicts(report, m, s) for m in incidents[incident_id])
            and (
                why := next(
                    (w for m in incidents[incident_id] if (w := loose_relation(report, m, s))), None
                )
            )
        ]
        if len(loose) > 1:
            # Of several, the one incident with a report of its sub-type (the clash, not
            # the attack on civilians in that province that day), if only one has: a
            # clash with no country beside a clash and an attack of its day (story set
            # dev3: pair F1 .787 -> .825 with the reports with no country).
            sub = report.get("acled_sub_event_type")
            loose = [
                (incident_id, why)
                for incident_id, why in loose
                if sub and any(m.get("acled_sub_event_type") == sub for m in incidents[incident_id])
            ]
        if len(loose) == 1:
            # LOOSE_SCORE is below MERGE_SCORE: a loose match never merges incidents.
            return [(LOOSE_SCORE, loose[0][0], loose[0][1])]
    found.sort()
    return [(-neg, incident_id, reason) for neg, _, incident_id, reason in found]


def _can_merge(keep: list[Row], other: list[Row], s: LinkSettings) -> bool:
    return not any(conflicts(a, b, s) for a in keep for b in other)
