"""Issue 3, policy packs and scale tier, through the gateway and on the city platform's topic."""

from __future__ import annotations

import hashlib
import json

import asyncpg

from services.registry.runtime import registry_catalog, registry_commands
from shared.commands import CommandContext
from shared.eventstore import EventStore
from shared.pipeline import CommandPipeline
from shared.policy_publication import PublishPolicyPack
from tests.e2e.conftest import Platform, community, new_division
from tests.integration.kafka_helpers import event_types_for, read_topic

BIG = {"households": 6000, "residents": 16000, "area_km2": "3", "floating_population": 3000}


async def test_explain_answers_why_a_community_has_its_tier(platform: Platform) -> None:
    auth = platform.auth("zhenhai")
    async with platform.http.post(
        f"{platform.gateway}/v1/communities", json=community(new_division(), **BIG), headers=auth
    ) as r:
        assert r.status == 201
        code, etag = (await r.json())["code"], r.headers["ETag"]
    async with platform.http.get(
        f"{platform.gateway}/v1/communities/{code}/explain", headers=auth
    ) as r:
        assert r.status == 200
        why = await r.json()
    assert why["tier"] == "特大"
    current = why["current"]
    assert (current["policy_region"], current["policy_version"]) == ("ningbo", "2023.1")
    assert current["inputs"] == {"households": "6000", "residents": "16000",
                                 "floating_population": "3000", "area_km2": "3"}  # fmt: skip
    assert current["score"] == "1.8250" and current["previous_tier"] is None
    assert current["rule"] == "ningbo@2023.1 tier.urban_rural: score 1.8250 ≥ 特大 threshold 1.60"

    # Indicators fall: the tier changes and a second decision is recorded...
    small = {"households": 2000, "residents": 5000, "area_km2": "1"}
    url = f"{platform.gateway}/v1/communities/{code}/indicators"
    async with platform.http.patch(url, json=small, headers=auth | {"If-Match": etag}) as r:
        assert r.status == 200 and (await r.json())["tier"] == "一般"
    # ...but an update that keeps the tier records none.
    async with platform.http.patch(url, json=small | {"households": 2100}, headers=auth) as r:
        assert r.status == 200
    async with platform.http.get(
        f"{platform.gateway}/v1/communities/{code}/explain", headers=auth
    ) as r:
        history = (await r.json())["history"]
    assert [(d["previous_tier"], d["tier"]) for d in history] == [(None, "特大"), ("特大", "一般")]
    # Another district may not read the explanation either.
    async with platform.http.get(
        f"{platform.gateway}/v1/communities/{code}/explain", headers=platform.auth("yinzhou")
    ) as r:
        assert r.status == 403

    records = await read_topic(platform.bootstrap_servers, "registry.events", expect=10_000,
                               timeout=8)  # fmt: skip
    decisions = [r for r in records if r.key == code.encode()
                 and dict(r.headers)["ce_type"].endswith(b"CommunityTierAssigned.v1")]  # fmt: skip
    assert len(decisions) == 2


async def test_a_division_outside_every_policy_region_is_refused(platform: Platform) -> None:
    # No district client can reach another region through the gateway (scope), so this rule
    # is checked on the registry's internal API itself.
    async with platform.http.post(
        f"{platform.registry}/communities", json=community("110101001001")
    ) as r:
        problem = await r.json()
    assert r.status == 422
    assert problem["errors"] == [
        {"field": "division_code", "reason": "no policy region covers division code 110101001001"}
    ]


async def test_policy_packs_are_readable_and_verifiable_by_their_hash(platform: Platform) -> None:
    """Every number a decision used can be read with its seed source, and anyone can check
    that the pack read is the pack published (its SHA-256 over canonical JSON)."""
    auth = platform.auth("zhenhai")
    async with platform.http.get(f"{platform.gateway}/v1/policy-packs", headers=auth) as r:
        assert r.status == 200
        items = {(p["region"], p["version"]): p for p in (await r.json())["items"]}
    assert {region for region, _ in items} == {"ningbo", "devzone", "xixian"}
    assert items[("ningbo", "2023.1")]["in_force"] is True
    url = f"{platform.gateway}/v1/policy-packs/ningbo/2023.1"
    async with platform.http.get(url, headers=platform.auth("city")) as r:
        assert r.status == 200
        document = await r.json()
    pack = document["pack"]
    canonical = json.dumps(pack, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == document["content_sha256"]
    rule = next(r for r in pack["size_rules"] if r["id"] == "ningbo.households_above_6000")
    assert rule["max"] == "6000" and "seed 004" in rule["source"]

    # Once published, the publication's recorded hash is the one anyone recomputes.
    pool = await asyncpg.create_pool(platform.registry_db, min_size=1, max_size=2)
    try:
        handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
        ctx = CommandContext(actor_id="operator:e2e", actor_kind="operator")
        await handlers.policies.publish_pack(PublishPolicyPack("ningbo"), ctx)
    finally:
        await pool.close()
    async with platform.http.get(url, headers=auth) as r:
        document = await r.json()
    assert document["published_sha256"] == document["content_sha256"]
    assert document["published_at"] is not None
    # The city platform sees the publication on the topic, keyed by the policy stream.
    types = await event_types_for(
        platform.bootstrap_servers, "registry.events", "policy-ningbo",
        until=lambda ts: "PolicyPackPublished" in ts,
    )  # fmt: skip
    assert types == ["PolicyPackPublished"]
    async with platform.http.get(f"{platform.gateway}/v1/policy-packs/ningbo/1999.1",
                                 headers=auth) as r:  # fmt: skip
        assert r.status == 404 and r.headers["Content-Type"] == "application/problem+json"
    async with platform.http.get(f"{platform.gateway}/v1/policy-packs") as r:
        assert r.status == 401
