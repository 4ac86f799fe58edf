"""Incident links inside a batch's transaction: what a linker is given, what it decided.

The rules that decide whether two reports are one incident are a stage's
(`tasks/link.py`); the writer hands it plain rows (read by `warehouse/candidates.py`:
the batch's new reports and the stored reports of their window) and writes back what
it decided, in the same transaction as the events, so links never lag behind rows
and two writers never link against a half-written batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from warehouse import candidates, lake, schema
from warehouse.profile import Scans

Row = dict[str, Any]


@dataclass(slots=True)
class LinkPlan:
    """What a linker decided: each new event's incident, and incidents merged into others."""

    links: list[Row] = field(default_factory=list)  # event_id, incident_id, reason
    merges: list[Row] = field(default_factory=list)  # incident_id, merged_into, reason


# A linker: (new reports, candidate reports with their `incident_id`) -> plan.
Linker = Callable[[list[Row], list[Row]], LinkPlan]


@dataclass(frozen=True, slots=True)
class Linking:
    """How to link a batch's new events: the linker, and which stored reports it needs."""

    linker: Linker
    # Candidates: current events of a new report's country dated (or published) within
    # this many days of it.
    window_days: int
    # Of those, only the incidents holding one dated within this many days of a new
    # report (or undated): the linker joins a report to an incident only through a
    # report that close. None: the whole window.
    near_days: int | None = None


def write_plan(con: duckdb.DuckDBPyConnection, batch_id: str, at: datetime, plan: LinkPlan) -> None:
    """Write the links and merges, each in one statement; every merge is one hop from the
    surviving incident: a merge into an incident that merges on in the same plan points
    at where it ends, and stored merges into a merged incident are re-pointed there."""
    if plan.links:
        rows = pa.Table.from_pylist(
            [{**r, "run_id": batch_id, "linked_at": at} for r in plan.links],
            schema.INCIDENT_LINKS,
        )
        # A re-coding can give an event the id it had before (the same act, coded the same
        # way): its link is stored already and stays, so the insert skips it. (A plain
        # INSERT is about 0.6 x the cost at 1,000,000 links but fails such a re-coding.)
        with candidates.registered(con, link_rows=rows):
            lake.insert_new(con, "incident_links", "link_rows", lake.on_lake(con))
    if not plan.merges:
        return
    into = {m["incident_id"]: m["merged_into"] for m in plan.merges}
    merges = pa.table(
        {
            "incident_id": pa.array([m["incident_id"] for m in plan.merges], pa.string()),
            "merged_into": pa.array([_survivor(m["incident_id"], into) for m in plan.merges]),
            "reason": pa.array([m["reason"] for m in plan.merges], pa.string()),
        }
    )
    with candidates.registered(con, link_merges=merges):
        con.execute(
            "UPDATE incident_merges SET merged_into = n.merged_into FROM link_merges n"
            " WHERE incident_merges.merged_into = n.incident_id"
        )
        stamped = merges.append_column("run_id", pa.array([batch_id] * merges.num_rows))
        stamped = stamped.append_column(
            "merged_at", pa.array([at] * merges.num_rows, pa.timestamp("us", tz="UTC"))
        )
        with candidates.registered(con, merge_rows=stamped):
            lake.insert_new(con, "incident_merges", "merge_rows", lake.on_lake(con))


def _survivor(incident_id: str, into: dict[str, str]) -> str:
    """Where an incident ends up after a plan's merges, followed one after another."""
    seen = {incident_id}
    while (nxt := into.get(incident_id)) is not None and nxt not in seen:
        seen.add(nxt)
        incident_id = nxt
    return incident_id


def link_events(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    at: datetime,
    event_ids: Sequence[str],
    linking: Linking,
    recoding: bool = False,
    scans: Scans | None = None,
    timings: dict[str, float] | None = None,
) -> LinkPlan:
    """Link just-written events (stamped `at`) to incidents, in the caller's transaction.

    A re-coding's events are weighed against their articles' earlier events first
    (a batch's new articles have none), and against the whole window: an incident
    inherited from an earlier coding may hold no report near the new one. With
    `scans`, the rows the reads of new and candidate reports read are counted; with
    `timings`, the seconds spent reading, deciding (the linker) and writing.
    """
    started = time.perf_counter()
    new = candidates.new_reports(con, event_ids, at, scans)
    earlier = candidates.predecessor_reports(con, new) if recoding else []
    near = None if recoding else linking.near_days
    stored = candidates.candidate_reports(con, new, linking.window_days, near, scans)
    read = time.perf_counter()
    plan = linking.linker(new, earlier + stored)
    decided = time.perf_counter()
    write_plan(con, batch_id, at, plan)
    if timings is not None:
        timings.update(read=read - started, decide=decided - read)
        timings.update(write=time.perf_counter() - decided)
    return plan
