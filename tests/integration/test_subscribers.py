"""Subscribers as a kernel path: a service's EVENT_HANDLERS, run by ServiceRuntime under its
supervisor, issue commands on the command pipeline inside the inbox's transaction."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from shared.cloudevents import IncomingEvent
from shared.commands import CommandContext
from shared.eventstore import DomainEvent, EventCatalog, EventStore
from shared.eventstore.store import head_of
from shared.kafka import ensure_topics
from shared.pipeline import Change, CommandPipeline
from shared.runtime import ServiceRuntime
from shared.settings import KernelSettings
from shared.subscribers import Subscription, reaction_context
from tests.conftest import Stack
from tests.integration.kafka_helpers import read_topic
from tests.integration.test_inbox import cloudevent, until


class Tallied(DomainEvent):
    """The tiny service's own event: it tallied another service's `Counted`."""

    event_type = "Tallied"
    n: int


def tally_service(name: str) -> dict[str, object]:
    """A service of one reaction: `Counted` → the command RecordTally on its own stream. A
    negative count fails after the append, as a reaction whose second step breaks would."""

    async def record_tally(event: IncomingEvent, pipeline: CommandPipeline) -> None:
        ctx = reaction_context(event, name)
        stream = f"tally-{event.event_id}"
        tallied = Tallied(n=event.data["n"])
        new = pipeline.new_event(tallied, "RecordTally", ctx, subject=event.subject)
        await pipeline.save(ctx, Change(stream, head_of(await pipeline.load(stream)), [new]))
        if event.data["n"] < 0:
            raise ValueError("a negative count cannot be tallied")

    return {"Counted": record_tally}


async def tally_setup(
    stack: Stack, registry_db: str
) -> tuple[str, str, EventCatalog, KernelSettings, asyncpg.Pool]:
    """A fresh topic and consumer name, the tally service's catalogue, settings and pool."""
    topic, name = f"in-{uuid4().hex[:6]}.events", f"tally-{uuid4().hex[:6]}"
    catalog = EventCatalog(source="/wuding/tally")
    catalog.register(Tallied)
    settings = KernelSettings(
        service="registry", relay_enabled=False, kafka_bootstrap_servers=stack.bootstrap_servers
    )
    pool = await asyncpg.create_pool(registry_db, min_size=1, max_size=5)
    assert pool is not None
    return topic, name, catalog, settings, pool


async def test_a_reactions_events_and_its_inbox_row_commit_or_roll_back_together(
    stack: Stack, registry_db: str
) -> None:
    """Guards: a reaction to another service's event appends through the pipeline on the
    inbox's connection: applied, its events and its inbox row are both there (once, however
    often the event arrives); failed after its append, neither is (the append rolled back with
    the inbox row, the event parked and dead-lettered). Before, `Handlers.append` could not
    append on the inbox's connection, and no service ran its consumers."""
    topic, name, catalog, settings, pool = await tally_setup(stack, registry_db)
    runtime = ServiceRuntime(
        settings, pool, catalog, [], [Subscription(name, [topic], tally_service(name))]
    )
    await ensure_topics(stack.bootstrap_servers, topic)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    good, bad, other = str(uuid4()), str(uuid4()), str(uuid4())
    try:
        for event_id, n in [(good, 3), (bad, -1), (good, 3)]:
            value, headers = cloudevent(event_id, n)
            await producer.send_and_wait(topic, value, key=b"k", headers=headers)
        value, headers = cloudevent(other, 5)  # a type the service does not react to
        headers = [(k, b"cn.wuding.registry.Other.v1" if k == "ce_type" else v) for k, v in headers]
        await producer.send_and_wait(topic, value, key=b"k", headers=headers)
        runtime.start()
        assert f"consumer:{name}" in runtime.supervisor.report()

        async def all_seen() -> bool:
            return await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", name) == 2

        await until(all_seen)
        [dead] = await read_topic(stack.bootstrap_servers, f"{name}.dlt", expect=1)
        inbox = {
            str(r["event_id"])
            for r in await pool.fetch("SELECT event_id FROM inbox WHERE consumer = $1", name)
        }
        tallies = await pool.fetch("SELECT stream_id, payload::text, metadata FROM events")
    finally:
        await producer.stop()
        await runtime.stop()
    assert inbox == {good, other}  # the failed one left no inbox row
    assert [(t["stream_id"], t["payload"]) for t in tallies] == [(f"tally-{good}", '{"n":3}')]
    assert '"command":"RecordTally"' in tallies[0]["metadata"]
    assert f'"causation_id":"{good}"' in tallies[0]["metadata"]
    assert dict((k, v.decode()) for k, v in dead.headers)["dlt_reason"].endswith(
        "a negative count cannot be tallied"
    )


async def test_a_batch_that_meets_another_writer_runs_again_and_parks_nothing(
    stack: Stack, registry_db: str
) -> None:
    """Guards the deferred batch (shared/inbox.py, shared/pipeline.py StreamCache): reactions
    to three events fold one shared stream, each seeing the ones before; the batch's appends
    wait for its end. Another writer (an HTTP command on the same community) appends to that
    stream in between, so the batch's write meets a taken version: the batch rolls back and
    runs again on the new state — every event applied once, after the other writer's, nothing
    parked. Before, a reaction that met another writer was parked and dead-lettered as if it
    could never be processed."""
    topic, name, catalog, settings, pool = await tally_setup(stack, registry_db)
    other = CommandPipeline(EventStore(pool), catalog)
    runs: list[int] = []

    async def record_tally(event: IncomingEvent, pipeline: CommandPipeline) -> None:
        ctx = reaction_context(event, name)
        total, head = await pipeline.fold("tally", Sum())
        runs.append(total.n)
        if len(runs) == 1:  # the other writer appends after this batch read the stream
            octx = CommandContext("clerk", "user")
            oevent = other.new_event(Tallied(n=100), "Correct", octx, subject="tally")
            await other.save(octx, Change("tally", head_of(await other.load("tally")), [oevent]))
        new = other.new_event(Tallied(n=event.data["n"]), "RecordTally", ctx, subject="tally")
        await pipeline.save(ctx, Change("tally", head, [new]))

    subscription = Subscription(name, [topic], {"Counted": record_tally}, lambda e: "tally")
    runtime = ServiceRuntime(settings, pool, catalog, [], [subscription])
    await ensure_topics(stack.bootstrap_servers, topic)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:
        for n in (1, 2, 3):
            value, headers = cloudevent(str(uuid4()), n)
            await producer.send(topic, value, key=b"k", headers=headers)
        await producer.flush()
        runtime.start()

        async def all_seen() -> bool:
            return await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", name) == 3

        await until(all_seen)
        stream = await other.load("tally")
        parked = await pool.fetchval("SELECT count(*) FROM parked_events")
    finally:
        await producer.stop()
        await runtime.stop()
    assert [e.payload["n"] for e in stream] == [100, 1, 2, 3]
    assert parked == 0
    assert runs[0] == 0 and runs[-3:] == [100, 101, 103]  # the run again saw the writer's


class Sum:
    def __init__(self) -> None:
        self.n = 0

    def apply(self, event: DomainEvent) -> None:
        assert isinstance(event, Tallied)
        self.n += event.n


async def test_a_hostile_event_in_a_batch_is_parked_and_the_batch_goes_on(
    stack: Stack, registry_db: str
) -> None:
    """Guards the batch's read-ahead (`Subscription.stream_of`, ReactionHandler.begin): an
    event naming a stream PostgreSQL cannot hold (a NUL in its text) failed the batch's one
    read of every stream, outside any event's own handling, so the consumer died and was
    restarted on the same batch forever. Now the batch runs again event by event: the good
    event is applied, the hostile one parked and dead-lettered."""
    topic, name, catalog, settings, pool = await tally_setup(stack, registry_db)

    async def record(event: IncomingEvent, pipeline: CommandPipeline) -> None:
        ctx = reaction_context(event, name)
        stream = f"tally-{event.data['tag']}"
        _, head = await pipeline.fold(stream, Sum())
        new = pipeline.new_event(Tallied(n=1), "RecordTally", ctx, subject=event.subject)
        await pipeline.save(ctx, Change(stream, head, [new]))

    subscription = Subscription(
        name, [topic], {"Counted": record}, lambda e: f"tally-{e.data['tag']}"
    )
    runtime = ServiceRuntime(settings, pool, catalog, [], [subscription])
    await ensure_topics(stack.bootstrap_servers, topic)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    good, hostile = str(uuid4()), str(uuid4())
    try:
        for event_id, tag in ((hostile, "社区\u0000码"), (good, "勤勇")):
            _, headers = cloudevent(event_id, 1)
            value = orjson.dumps({"n": 1, "tag": tag})
            await producer.send(topic, value, key=b"k", headers=headers)
        await producer.flush()
        runtime.start()

        async def settled() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM parked_events")) and bool(
                await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", name)
            )

        await until(settled)
        inbox = {str(r) for r in await pool.fetchval(
            "SELECT array_agg(event_id) FROM inbox WHERE consumer = $1", name
        )}  # fmt: skip
        parked = await pool.fetchval("SELECT event_id::text FROM parked_events")
        [dead] = await read_topic(stack.bootstrap_servers, f"{name}.dlt", expect=1)
        tallied = await pool.fetchval("SELECT count(*) FROM events WHERE stream_id = 'tally-勤勇'")
    finally:
        await producer.stop()
        await runtime.stop()
    assert inbox == {good} and parked == hostile and tallied == 1
    assert dict(dead.headers)["ce_id"].decode() == hostile


async def test_a_batch_holding_reactions_the_log_recorded_before_appends_them_not_again(
    stack: Stack, registry_db: str
) -> None:
    """Guards the command-id defence under the inbox (shared/pipeline.py save, shared/inbox.py):
    a second consumer group replays a topic whose first events the first group already
    reacted to. Its inbox has no row for them, but each reaction's command id derives from the
    event's, so the log holds those commands: the batch, meeting them at its deferred write,
    runs again command by command, each recorded one is answered from the log, and only the
    new event's reaction appends; nothing is parked. Before, the recorded command's unique
    violation aborted the batch's transaction and every event of the batch was parked and
    dead-lettered."""
    topic, name, catalog, settings, pool = await tally_setup(stack, registry_db)

    async def record_tally(event: IncomingEvent, pipeline: CommandPipeline) -> None:
        ctx = reaction_context(event, "tally")  # the reaction's command: one per event
        stream = f"tally-{event.event_id}"
        new = pipeline.new_event(Tallied(n=event.data["n"]), "RecordTally", ctx, subject="t")
        await pipeline.save(ctx, Change(stream, head_of(await pipeline.load(stream)), [new]))

    await ensure_topics(stack.bootstrap_servers, topic)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    events = [str(uuid4()) for _ in range(3)]
    try:
        # The first group reacts to two events; the replaying group reads all three.
        for group, sent, seen in ((name, events[:2], 2), (f"{name}-replay", events[2:], 3)):
            for event_id in sent:
                value, headers = cloudevent(event_id, 1)
                await producer.send(topic, value, key=b"k", headers=headers)
            await producer.flush()
            subscription = Subscription(group, [topic], {"Counted": record_tally})
            own = await asyncpg.create_pool(registry_db, min_size=1, max_size=5)
            runtime = ServiceRuntime(settings, own, catalog, [], [subscription])  # closes `own`
            runtime.start()
            try:

                async def seen_all(group: str = group, seen: int = seen) -> bool:
                    count = "SELECT count(*) FROM inbox WHERE consumer = $1"
                    return await pool.fetchval(count, group) == seen

                await until(seen_all)
            finally:
                await runtime.stop()
        streams = await pool.fetch(
            "SELECT stream_id, count(*) AS n FROM events WHERE stream_id LIKE 'tally-%'"
            " GROUP BY stream_id"
        )
        parked = await pool.fetchval("SELECT count(*) FROM parked_events")
    finally:
        await producer.stop()
        await pool.close()
    assert {r["stream_id"]: r["n"] for r in streams} == {f"tally-{e}": 1 for e in events}
    assert parked == 0
