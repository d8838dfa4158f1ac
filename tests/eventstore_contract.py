"""One contract every event-store backend passes (as eventsourcing runs one suite against every
recorder): PostgreSQL in tests/integration/test_eventstore_contract.py, the in-memory store
handler unit tests use in tests/unit/test_memory_eventstore.py. A subclass provides `store`."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from shared.errors import ConcurrencyConflict, StreamPosition
from shared.eventstore import NewEvent
from shared.eventstore.hashing import recompute_hash
from shared.eventstore.store import head_of, seal_pending
from shared.pipeline import Store


def ev(n: int) -> NewEvent:
    return NewEvent("Thing", 1, {"n": n, "名称": "勤勇社区"}, {"actor": "tester"})


class EventStoreContract:
    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError

    async def test_append_assigns_versions_positions_and_chains_hashes(self, store: Store) -> None:
        first = await store.append("s-1", StreamPosition(), [ev(1), ev(2)])
        second = await store.append("s-1", head_of(first), [ev(3)])
        stream = await store.read_stream("s-1")
        assert [e.stream_version for e in stream] == [1, 2, 3]
        assert stream[0].payload == {"n": 1, "名称": "勤勇社区"}
        assert stream[0].prev_hash is None
        assert stream[1].prev_hash == stream[0].hash and stream[2].prev_hash == stream[1].hash
        assert all(recompute_hash(e) == e.hash for e in stream)
        assert [e.position for e in stream] == sorted(e.position for e in stream)
        assert second[0].event_id == stream[2].event_id
        assert first[0].transaction_id == first[1].transaction_id < second[0].transaction_id

    async def test_stale_expected_version_is_a_conflict_and_appends_nothing(
        self, store: Store
    ) -> None:
        first = await store.append("s-2", StreamPosition(), [ev(1)])
        await store.append("s-2", head_of(first), [ev(2)])
        for stale in (head_of(first), StreamPosition(), StreamPosition(1, b"\x01" * 32)):
            with pytest.raises(ConcurrencyConflict):
                await store.append("s-2", stale, [ev(99)])
        assert [e.payload["n"] for e in await store.read_stream("s-2")] == [1, 2]

    async def test_same_command_id_appends_once_and_replays_first_events(
        self, store: Store
    ) -> None:
        command_id = uuid4()
        first = await store.append("s-4", StreamPosition(), [ev(1), ev(2)], command_id=command_id)
        again = await store.append("s-4", StreamPosition(), [ev(1), ev(2)], command_id=command_id)
        other_stream = await store.append("s-5", StreamPosition(), [ev(1)], command_id=command_id)
        assert [e.event_id for e in again] == [e.event_id for e in first]
        assert [e.event_id for e in other_stream] == [e.event_id for e in first]
        assert [e.event_id for e in await store.events_of_command(command_id)] == [
            e.event_id for e in first
        ]
        assert await store.events_of_command(uuid4()) == []
        assert len(await store.read_stream("s-4")) == 2
        assert await store.read_stream("s-5") == []

    async def test_appends_to_several_streams_are_all_or_none_and_replay(
        self, store: Store
    ) -> None:
        await store.append("b", StreamPosition(), [ev(1)])
        command_id = uuid4()
        with pytest.raises(ConcurrencyConflict):  # b moved on: a's events are not kept either
            await store.append_together(
                [("a", StreamPosition(), [ev(1)]), ("b", StreamPosition(), [ev(2)])],
                command_id=command_id,
            )
        assert await store.read_stream("a") == []
        assert await store.events_of_command(command_id) == []
        head = head_of(await store.read_stream("b"))
        both = [("a", StreamPosition(), [ev(1)]), ("b", head, [ev(2)])]
        done = await store.append_together(both, command_id=command_id)
        assert [(e.stream_id, e.stream_version) for e in done] == [("a", 1), ("b", 2)]
        again = await store.append_together(both, command_id=command_id)
        assert [e.event_id for e in again] == [e.event_id for e in done]
        assert len(await store.read_stream("b")) == 2

    async def test_nothing_to_append_appends_nothing(self, store: Store) -> None:
        assert await store.append("s-6", StreamPosition(5), []) == []
        assert await store.read_stream("s-6") == []

    async def test_floats_are_refused_before_anything_is_written(self, store: Store) -> None:
        with pytest.raises(TypeError, match="floats"):
            await store.append("s-7", StreamPosition(), [NewEvent("T", 1, {"yuan": 1.5})])
        assert await store.read_stream("s-7") == []

    async def test_a_stream_read_as_of_a_moment(self, store: Store) -> None:
        first = await store.append("s-8", StreamPosition(), [ev(1)])
        moment = datetime.now(UTC)
        await store.append("s-8", head_of(first), [ev(2)])
        assert [e.payload["n"] for e in await store.read_stream("s-8", until=moment)] == [1]

    async def test_pending_appends_are_written_together_all_or_none(self, store: Store) -> None:
        """Guards write_pending (a consumer's batch: appends sealed as its reactions decide,
        written at its end): several streams and two appends to one stream land in one
        transaction, chained and placed in order; if any stream moved on since, nothing of
        the batch is written."""
        await store.append("p-b", StreamPosition(), [ev(1)])
        first = seal_pending("p-a", StreamPosition(), [ev(1), ev(2)], uuid4())
        then = seal_pending("p-a", head_of(first.envelopes), [ev(3)], uuid4())
        b_head = head_of(await store.read_stream("p-b"))
        other = seal_pending("p-b", b_head, [ev(2)], None)
        await store.write_pending([first, other, then])
        streams = await store.read_streams(["p-a", "p-b", "p-none"])
        assert [e.payload["n"] for e in streams["p-a"]] == [1, 2, 3]
        assert [e.payload["n"] for e in streams["p-b"]] == [1, 2]
        assert streams["p-none"] == []
        assert all(recompute_hash(e) == e.hash for e in streams["p-a"] + streams["p-b"])
        assert streams["p-a"][2].prev_hash == streams["p-a"][1].hash
        assert len({e.transaction_id for e in streams["p-a"] + streams["p-b"][1:]}) == 1
        assert [e.event_id for e in await store.events_of_command(then.command_id)] == [
            then.envelopes[0].event_id
        ]
        stale = seal_pending("p-b", b_head, [ev(99)], None)  # p-b moved on since
        fresh = seal_pending("p-c", StreamPosition(), [ev(1)], uuid4())
        with pytest.raises(ConcurrencyConflict):
            await store.write_pending([fresh, stale])
        assert (await store.read_streams(["p-b", "p-c"])) == {"p-b": streams["p-b"], "p-c": []}
