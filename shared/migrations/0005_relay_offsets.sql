-- What the broker acknowledged to each relay, so the relay can tell when the broker lost data.
-- After each published batch, per partition it wrote to: the partition's end offset as the
-- broker acknowledged it, and the relay's log checkpoint at that moment. Every event of that
-- partition up to the checkpoint lies below that end offset. When the broker later reports a
-- lower end offset (a memory-only broker restarted, an unclean leader election), the newest
-- row at or below the reported offset says where in the log to republish from; with none, the
-- relay republishes from the start (shared/relay_offsets.py).
CREATE TABLE relay_offsets (
    relay           text        NOT NULL,
    partition       integer     NOT NULL,
    end_offset      bigint      NOT NULL,
    transaction_id  bigint      NOT NULL,
    position        bigint      NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (relay, partition, end_offset)
);
