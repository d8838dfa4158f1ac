"""Only the command pipeline appends: no service calls an event store's append itself."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from shared.commands import CommandContext
from shared.errors import ConcurrencyConflict
from shared.eventstore import DomainEvent, Envelope, EventCatalog
from shared.eventstore.memory import MemoryEventStore
from shared.eventstore.store import head_of
from shared.pipeline import BATCH_CACHE, Change, CommandPipeline, StreamCache

ROOT = Path(__file__).parents[2]
APPENDS = {"append", "append_together", "write_pending"}
# The pipeline, the stores themselves, and the relay's sealer: a seal is the log's own
# record of what was published, not a command (no actor, no command id, no wake-up).
ALLOWED = {"shared/pipeline.py", "shared/eventstore/store.py", "shared/eventstore/memory.py",
           "shared/sealing.py"}  # fmt: skip


def store_appends(path: Path) -> list[int]:
    """Lines calling `<...>.store.append(...)` or `store.append(...)` (a list's append is not)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if node.func.attr in APPENDS and "store" in name.lower():
                lines.append(node.lineno)
    return lines


def test_only_the_pipeline_calls_store_append() -> None:
    """Guards: the four styles of registry command handling (once handlers.py, grid_commands.py,
    establishment_commands.py, conversion_commands.py) each called `store.append` with metadata
    built by hand; now every slice's handlers save through shared/pipeline.py."""
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("services", "shared")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in ALLOWED
        for line in store_appends(path)
    }
    assert found == set()


def test_the_check_finds_a_direct_append() -> None:
    source = ROOT / "services/registry/community/handlers.py"
    assert store_appends(source) == []
    probe = Path(__file__).with_name("_probe_append.py")
    try:
        probe.write_text("async def f(self):\n    await self.store.append('s', p, [])\n")
        assert store_appends(probe) == [2]
    finally:
        probe.unlink()


class Counted(DomainEvent):
    event_type = "Counted"
    n: int


class Total:
    def __init__(self) -> None:
        self.n = 0

    def apply(self, event: DomainEvent) -> None:
        assert isinstance(event, Counted)
        self.n += event.n


class CountingStore(MemoryEventStore):
    reads = 0

    async def read_stream(self, stream_id: str, **kwargs: Any) -> list[Envelope]:
        self.reads += 1
        return await super().read_stream(stream_id, **kwargs)


async def test_a_batch_reads_each_stream_once_and_its_cache_follows_appends_and_undo() -> None:
    """Guards the batch cache (shared/inbox.py sets it): within one batch a stream is read
    from the store once; what the batch appends joins it; resetting to a mark (an event
    rolled back to its savepoint) forgets that event's appends."""
    catalog = EventCatalog(source="/test")
    catalog.register(Counted)
    store = CountingStore()
    cache = StreamCache()
    token = BATCH_CACHE.set(cache)
    try:
        pipeline = CommandPipeline(store, catalog).on(None)  # type: ignore[arg-type]
        ctx = CommandContext("t", "t")
        _, head = await pipeline.fold("s", Total())
        await pipeline.save(
            ctx, Change("s", head, [pipeline.new_event(Counted(n=2), "C", ctx, subject="s")])
        )
        assert (await pipeline.fold("s", Total()))[0].n == 2
        mark = cache.mark()
        head = (await pipeline.fold("s", Total()))[1]
        other = CommandContext("t", "t")
        await pipeline.save(
            other, Change("s", head, [pipeline.new_event(Counted(n=5), "C", other, subject="s")])
        )
        assert (await pipeline.fold("s", Total()))[0].n == 7
        cache.reset(mark)
        assert (await pipeline.fold("s", Total()))[0].n == 2
        assert store.reads == 1
    finally:
        BATCH_CACHE.reset(token)
    assert CommandPipeline(store, catalog).on(None).cache is None  # type: ignore[arg-type]


async def test_a_deferring_batch_writes_its_saves_at_flush_and_refuses_a_moved_stream() -> None:
    """Guards the deferred batch (shared/inbox.py without savepoints): the preloaded streams
    are read once for the batch; saves are checked against what the batch read, seen by the
    batch's later folds, written only by `flush`, all at once; a stream another writer moved
    on since fails the flush and nothing of the batch is written."""
    catalog = EventCatalog(source="/test")
    catalog.register(Counted)
    store = CountingStore()
    ctx = CommandContext("t", "t")
    await store.append("b", head_of([]), [catalog.new_event(Counted(n=1), {})])

    async def batch(*, moved: bool) -> None:
        cache = StreamCache(deferred=True)
        token = BATCH_CACHE.set(cache)
        try:
            pipeline = CommandPipeline(store, catalog).on(None)  # type: ignore[arg-type]
            await pipeline.preload(["a", "b"])
            for stream in ("a", "b", "a"):
                c = CommandContext("t", "t")
                _, head = await pipeline.fold(stream, Total())
                new = [pipeline.new_event(Counted(n=2), "C", c, subject=stream)]
                await pipeline.save(c, Change(stream, head, new))
            assert (await pipeline.fold("a", Total()))[0].n == 4
            assert await store.read_stream("a") == []  # nothing written before the flush
            with pytest.raises(ConcurrencyConflict):  # a stale head is refused at once
                await pipeline.save(ctx, Change("a", head_of([]), [new[0]]))
            if moved:
                b = await store.read_stream("b")
                await store.append("b", head_of(b), [catalog.new_event(Counted(n=9), {})])
            await pipeline.flush()
        finally:
            BATCH_CACHE.reset(token)

    with pytest.raises(ConcurrencyConflict):
        await batch(moved=True)
    assert await store.read_stream("a") == []
    reads = store.reads
    await batch(moved=False)
    assert [e.payload["n"] for e in await store.read_stream("a")] == [2, 2]
    assert [e.payload["n"] for e in await store.read_stream("b")] == [1, 9, 2]
    assert store.reads - reads == 3  # the test's own reads: the batch preloaded its streams
