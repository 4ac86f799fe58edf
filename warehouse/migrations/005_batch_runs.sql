-- Runs and their batches (dlt's loads). Each committed batch is a run of its own,
-- a child of its flow run (`parent_run_id`), written as 'completed' in the same
-- transaction as its rows: every articles, events and rejections row carries its
-- batch's run_id, which is a completed run from the moment the row is visible.
-- A flow run's own row is 'running' until it ends 'completed', 'failed' (an error,
-- Ctrl-C, SIGTERM) or 'crashed' (found dead later: SIGKILL, power loss); `pid` and
-- `host` say which process ran it, so a later run can tell a crash from a live run.
-- DuckDB cannot change a CHECK constraint in place, so the table is rebuilt.

CREATE TABLE runs_v5 (
    run_id            VARCHAR PRIMARY KEY,   -- the Prefect flow run id; '<flow run>/bNNNNN' for a batch
    parent_run_id     VARCHAR,               -- NULL for a flow run
    flow_name         VARCHAR NOT NULL,
    parameters        JSON,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    status            VARCHAR NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'crashed')),
    articles_seen     INTEGER NOT NULL DEFAULT 0,
    articles_new      INTEGER NOT NULL DEFAULT 0,
    articles_duplicate INTEGER NOT NULL DEFAULT 0,
    articles_rejected INTEGER NOT NULL DEFAULT 0,
    events_stored     INTEGER NOT NULL DEFAULT 0,
    error             VARCHAR,
    pid               INTEGER,
    host              VARCHAR
);
INSERT INTO runs_v5 BY NAME SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v5 RENAME TO runs;

-- One row per flow run, with how many batches it committed.
CREATE VIEW flow_runs AS
SELECT r.*, (SELECT count(*) FROM runs b WHERE b.parent_run_id = r.run_id) AS batches
FROM runs r
WHERE r.parent_run_id IS NULL;
