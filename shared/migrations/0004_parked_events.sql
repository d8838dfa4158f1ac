-- Events a reader (a projection, a consumer) could not apply, parked with the reason so that
-- one bad event stops nothing else (docs/kernel.md, "An event that cannot be applied").
-- A projection also parks the later events of the same stream behind the failed one
-- (`held_behind`), so a stream's rows never skip a step; `wuding projections retry` re-applies.
CREATE TABLE parked_events (
    reader          text        NOT NULL,  -- "projection:communities", "consumer:<group>"
    event_id        uuid        NOT NULL,
    stream_id       text        NOT NULL,
    stream_version  integer,
    event_type      text        NOT NULL,
    error           text        NOT NULL,  -- exception type and first line (no DETAIL: no row)
    held_behind     uuid,                  -- null: it failed itself; else the event it waits for
    attempts        integer     NOT NULL DEFAULT 1,
    parked_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reader, event_id)
);
CREATE INDEX parked_events_by_stream ON parked_events (reader, stream_id);
