"""What the broker acknowledged to a relay, per partition, and where to republish after a loss.

A broker can lose records it acknowledged: the embedded Tansu keeps them in memory only, and
Kafka drops a partition's tail in an unclean leader election. Neither tells the producer. So
after each batch the relay records, per partition it wrote to, an acknowledged end offset and
its log checkpoint (table `relay_offsets`, in the transaction that saves the checkpoint).
The end offset recorded is the last record batch's base offset + 1: a record batch is kept or
lost whole, so a broker still holding it reports at least that much (Tansu reports one offset
per record batch in its end offsets; Kafka one per record: either way it is a lower bound).
When the broker reports less for a partition, the newest row at or below what it reports marks
the last checkpoint whose events of that partition it still holds; the relay rewinds there.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.eventstore.envelope import Checkpoint

# Rows kept per partition: a loss reaching further back than the oldest kept row rewinds to
# the start of the log (safe, only slower: consumers drop repeats by event id).
KEEP_PER_PARTITION = 1000


@dataclass(frozen=True)
class Loss:
    partition: int
    acknowledged: int  # end offset the broker acknowledged to us
    reported: int  # end offset the broker reports now
    republish_from: Checkpoint


async def record(
    conn: asyncpg.Connection, relay: str, ends: dict[int, int], checkpoint: Checkpoint
) -> None:
    await conn.execute(
        "INSERT INTO relay_offsets (relay, partition, end_offset, transaction_id, position)"
        " SELECT $1, p, e, $4, $5 FROM unnest($2::int[], $3::bigint[]) AS t(p, e)"
        " ON CONFLICT (relay, partition, end_offset) DO UPDATE"
        " SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position,"
        " recorded_at = now()",
        relay,
        list(ends),
        list(ends.values()),
        checkpoint.transaction_id,
        checkpoint.position,
    )


async def acknowledged(conn: asyncpg.Connection, relay: str) -> dict[int, int]:
    """The highest end offset the broker acknowledged, per partition the relay wrote to."""
    rows = await conn.fetch(
        "SELECT partition, max(end_offset) AS acked FROM relay_offsets WHERE relay = $1"
        " GROUP BY partition",
        relay,
    )
    return {row["partition"]: row["acked"] for row in rows}


def lost_partitions(acked: dict[int, int], reported: dict[int, int]) -> list[int]:
    """The partitions in `reported` holding less than the broker acknowledged: pure, so the
    relay checks every batch against what it keeps in memory, with no database round trip."""
    return [p for p, now in reported.items() if p in acked and now < acked[p]]


async def find_losses(
    conn: asyncpg.Connection,
    relay: str,
    reported: dict[int, int],
    acked: dict[int, int] | None = None,
) -> list[Loss]:
    """The partitions in `reported` holding less than the broker acknowledged, each with where
    to republish from.

    `reported` is either the broker's end offsets, or the base offsets the broker gave the
    batch just sent: below an acknowledged end, that too shows the broker lost records (a
    restart between a check and a send, or a truncated partition refilled meanwhile).
    `acked` is what `acknowledged` returned, when the caller already holds it.
    """
    if acked is None:
        acked = await acknowledged(conn, relay)
    losses = []
    for partition in lost_partitions(acked, reported):
        now = reported[partition]
        kept = await conn.fetchrow(
            "SELECT transaction_id, position FROM relay_offsets"
            " WHERE relay = $1 AND partition = $2 AND end_offset <= $3"
            " ORDER BY end_offset DESC LIMIT 1",
            relay,
            partition,
            now,
        )
        start = Checkpoint(kept["transaction_id"], kept["position"]) if kept else Checkpoint()
        losses.append(Loss(partition, acked[partition], now, start))
    return losses


async def forget_after(conn: asyncpg.Connection, relay: str, checkpoint: Checkpoint) -> None:
    """Drop the records of what is about to be republished: those offsets no longer exist."""
    await conn.execute(
        "DELETE FROM relay_offsets WHERE relay = $1 AND (transaction_id, position) > ($2, $3)",
        relay,
        checkpoint.transaction_id,
        checkpoint.position,
    )


async def prune(conn: asyncpg.Connection, relay: str) -> None:
    await conn.execute(
        "DELETE FROM relay_offsets o WHERE relay = $1 AND end_offset < ("
        " SELECT end_offset FROM relay_offsets WHERE relay = $1 AND partition = o.partition"
        " ORDER BY end_offset DESC OFFSET $2 LIMIT 1)",
        relay,
        KEEP_PER_PARTITION - 1,
    )
