"""Size findings are raised and resolved as events, never refusals (issue 3 capability 3)."""

from __future__ import annotations

from tests.e2e.conftest import Platform, community, new_division
from tests.integration.kafka_helpers import event_types_for


async def test_findings_are_raised_then_resolved_with_rule_and_figures(platform: Platform) -> None:
    auth = platform.auth("zhenhai")
    async with platform.http.post(
        f"{platform.gateway}/v1/communities",
        json=community(new_division(), households=6400, residents=17000),
        headers=auth,
    ) as r:
        assert r.status == 201  # an oversized community is registered: findings alert, not refuse
        code = (await r.json())["code"]
    findings_url = f"{platform.gateway}/v1/communities/{code}/findings"
    async with platform.http.get(findings_url, headers=auth) as r:
        found = await r.json()
    assert sorted(f["rule"] for f in found["open"]) == [
        "ningbo.households_above_6000", "residents_committee_above_3000_households",
    ]  # fmt: skip
    above = next(f for f in found["open"] if f["rule"] == "ningbo.households_above_6000")
    assert above["limit"] == "households 6400 > 6000" and above["policy_version"] == "2023.1"
    assert "seed 004" in above["source"]

    # Split the community (fewer households): the 6,000 finding resolves, the 3,000 one stays.
    async with platform.http.patch(
        f"{platform.gateway}/v1/communities/{code}/indicators",
        json={"households": 4000, "residents": 11000, "area_km2": "1.35"},
        headers=auth,
    ) as r:
        assert r.status == 200
    async with platform.http.get(findings_url, headers=auth) as r:
        found = await r.json()
    assert [f["rule"] for f in found["open"]] == ["residents_committee_above_3000_households"]
    assert [f["rule"] for f in found["resolved"]] == ["ningbo.households_above_6000"]
    async with platform.http.get(findings_url, headers=platform.auth("yinzhou")) as r:
        assert r.status == 403
    # The city platform sees both findings raised and the one resolved, keyed by the code.
    types = await event_types_for(
        platform.bootstrap_servers, "registry.events", code,
        until=lambda ts: "SizeFindingResolved" in ts,
    )  # fmt: skip
    assert types.count("SizeFindingRaised") == 2 and types.count("SizeFindingResolved") == 1
    assert types.index("SizeFindingResolved") > types.index("CommunityIndicatorsUpdated")


async def test_occupancy_50_percent_without_residents_committee_until_one_is_set_up(
    platform: Platform,
) -> None:
    auth = platform.auth("xixian")  # seed 002 §二(三): the Xixian pack carries the rule
    async with platform.http.post(
        f"{platform.gateway}/v1/communities",
        json=community(
            new_division("610104"),
            name="沣东新城某新建住宅区社区",
            subtype="新建住宅区社区",
            households=1800,
            residents=5000,
            occupancy_share="0.62",
            has_residents_committee=False,
        ),
        headers=auth,
    ) as r:
        assert r.status == 201, await r.text()
        body = await r.json()
    code = body["code"]
    assert body["has_residents_committee"] is False and body["occupancy_share"] == "0.62"
    findings_url = f"{platform.gateway}/v1/communities/{code}/findings"
    async with platform.http.get(findings_url, headers=auth) as r:
        [finding] = (await r.json())["open"]
    assert finding["rule"] == "occupancy_50_without_residents_committee"
    assert finding["limit"] == "occupancy_share 0.62 ≥ 0.5" and "seed 002" in finding["source"]

    async with platform.http.post(
        f"{platform.gateway}/v1/communities/{code}/residents-committee",
        json={"committee_name": "某新建住宅区社区居民委员会"},
        headers=auth,
    ) as r:
        assert r.status == 200, await r.text()
        assert (await r.json())["has_residents_committee"] is True
    async with platform.http.get(findings_url, headers=auth) as r:
        found = await r.json()
    assert found["open"] == [] and [f["rule"] for f in found["resolved"]] == [finding["rule"]]
    async with platform.http.post(
        f"{platform.gateway}/v1/communities/{code}/residents-committee",
        json={"committee_name": "第二个居民委员会"},
        headers=auth,
    ) as r:
        assert r.status == 409  # one committee; nothing recorded twice
    types = await event_types_for(
        platform.bootstrap_servers, "registry.events", code,
        until=lambda ts: "SizeFindingResolved" in ts,
    )  # fmt: skip
    assert types[-2:] == ["ResidentsCommitteeEstablished", "SizeFindingResolved"]


async def test_an_industrial_community_cannot_have_a_residents_committee(
    platform: Platform,
) -> None:
    async with platform.http.post(
        f"{platform.gateway}/v1/communities",
        json=community(
            new_division(),
            name="澥浦工业社区",
            major_type="industrial",
            subtype="工业社区",
            has_residents_committee=True,
        ),
        headers=platform.auth("zhenhai"),
    ) as r:
        assert r.status == 422
        [error] = (await r.json())["errors"]
    assert error["field"] == "has_residents_committee" and "seed 000" in error["reason"]
