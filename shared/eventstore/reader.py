"""Reading the whole log in commit order, without gaps and without a global write lock.

Why not simply "position > checkpoint"? Positions come from a sequence, handed out when a row
is inserted, not when its transaction commits. Transaction A can take position 10, transaction
B position 11, and B commit first. A reader that sees 11 and checkpoints there skips 10 for good
once A commits. Locking the table for every append (what many event stores do) makes commit
order equal position order, but serialises every writer in the service on one lock.

What we do instead: each row records its writer's transaction id (`pg_current_xact_id()`).
A reader takes only rows whose transaction id is below `pg_snapshot_xmin(pg_current_snapshot())`,
the oldest transaction still running: every transaction below it has finished, so no row can
still appear below that line. Rows are ordered and checkpointed by (transaction id, position).
Ordering by position alone would still be wrong: a transaction with a higher id can hold a
lower position (it took its id first and inserted later), commit after the reader passed that
position, and be skipped. As a tuple, (transaction id, position) only grows in the order the
line above releases rows, so a checkpoint never passes over an event that can still arrive.

Per stream, this order is the version order: an append is the first write of its transaction
(see EventStore.append), and version n+1 can only be written once version n has committed, so
its transaction id is taken later and is larger.

The cost: one long-running writing transaction anywhere on the server holds every reader back
until it ends (it delays, it never loses). Keep transactions short.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from shared.eventstore.envelope import Checkpoint, Envelope
from shared.eventstore.store import ENVELOPE_COLUMNS, envelopes_from_rows

_READ_AFTER = f"""
SELECT {ENVELOPE_COLUMNS} FROM events
WHERE (transaction_id, position) > ($1::bigint, $2::bigint)
  AND transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)
ORDER BY events.transaction_id, events.position
LIMIT $3
"""


async def read_after(
    executor: asyncpg.Connection | asyncpg.Pool, checkpoint: Checkpoint, limit: int
) -> list[Envelope]:
    """Up to `limit` committed events after `checkpoint`, in commit-safe order."""
    rows = await executor.fetch(_READ_AFTER, checkpoint.transaction_id, checkpoint.position, limit)
    return envelopes_from_rows(rows)


async def load_checkpoint(
    conn: asyncpg.Connection, name: str, *, for_update: bool = False
) -> Checkpoint:
    """A reader's checkpoint (created at zero); `for_update` makes concurrent readers queue.
    One round trip once the row exists (every batch of every reader comes here)."""
    lock = " FOR UPDATE" if for_update else ""
    query = f"SELECT transaction_id AS txid, position FROM checkpoints WHERE name = $1{lock}"
    row = await conn.fetchrow(query, name)
    if row is None:
        await conn.execute(
            "INSERT INTO checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING", name
        )
        row = await conn.fetchrow(query, name)
    return Checkpoint(row["txid"], row["position"])


async def lock_checkpoints(conn: asyncpg.Connection, names: Sequence[str]) -> dict[str, Checkpoint]:
    """Several readers' checkpoints, locked in name order (as `load_checkpoint(for_update=True)`
    one by one, in one round trip once the rows exist)."""
    query = (
        "SELECT name, transaction_id AS txid, position FROM checkpoints"
        " WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE"
    )
    rows = await conn.fetch(query, list(names))
    if len(rows) < len(set(names)):
        await conn.execute(
            "INSERT INTO checkpoints (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
            list(names),
        )
        rows = await conn.fetch(query, list(names))
    return {row["name"]: Checkpoint(row["txid"], row["position"]) for row in rows}


async def save_checkpoints(conn: asyncpg.Connection, checkpoints: dict[str, Checkpoint]) -> None:
    await conn.execute(
        """UPDATE checkpoints c SET transaction_id = n.txid, position = n.position,
                  updated_at = now()
             FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS n(name, txid, position)
            WHERE c.name = n.name""",
        list(checkpoints),
        [c.transaction_id for c in checkpoints.values()],
        [c.position for c in checkpoints.values()],
    )


async def save_checkpoint(conn: asyncpg.Connection, name: str, checkpoint: Checkpoint) -> None:
    await conn.execute(
        "UPDATE checkpoints SET transaction_id = $2, position = $3, updated_at = now()"
        " WHERE name = $1",
        name,
        checkpoint.transaction_id,
        checkpoint.position,
    )
