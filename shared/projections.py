"""Projections: read models built from the log, checkpointed in the same transaction as their rows.

A batch is one transaction: lock the checkpoint row (so replicas take turns), read the next
events in commit-safe order, apply each, move the checkpoint. A crash rolls back rows and
checkpoint together, so an event is never applied twice nor skipped. `rebuild` empties the
read model and replays the whole log in one transaction: readers see the old model until the
new one is complete.

An event the projection cannot apply (it breaks a constraint, the code does not expect its
payload) would fail the same way on every replica, for ever. It is parked instead
(shared/parking.py) and the batch moves on: each event then runs in a savepoint, so the failed
one leaves no partial rows. Later events of the same stream are parked behind it, so a
stream's rows never skip a step; every other stream, and every other projection, goes on.
`retry` re-applies a projection's parked events in commit order once the cause is fixed.

A service runs its projectors as one `ProjectorGroup`: one transaction a batch for all of
them (one lock on their checkpoints, one read of the log, one checkpoint write), so a command
that every read model must show costs one batch, not one per read model. When any of them
cannot apply an event, the group's transaction rolls back and each projector runs its own
batch, where the event is parked as above.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

import asyncpg
import structlog

from shared.eventstore.catalog import EventCatalog
from shared.eventstore.envelope import Checkpoint, Envelope
from shared.eventstore.reader import (
    load_checkpoint,
    lock_checkpoints,
    read_after,
    save_checkpoint,
    save_checkpoints,
)
from shared.eventstore.store import ENVELOPE_COLUMNS, envelopes_from_rows
from shared.observability import metrics
from shared.parking import describe, held_streams, is_transient, park

log = structlog.get_logger("wuding.projections")


class Projection(Protocol):
    """A read model: its name, the tables it owns, and how one event changes them."""

    name: str
    tables: tuple[str, ...]

    async def apply(self, conn: asyncpg.Connection, envelope: Envelope) -> None: ...


_HELD = "held behind an earlier event of its stream"


class _CannotApply(Exception):
    """An event of the batch failed for good: redo the batch event by event, parking it."""


class Projector:
    """Keeps one projection up to date with the log (in the background: as a ProjectorGroup,
    alone or with the service's other projectors)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        catalog: EventCatalog,
        projection: Projection,
        *,
        batch_size: int = 500,
    ) -> None:
        self.pool = pool
        self.catalog = catalog
        self.projection = projection
        self.checkpoint_name = f"projection:{projection.name}"
        self.batch_size = batch_size
        self._wake = asyncio.Event()  # the group's, once in one (ProjectorGroup runs it)
        self._moved = asyncio.Condition()
        # The checkpoint as this process last committed or read it: read-your-writes waits on
        # it instead of querying the checkpoint after every batch.
        self._reached: Checkpoint | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """Apply the next batch in one transaction; return how many events it held."""
        try:
            count = await self._batch(isolated=False)
        except _CannotApply:
            count = await self._batch(isolated=True)
        async with self._moved:
            self._moved.notify_all()
        return count

    async def _batch(self, *, isolated: bool) -> int:
        """One batch. Not `isolated` (the common case): one transaction, no savepoints, and
        an event that fails for good raises _CannotApply. `isolated`: a savepoint per event,
        parking what fails."""
        async with self.pool.acquire() as conn, conn.transaction():
            checkpoint = await load_checkpoint(conn, self.checkpoint_name, for_update=True)
            events = await read_after(conn, checkpoint, self.batch_size)
            moved = await self._apply_after(conn, checkpoint, events, isolated=isolated)
            if moved is not None:
                await save_checkpoint(conn, self.checkpoint_name, moved)
        self._reached = checkpoint if moved is None else moved  # committed
        return len(events)

    async def _apply_after(
        self, conn: asyncpg.Connection, checkpoint: Checkpoint, events: list[Envelope],
        *, isolated: bool,
    ) -> Checkpoint | None:  # fmt: skip
        """Apply those of `events` after `checkpoint` (a group's batch reads from the lowest
        of its projectors); the checkpoint to save, None when there were none."""
        own = [e for e in events if e.checkpoint > checkpoint]
        lag = (datetime.now(UTC) - own[0].recorded_at).total_seconds() if own else 0
        metrics.PROJECTION_LAG_SECONDS.labels(self.projection.name).set(lag)
        if not own:
            return None
        await self._apply_all(conn, own, isolated=isolated)
        return own[-1].checkpoint

    async def _apply_all(
        self, conn: asyncpg.Connection, events: list[Envelope], *, isolated: bool
    ) -> None:
        held = await held_streams(conn, self.checkpoint_name)
        for envelope in events:
            if envelope.stream_id in held:
                await self._park(conn, envelope, _HELD, held_behind=held[envelope.stream_id])
                continue
            if not isolated:
                try:
                    await self.projection.apply(conn, self.catalog.upcast(envelope))
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    raise _CannotApply from exc
                continue
            try:
                async with conn.transaction():  # a savepoint: a failure leaves no rows
                    await self.projection.apply(conn, self.catalog.upcast(envelope))
            except Exception as exc:
                if is_transient(exc):
                    raise
                await self._park(conn, envelope, describe(exc))
                held[envelope.stream_id] = envelope.event_id

    async def _park(
        self,
        conn: asyncpg.Connection,
        envelope: Envelope,
        error: str,
        held_behind: UUID | None = None,
    ) -> None:
        log.error(
            "projection.event_parked",
            projection=self.projection.name,
            event_id=str(envelope.event_id),
            stream_id=envelope.stream_id,
            event_type=envelope.event_type,
            error=error,
            held_behind=str(held_behind) if held_behind else None,
        )
        await park(
            conn, self.checkpoint_name, event_id=envelope.event_id, stream_id=envelope.stream_id,
            stream_version=envelope.stream_version, event_type=envelope.event_type, error=error,
            held_behind=held_behind,
        )  # fmt: skip
        metrics.PARKED_EVENTS.labels(self.checkpoint_name).inc()

    async def retry(self) -> tuple[int, int]:
        """Re-apply the parked events in commit order (a stream stops at its first failure);
        return (applied, still parked)."""
        applied = 0
        async with self.pool.acquire() as conn, conn.transaction():
            await load_checkpoint(conn, self.checkpoint_name, for_update=True)  # take turns
            rows = await conn.fetch(
                f"""SELECT {ENVELOPE_COLUMNS} FROM events WHERE event_id IN
                        (SELECT event_id FROM parked_events WHERE reader = $1)
                    ORDER BY transaction_id, position""",
                self.checkpoint_name,
            )
            blocked: dict[str, UUID] = {}
            for envelope in envelopes_from_rows(rows):
                if envelope.stream_id in blocked:
                    await self._park(conn, envelope, _HELD, held_behind=blocked[envelope.stream_id])
                    continue
                try:
                    async with conn.transaction():
                        await self.projection.apply(conn, self.catalog.upcast(envelope))
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    await self._park(conn, envelope, describe(exc))
                    blocked[envelope.stream_id] = envelope.event_id
                    continue
                await conn.execute(
                    "DELETE FROM parked_events WHERE reader = $1 AND event_id = $2",
                    self.checkpoint_name,
                    envelope.event_id,
                )
                applied += 1
            await held_streams(conn, self.checkpoint_name)  # the gauge
            left = await conn.fetchval(
                "SELECT count(*) FROM parked_events WHERE reader = $1", self.checkpoint_name
            )
        log.info("projection.retried", projection=self.projection.name, applied=applied, left=left)
        return applied, left

    async def checkpoint(self) -> Checkpoint:
        async with self.pool.acquire() as conn:
            return await load_checkpoint(conn, self.checkpoint_name)

    async def wait_for(self, target: Checkpoint, timeout: float = 2.0) -> bool:
        """Wait until the projection has applied the event at `target` (read-your-writes).

        Each batch this process runs says how far it got; the stored checkpoint is read only
        when none did for 50 ms (another process's projector may have applied it)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._reached is None or self._reached < target:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self.wake()
            try:
                async with self._moved:
                    await asyncio.wait_for(self._moved.wait(), min(remaining, 0.05))
            except TimeoutError:
                if await self.checkpoint() >= target:
                    return True
        return True

    async def rebuild(self) -> int:
        """Empty the read model and replay the whole log; return how many events were read.

        Events that cannot be applied are parked as in `run` (the parked list starts afresh),
        so a rebuild never fails for ever on one event."""
        try:
            total = await self._rebuild(isolated=False)
        except _CannotApply:
            total = await self._rebuild(isolated=True)
        log.info("projection.rebuilt", projection=self.projection.name, events=total)
        return total

    async def _rebuild(self, *, isolated: bool) -> int:
        total = 0
        async with self.pool.acquire() as conn, conn.transaction():
            await load_checkpoint(conn, self.checkpoint_name, for_update=True)
            if self.projection.tables:
                await conn.execute(f"TRUNCATE {', '.join(self.projection.tables)}")
            await conn.execute("DELETE FROM parked_events WHERE reader = $1", self.checkpoint_name)
            checkpoint = Checkpoint()
            while events := await read_after(conn, checkpoint, self.batch_size):
                await self._apply_all(conn, events, isolated=isolated)
                checkpoint = events[-1].checkpoint
                total += len(events)
            await save_checkpoint(conn, self.checkpoint_name, checkpoint)
            await held_streams(conn, self.checkpoint_name)  # the gauge, after the rebuild
        return total


class ProjectorGroup:
    """A service's projectors, brought up to date together (see the module's docstring).

    Each projector keeps its own checkpoint, parked events, `rebuild` and `retry`; only the
    background run is shared. Waking any of them (a command's read-your-writes) wakes the
    group.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        projectors: list[Projector],
        *,
        batch_size: int = 500,
        poll_interval: float = 0.1,
    ) -> None:
        self.pool = pool
        self.projectors = projectors
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        for projector in projectors:
            projector._wake = self._wake  # one event: waking one of them wakes the group

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                read = await self.run_once()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("projections.retrying", error=repr(exc))
                read = 0
            if read < self.batch_size:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                except TimeoutError:
                    pass
                self._wake.clear()

    async def run_once(self) -> int:
        """One batch for every projector; return how many events the log gave it."""
        try:
            read = await self._together()
        except _CannotApply:
            read = 0
            for projector in self.projectors:  # each alone: the failing event is parked
                read = max(read, await projector.run_once())
            return read
        for projector in self.projectors:
            async with projector._moved:
                projector._moved.notify_all()
        return read

    async def _together(self) -> int:
        names = {p.checkpoint_name: p for p in self.projectors}
        async with self.pool.acquire() as conn, conn.transaction():
            checkpoints = await lock_checkpoints(conn, list(names))
            events = await read_after(conn, min(checkpoints.values()), self.batch_size)
            moved: dict[str, Checkpoint] = {}
            for name, projector in names.items():
                done = await projector._apply_after(conn, checkpoints[name], events, isolated=False)
                if done is not None:
                    moved[name] = done
            if moved:
                await save_checkpoints(conn, moved)
        for name, projector in names.items():  # committed
            projector._reached = moved.get(name, checkpoints[name])
        return len(events)
