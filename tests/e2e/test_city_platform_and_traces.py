"""As the city platform: CloudEvents on `registry.events`; and one trace across every hop."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.registry.community.events import community_stream
from shared.cloudevents import IncomingEvent
from shared.eventstore import Checkpoint
from shared.inbox import InboxConsumer, PerEvent
from shared.sealing import SEAL_STREAM, public_key_text, signing_key, verifying_key
from shared.topic_audit import check_records, read_whole_topic
from tests.conftest import SEAL_SIGNING_KEY
from tests.e2e.conftest import Platform, community, new_division
from tests.integration.kafka_helpers import read_topic


async def register(platform: Platform, division: str) -> dict:  # type: ignore[type-arg]
    async with platform.http.post(
        f"{platform.gateway}/v1/communities",
        json=community(division),
        headers=platform.auth("zhenhai"),
    ) as r:
        assert r.status == 201
        body: dict = await r.json()  # type: ignore[type-arg]
        return body


async def test_city_platform_reads_cloudevents_keyed_by_community_code(platform: Platform) -> None:
    code = (await register(platform, new_division()))["code"]
    records = await read_topic(
        platform.bootstrap_servers, "registry.events", expect=10_000, timeout=8
    )
    mine = [r for r in records if r.key == code.encode()]
    types = [dict(r.headers)["ce_type"].decode() for r in mine]
    assert types == [
        "cn.wuding.registry.CommunityRegistered.v1",
        "cn.wuding.registry.CommunityTierAssigned.v1",
    ]  # fmt: skip: one community's events, in order, on one partition
    assert len({r.partition for r in mine}) == 1
    headers = {k: v.decode() for k, v in mine[0].headers}
    assert headers["ce_type"] == "cn.wuding.registry.CommunityRegistered.v1"
    assert headers["ce_subject"] == code and headers["ce_divisioncode"] == code[:12]
    assert headers["ce_source"] == "/wuding/registry" and headers["ce_specversion"] == "1.0"
    assert headers["traceparent"].startswith("00-")
    assert b'"name":"\xe5\x8b\xa4\xe5\x8b\x87\xe7\xa4\xbe\xe5\x8c\xba"' in mine[0].value  # UTF-8


async def test_the_city_platform_checks_what_it_received_against_the_seals(
    platform: Platform,
) -> None:
    """The running registry seals its log (settings → runtime → relay); a subscriber reading
    the topic from the beginning finds every sealed event, links and signatures intact."""
    code = (await register(platform, new_division()))["code"]
    conn = await asyncpg.connect(platform.registry_db)
    try:
        mine = await conn.fetchrow(
            "SELECT transaction_id, position FROM events WHERE stream_id = $1"
            " ORDER BY stream_version DESC LIMIT 1",
            community_stream(code),
        )
        for _ in range(100):  # the seal falls due within about a second
            through = await conn.fetchval(
                "SELECT payload::json->>'through' FROM events WHERE stream_id = $1"
                " ORDER BY stream_version DESC LIMIT 1",
                SEAL_STREAM,
            )
            if through and Checkpoint.parse(through) >= Checkpoint(*mine):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("no seal covers the registration")
    finally:
        await conn.close()
    key = verifying_key(public_key_text(signing_key(SEAL_SIGNING_KEY)))
    records = await read_whole_topic(platform.bootstrap_servers, "registry.events")
    report = check_records(records, key)
    assert report.ok and report.seals >= 1, report.findings
    assert code.encode() in {r.key for r in records}


async def test_one_trace_from_gateway_through_registry_append_relay_and_consumer(
    platform: Platform, spans: InMemorySpanExporter
) -> None:
    seen: list[IncomingEvent] = []

    async def handler(conn: asyncpg.Connection, event: IncomingEvent) -> None:
        seen.append(event)

    pool = await asyncpg.create_pool(platform.registry_db, min_size=1, max_size=2)
    assert pool is not None
    consumer = InboxConsumer(
        pool,
        name=f"trace-{uuid4().hex[:6]}",
        topics=["registry.events"],
        handler=PerEvent(handler),
        bootstrap_servers=platform.bootstrap_servers,
    )
    await consumer.start()
    try:
        spans.clear()
        code = (await register(platform, new_division()))["code"]
        for _ in range(300):
            if any(e.subject == code for e in seen):
                break
            await asyncio.sleep(0.1)
    finally:
        await consumer.stop()
        await pool.close()
    [event] = [e for e in seen if e.subject == code and e.type == "CommunityRegistered"]
    trace_id = event.headers["traceparent"].split("-")[1]
    in_trace = [
        s for s in spans.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id
    ]
    names = {(s.name, s.kind) for s in in_trace}
    assert ("POST /v1/communities", SpanKind.SERVER) in names  # the gateway
    assert ("registry POST", SpanKind.CLIENT) in names  # the hop to the registry
    assert ("POST /communities", SpanKind.SERVER) in names  # the registry handler
    assert ("eventstore.append", SpanKind.INTERNAL) in names
    assert ("registry.events publish", SpanKind.PRODUCER) in names  # the relay
    assert any(kind == SpanKind.CONSUMER for _, kind in names), names  # the other side
    roots = [s for s in in_trace if s.parent is None]
    assert [r.name for r in roots] == ["POST /v1/communities"]


async def test_the_topic_contract_is_published(platform: Platform) -> None:
    async with platform.http.get(f"{platform.gateway}/v1/contracts/asyncapi.json") as r:
        assert r.status == 200
        doc = await r.json()
    assert doc["asyncapi"] == "3.0.0"
    assert set(doc["channels"]["registry.events"]["messages"]) == {
        "registry.CommunityRegistered.v1", "registry.CommunityIndicatorsUpdated.v1",
        "registry.CommunityTierAssigned.v1", "registry.SizeFindingRaised.v1",
        "registry.SizeFindingResolved.v1", "registry.PolicyPackPublished.v1",
        "registry.ResidentsCommitteeEstablished.v1", "registry.GridCreated.v1",
        "registry.GridResized.v1", "registry.MicroGridAdded.v1", "registry.GridsMerged.v1",
        "registry.GridSplit.v1", "registry.GridMembersAssigned.v1",
        "registry.CommunityActivated.v1", "registry.PartyOrganisationRecorded.v1",
        "registry.EstablishmentProposed.v1",
        "registry.EstablishmentStepRecorded.v1", "registry.ConversionProposed.v1",
        "registry.ConversionStepRecorded.v1", "registry.CommunityConverted.v1",
        "registry.LogSealed.v1",  # every service's log carries its seals
    }  # fmt: skip
    registered = doc["components"]["messages"]["registry.CommunityRegistered.v1"]
    assert registered["name"] == "cn.wuding.registry.CommunityRegistered.v1"
    assert {"code", "division_code", "area_km2"} <= set(registered["payload"]["properties"])
    assert "ce_id" in registered["headers"]["required"]
