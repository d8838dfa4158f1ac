"""Hostile events on the topics funding reads: an event no service would publish — a negative
party membership on the registry's topic, a negative yearly amount of an admitted matter on
matters', a qualification with no date on staffing's — is dead-lettered to `funding.dlt` with
its reason and changes nothing, and funding goes on with the events after it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import orjson
from aiokafka import AIOKafkaProducer

from tests.e2e.conftest import Platform
from tests.e2e.test_funding import amounts, funding_once, funding_when, industrial
from tests.e2e.test_matters_lists import call
from tests.integration.kafka_helpers import read_topic


def hostile(service: str, event_type: str, subject: str, data: dict[str, object]) -> tuple[
    str, bytes, list[tuple[str, bytes]]
]:  # fmt: skip
    """A well-formed CloudEvent of `service` whose data that service would never publish."""
    event_id = str(uuid4())
    headers = {
        "ce_specversion": "1.0", "ce_id": event_id, "ce_source": f"/wuding/{service}",
        "ce_type": f"cn.wuding.{service}.{event_type}.v1", "ce_subject": subject,
        "ce_time": datetime.now(UTC).isoformat(), "content-type": "application/json",
    }  # fmt: skip
    return event_id, orjson.dumps(data), [(k, v.encode()) for k, v in headers.items()]


async def test_events_no_service_publishes_are_dead_lettered_and_change_nothing(
    platform: Platform,
) -> None:
    code = await industrial(platform, 9_000)
    before = amounts(await funding_once(platform, code, 2))
    sent = {
        "registry.events": hostile("registry", "PartyOrganisationRecorded", code, {
            "code": code, "party_organisation": "总支", "party_members": -5,
        }),
        "matters.events": hostile("matters", "MatterAdmitted", code, {
            "code": code, "division_code": code[:12], "admission_id": "a-1",
            "matter": {"matter_id": "m-1", "name": "伪造事项"}, "department": "区某局",
            "effective_from": datetime.now(UTC).isoformat(), "funding_per_year_fen": -100,
        }),
        "staffing.events": hostile("staffing", "QualificationObtained", "w-1", {
            "worker_id": "w-1", "division_code": code[:12], "level": "social_worker",
            "effective_from": "someday", "code": code,
        }),
    }  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap_servers)
    await producer.start()
    try:
        for topic, (_, value, headers) in sent.items():
            await producer.send_and_wait(topic, value, key=code.encode(), headers=headers)
    finally:
        await producer.stop()

    # What follows on the same partition is applied: the registry records the organisation.
    status, _ = await call(platform, "zhenhai", "PUT", f"/communities/{code}/party-organisation",
                           {"party_organisation": "支部", "party_members": 12})  # fmt: skip
    assert status == 200
    after = amounts(await funding_when(platform, code, lambda body: len(body["lines"]) == 4))
    assert after == before | {"party_organisation": 4_000_000, "party_members": 12 * 12_000}

    wanted = {event_id: topic for topic, (event_id, _, _) in sent.items()}
    found: dict[str, dict[str, str]] = {}
    for _ in range(10):  # funding.dlt holds other tests' dead letters too
        records = await read_topic(platform.bootstrap_servers, "funding.dlt", expect=10**6,
                                   timeout=3)  # fmt: skip
        for record in records:
            headers = {k: v.decode() for k, v in record.headers}
            if headers.get("ce_id") in wanted:
                found[headers["ce_id"]] = headers
        if set(found) == set(wanted):
            break
    assert set(found) == set(wanted)
    for event_id, headers in found.items():
        assert headers["dlt_topic"] == wanted[event_id] and headers["dlt_consumer"] == "funding"
        assert headers["dlt_reason"]
    status, why = await call(platform, "zhenhai", "GET",
                             f"/communities/{code}/funding/explain?line=party_members")  # fmt: skip
    assert [d["inputs"]["party_members"] for d in why["decisions"]] == ["12"]
    assert "matter:m-1" not in after
