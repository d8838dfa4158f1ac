"""Only the command pipeline appends: no service calls an event store's append itself."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from shared.commands import CommandContext
from shared.eventstore import DomainEvent, Envelope, EventCatalog
from shared.eventstore.memory import MemoryEventStore
from shared.pipeline import BATCH_CACHE, Change, CommandPipeline, StreamCache

ROOT = Path(__file__).parents[2]
APPENDS = {"append", "append_together"}
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
