-- The kernel's tables, created in every service's own database before the service's tables.

-- The event log: the source of truth. Append-only, enforced below by triggers.
CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction's id. Readers order and checkpoint by (transaction_id, position)
    -- and only read below the oldest running transaction: see shared/eventstore/reader.py.
    -- Stored as bigint (an xid8 always fits): reading xid8 back as text costs ~10 µs a row.
    transaction_id  bigint      NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_version  integer     NOT NULL CHECK (stream_version > 0),
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version > 0),
    payload         jsonb       NOT NULL,
    metadata        jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL,
    -- Set on the first event of a command's batch only, so a command appends at most once.
    command_id      uuid,
    prev_hash       bytea,
    hash            bytea       NOT NULL,
    CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
);
CREATE UNIQUE INDEX events_command_once ON events (command_id) WHERE command_id IS NOT NULL;
CREATE INDEX events_commit_order ON events (transaction_id, position);

CREATE FUNCTION wuding_refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the events table is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_append_only_rows BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION wuding_refuse_event_change();
CREATE TRIGGER events_append_only_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION wuding_refuse_event_change();

-- Where each reader of the log (relay, projections) stands, as (transaction_id, position).
CREATE TABLE checkpoints (
    name            text PRIMARY KEY,
    transaction_id  bigint      NOT NULL DEFAULT 0,
    position        bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Event ids a Kafka consumer has processed, written in the same transaction as the effect.
CREATE TABLE inbox (
    consumer      text        NOT NULL,
    event_id      uuid        NOT NULL,
    topic         text        NOT NULL,
    event_type    text        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
