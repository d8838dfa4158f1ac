"""Staffing's quotas end to end: a registry command at the gateway → the registry's topic →
staffing (its own view, its own log) → the quota read through the gateway and published on
the `staffing` topic. Staffing never calls the registry."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services import cli
from services.staffing.quota.handlers import CONSUMER
from services.staffing.quota.packs import StaffingPack
from shared.community_code import check_digit
from tests.e2e.conftest import Platform, community, new_division
from tests.integration.kafka_helpers import consumed_to_the_end


async def call(
    platform: Platform, client: str, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    async with platform.http.request(
        method, f"{platform.gateway}/v1{path}", json=body, headers=platform.auth(client)
    ) as r:
        return r.status, await r.json(content_type=None)


async def staffing_once(platform: Platform, code: str, **expected: Any) -> dict[str, Any]:
    """The community's staffing through the gateway, once staffing shows `expected`."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        status, body = await call(platform, "zhenhai", "GET", f"/communities/{code}/staffing")
        if status == 200 and all(body[k] == v for k, v in expected.items()):
            return body  # type: ignore[no-any-return]
        assert asyncio.get_running_loop().time() < deadline, (status, body)
        await asyncio.sleep(0.1)


async def update_indicators(platform: Platform, code: str, **indicators: Any) -> None:
    body = {"households": 2860, "residents": 7420, "area_km2": "1.35", **indicators}
    status, problem = await call(
        platform, "zhenhai", "PATCH", f"/communities/{code}/indicators", body
    )
    assert status == 200, problem


async def quota_events_on_topic(bootstrap: str, code: str, count: int) -> list[dict[str, Any]]:
    """The first `count` QuotaSet CloudEvents keyed by `code` on `staffing.events`."""
    consumer = AIOKafkaConsumer(
        "staffing.events", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(found) < count:
            assert asyncio.get_running_loop().time() < deadline, found
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    if record.key == code.encode() and headers["ce_type"].endswith(".QuotaSet.v1"):
                        found.append({"headers": headers, "data": json.loads(record.value or b"")})
    finally:
        await consumer.stop()
    return found


async def test_a_registry_command_sets_the_quota_read_through_the_gateway(
    platform: Platform,
) -> None:
    """Ningbo urban: 22 per 10,000 residents (seed 004 §四), rounded half up: 7,420 residents
    → 16.324 → 16; 15,000 → 33. An area change moves nothing staffing follows: staffing
    appends nothing. Each decision names its inputs, rule, pack and the registry event that
    caused it, and is published on the `staffing` topic."""
    status, body = await call(
        platform, "zhenhai", "POST", "/communities", community(new_division())
    )
    assert status == 201, body
    code = body["code"]
    first = await staffing_once(platform, code, quota=16)
    assert first["policy_pack"] == "ningbo@2023.1" and first["version"] == 2
    assert first["bodies"]["residents_committee"] == {
        "min": 5, "max": 9, "source": "seed 003 §2.3.3: 社区居民委员会由5至9人组成",
    }  # fmt: skip

    await update_indicators(platform, code, residents=15000)
    assert (await staffing_once(platform, code, quota=33))["version"] == 4
    await update_indicators(platform, code, residents=15000, area_km2="2.10")
    await update_indicators(platform, code, residents=15500)  # 34.1 → 34
    assert (await staffing_once(platform, code, quota=34))["version"] == 6  # the area: nothing

    status, why = await call(platform, "zhenhai", "GET", f"/communities/{code}/staffing/explain")
    assert status == 200
    assert [d["quota"] for d in why["decisions"]] == [16, 33, 34]
    latest = why["decisions"][-1]
    assert latest["inputs"] == {"residents": "15500", "per_10000": "22"}
    assert latest["previous"] == 33 and latest["policy_pack"] == "ningbo@2023.1"
    assert "15500 × 22 / 10,000 = 34.1" in latest["rule"] and latest["source"] == "seed 004 §四"
    _, history = await call(platform, "zhenhai", "GET", f"/communities/{code}/history")
    registry_ids = {e["event_id"] for e in history["events"]}
    assert {d["caused_by"] for d in why["decisions"]} <= registry_ids  # traced to the registry

    published = await quota_events_on_topic(platform.bootstrap_servers, code, 3)
    assert [p["data"]["quota"] for p in published] == [16, 33, 34]
    assert published[0]["headers"]["ce_source"] == "/wuding/staffing"
    assert published[0]["headers"]["ce_divisioncode"] == code[:12]

    # District-scoped: another district may not read it; the city platform may.
    status, problem = await call(platform, "yinzhou", "GET", f"/communities/{code}/staffing")
    assert status == 403 and "330212" in problem["detail"]
    assert (await call(platform, "city", "GET", f"/communities/{code}/staffing"))[0] == 200


async def test_an_unknown_community_or_a_bad_code_is_a_problem_not_a_500(
    platform: Platform,
) -> None:
    status, problem = await call(
        platform, "zhenhai", "GET", "/communities/33021100400119999/staffing"
    )
    assert status in (404, 422) and problem["title"]
    unknown = "330211999999" + "1" + "000"
    unknown += check_digit(unknown)
    status, problem = await call(platform, "zhenhai", "GET", f"/communities/{unknown}/staffing")
    assert status == 404 and "staffing knows no community" in problem["detail"]


COUNT_EVENTS = "SELECT count(*) FROM events WHERE event_type <> 'LogSealed'"


async def settled(bootstrap: str, conn: asyncpg.Connection) -> int:
    """Staffing's event count once nothing more follows: its consumer has committed the
    registry's topic, no district waits for its floors' check (district/checks.py) and the
    count held for a round."""
    count = -1
    while True:
        await consumed_to_the_end(bootstrap, ["registry.events"], CONSUMER, timeout=30)
        marked = await conn.fetchval("SELECT count(*) FROM staffing_district_checks")
        now = await conn.fetchval(COUNT_EVENTS)
        if now == count and marked == 0:
            return int(now)
        count = now
        await asyncio.sleep(0.5)


async def redeliver_twice(bootstrap: str, topic: str) -> None:
    """Every record of `topic` produced again, twice, to its partition."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    records = []
    try:
        while batches := await consumer.getmany(timeout_ms=1000):
            records += [r for rs in batches.values() for r in rs]
    finally:
        await consumer.stop()
    assert len(records) >= 2
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for _ in range(2):
            for r in records:
                await producer.send(
                    topic, r.value, key=r.key, headers=list(r.headers), partition=r.partition
                )
        await producer.flush()
    finally:
        await producer.stop()


async def test_redelivering_the_whole_registry_topic_twice_changes_nothing(
    platform: Platform,
) -> None:
    """Every record of `registry.events` produced again, twice, as a broker redelivers after
    a consumer crash: staffing's inbox finds each one processed, so no quota changes and
    staffing's log gets no event of its own (only its seals may follow): no quota, and no
    district finding opened or resolved again."""
    status, body = await call(
        platform, "zhenhai", "POST", "/communities", community(new_division())
    )
    assert status == 201
    await staffing_once(platform, body["code"], quota=16)
    bootstrap = platform.bootstrap_servers
    conn = await asyncpg.connect(platform.staffing_db)
    quotas_query = "SELECT code, quota, version FROM staffing_quotas ORDER BY code"
    try:
        before = await settled(bootstrap, conn)
        quotas = await conn.fetch(quotas_query)
        await redeliver_twice(bootstrap, "registry.events")
        assert await settled(bootstrap, conn) == before
        assert await conn.fetch(quotas_query) == quotas
    finally:
        await conn.close()


async def test_staffing_packs_and_their_publication_are_read_through_the_gateway(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`GET /v1/staffing/policy-packs`: every shipped staffing pack version with its content
    hash; `wuding staffing policy publish` records the publication on staffing's own log and
    the listing shows it (its hash is the one anyone recomputes from the document)."""
    monkeypatch.setenv("WUDING_DATABASE_URL", platform.staffing_db)
    with pytest.raises(SystemExit) as done:
        await asyncio.to_thread(cli.main, ["staffing", "policy", "publish", "--region", "xixian"])
    assert done.value.code == 0, capsys.readouterr().err
    assert "staffing xixian@" in capsys.readouterr().out

    status, listing = await call(platform, "zhenhai", "GET", "/staffing/policy-packs")
    assert status == 200, listing
    regions = {item["region"]: item for item in listing["items"]}
    assert {"ningbo", "xixian", "devzone"} <= set(regions)
    xixian = regions["xixian"]
    assert xixian["in_force"] is True and xixian["published_at"] is not None
    assert xixian["published_sha256"] == xixian["content_sha256"]

    path = f"/staffing/policy-packs/xixian/{xixian['version']}"
    status, document = await call(platform, "zhenhai", "GET", path)
    assert status == 200, document
    pack = StaffingPack.model_validate(document["pack"])
    assert pack.content_sha256() == xixian["content_sha256"]
    assert pack.bodies["supervisory_committee"].max == 3  # Xixian: 3 (seed 002 §五)
    status, problem = await call(platform, "zhenhai", "GET", "/staffing/policy-packs/xixian/0.0")
    assert status == 404 and problem["title"], problem
