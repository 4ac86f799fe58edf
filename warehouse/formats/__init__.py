"""Exports of the warehouse (`eventpipe export`) in the layouts analysts' tools read:
ACLED, GDELT, PLOVER, and our own tables as Parquet or CSV. Each format is one
module; all share one `Selection` (level, days, countries) from
`warehouse.formats.selection`."""
