"""Size findings are raised and resolved as events, never refusals (issue 3 capability 3)."""

from __future__ import annotations

from tests.e2e.conftest import Platform, community, new_division


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
