"""Grids and micro-grids (issue 3 capability 5; DOMAIN.md §1 "Grids"), through the gateway by a
district system, and on the city platform's topic."""

from __future__ import annotations

from typing import Any

from shared.community_code import is_valid_code
from tests.e2e.conftest import Platform, community, new_division
from tests.integration.kafka_helpers import event_types_for


def grid(name: str, households: int, *micro: int, kind: str = "residential") -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "figures": {"households": households, "population": households * 3},
        "micro_grids": [
            {"name": f"{name}{i + 1}幢", "kind": "residential", "households": h}
            for i, h in enumerate(micro)
        ],
    }


class Client:
    def __init__(self, platform: Platform, who: str, code: str) -> None:
        self.platform, self.auth = platform, platform.auth(who)
        self.base = f"{platform.gateway}/v1/communities/{code}"

    async def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        async with self.platform.http.request(
            method, self.base + path, json=body, headers={**self.auth, **headers}
        ) as r:
            return r.status, r.headers.copy(), await r.json()

    async def grids(self) -> dict[str, dict[str, Any]]:
        status, _, body = await self.call("GET", "/grids")
        assert status == 200, body
        return {g["name"]: g for g in body["grids"]}

    async def open_findings(self) -> set[tuple[str, str | None]]:
        _, _, body = await self.call("GET", "/findings")
        return {(f["rule"], f["subject"]) for f in body["open"]}


async def register(platform: Platform, **over: object) -> str:
    async with platform.http.post(
        f"{platform.gateway}/v1/communities",
        json=community(new_division(), **over),
        headers=platform.auth("zhenhai"),
    ) as r:
        assert r.status == 201, await r.text()
        code: str = (await r.json())["code"]
        return code


async def test_grid_lifecycle_create_merge_split_assign_with_size_findings(
    platform: Platform,
) -> None:
    code = await register(platform)
    c = Client(platform, "zhenhai", code)

    status, _, body = await c.call("POST", "/grids", grid("第一网格", 400, 60, 70))
    assert status == 201, body
    first = body["grids"][0]
    assert first["grid"] == code[:13] + "001" + first["grid"][16]  # serial 001 of the community
    assert is_valid_code(first["grid"]) and first["dedicated"] is False
    assert [m["id"] for m in first["micro_grids"]] == [f"{code}-M0001", f"{code}-M0002"]
    # A 250-household grid and a 40-household micro-grid: findings, not refusals.
    status, _, body = await c.call("POST", "/grids", grid("第二网格", 250, 40))
    assert status == 201
    second = (await c.grids())["第二网格"]
    assert await c.open_findings() == {
        ("grid.households_band", second["grid"]),
        ("micro_grid.households_band", f"{code}-M0003"),
    }

    # Merge: both close, a third grid (serial 003) holds 650 households and all micro-grids.
    status, _, body = await c.call(
        "POST", "/grids/merge", {"sources": [first["grid"], second["grid"]], "name": "合并网格"}
    )
    assert status == 200, body
    grids = await c.grids()
    merged = grids["合并网格"]
    assert merged["grid"][13:16] == "003" and merged["households"] == 650
    assert [m["id"] for m in merged["micro_grids"]] == [f"{code}-M000{i}" for i in (1, 2, 3)]
    assert grids["第一网格"]["active"] is False and grids["第一网格"]["closed_by"] == "GridsMerged"
    assert ("grid.households_band", merged["grid"]) in await c.open_findings()
    assert ("grid.households_band", second["grid"]) not in await c.open_findings()

    # A split whose parts do not add up is refused with the reason, and changes nothing.
    bad = {
        "parts": [
            {**grid("东区网格", 350), "micro_grids": [f"{code}-M0001"]},
            {**grid("西区网格", 200), "micro_grids": [f"{code}-M0002", f"{code}-M0003"]},
        ]
    }
    bad["parts"][0]["figures"] = {"households": 350, "population": 1000}
    bad["parts"][1]["figures"] = {"households": 200, "population": 950}
    status, _, problem = await c.call("POST", f"/grids/{merged['grid']}/split", bad)
    assert status == 422
    reasons = [e["reason"] for e in problem["errors"]]
    assert any("households add up to 550, not 650" in r for r in reasons), reasons
    assert (await c.grids())["合并网格"]["active"] is True

    good = bad
    good["parts"][1]["figures"] = {"households": 300, "population": 950}
    status, _, body = await c.call("POST", f"/grids/{merged['grid']}/split", good)
    assert status == 200, body
    grids = await c.grids()
    east, west = grids["东区网格"], grids["西区网格"]
    assert (east["households"], west["households"]) == (350, 300)
    assert [m["id"] for m in west["micro_grids"]] == [f"{code}-M0002", f"{code}-M0003"]
    findings = await c.open_findings()
    assert not any(
        subject in (merged["grid"], east["grid"], west["grid"]) for _, subject in findings
    )

    # Assign 20 households from east to west; more than east holds is refused.
    status, _, body = await c.call(
        "POST", f"/grids/{west['grid']}/assignments",
        {"moved": {"households": 20}, "from_grid": east["grid"]},
    )  # fmt: skip
    assert status == 200, body
    grids = await c.grids()
    assert (grids["东区网格"]["households"], grids["西区网格"]["households"]) == (330, 320)
    status, _, problem = await c.call(
        "POST", f"/grids/{west['grid']}/assignments",
        {"moved": {"households": 9999}, "from_grid": east["grid"]},
    )  # fmt: skip
    assert status == 422 and "has 330 households" in problem["errors"][0]["reason"]

    # The city platform receives every grid event of the community, in order.
    expected = ["GridCreated", "GridCreated", "GridsMerged", "GridSplit", "GridMembersAssigned"]
    types = await event_types_for(
        platform.bootstrap_servers, "registry.events", code,
        until=lambda ts: [t for t in ts if t.startswith("Grid")] == expected,
    )  # fmt: skip
    assert [t for t in types if t.startswith("Grid")] == expected
    # Raised: the 250-household grid, the 40-household micro-grid, the 650-household merge;
    # resolved: the first two grids' (closed by merge, split). The micro-grid's stays open.
    assert types.count("SizeFindingRaised") == 3 and types.count("SizeFindingResolved") == 2
    assert await c.open_findings() == {("micro_grid.households_band", f"{code}-M0003")}


async def test_dedicated_grids_resize_micro_grids_and_scope(platform: Platform) -> None:
    code = await register(platform)
    c = Client(platform, "zhenhai", code)
    # A dedicated market grid (专属网格): the 300-500 household band does not apply to it.
    status, _, body = await c.call("POST", "/grids", grid("综合市场网格", 0, kind="market"))
    assert status == 201 and body["grids"][0]["dedicated"] is True
    # An urban community's grids are residential or dedicated, not industrial.
    status, _, problem = await c.call("POST", "/grids", grid("产业网格", 0, kind="industrial"))
    assert status == 422 and problem["errors"][0]["field"] == "kind"

    status, headers, body = await c.call("POST", "/grids", grid("第一网格", 420, 90))
    first = (await c.grids())["第一网格"]
    micro = first["micro_grids"][0]["id"]
    assert ("micro_grid.households_band", micro) in await c.open_findings()
    # Resize the micro-grid into its band, with the version read (If-Match): resolved.
    status, _, body = await c.call(
        "PUT", f"/grids/{first['grid']}/figures",
        {"figures": {"households": 420, "population": 1200}, "micro_grids": [
            {"id": micro, "households": 75}]},
        **{"If-Match": headers["ETag"]},
    )  # fmt: skip
    assert status == 200, body
    assert await c.open_findings() == set()
    # The same stale version again: 409, nothing recorded.
    status, _, _ = await c.call(
        "PUT", f"/grids/{first['grid']}/figures",
        {"figures": {"households": 1, "population": 1}}, **{"If-Match": headers["ETag"]},
    )  # fmt: skip
    assert status == 409
    status, _, body = await c.call(
        "POST", f"/grids/{first['grid']}/micro-grids",
        {"name": "某某公司", "kind": "enterprise", "business_entities": 1},
    )  # fmt: skip
    assert status == 200
    assert [m["kind"] for m in (await c.grids())["第一网格"]["micro_grids"]] == [
        "residential", "enterprise",
    ]  # fmt: skip

    # Another district may neither read nor change the grids; the city platform may read.
    other = Client(platform, "yinzhou", code)
    assert (await other.call("GET", "/grids"))[0] == 403
    assert (await other.call("POST", "/grids", grid("越权网格", 400)))[0] == 403
    city = Client(platform, "city", code)
    assert set(await city.grids()) == {"综合市场网格", "第一网格"}  # the refused one left nothing
    assert (await city.call("POST", "/grids", grid("城市网格", 400)))[0] == 403


async def test_industrial_grid_guide_about_1000_people_or_1km2_or_30_entities(
    platform: Platform,
) -> None:
    code = await register(
        platform, name="澥浦工业社区", major_type="industrial", subtype="工业社区",
        employed_population=12000, business_entities=260,
    )  # fmt: skip
    c = Client(platform, "zhenhai", code)
    unit = {
        "name": "一园网格", "kind": "industrial",
        "figures": {"population": 1100, "area_km2": "0.8", "business_entities": 28},
    }  # fmt: skip
    assert (await c.call("POST", "/grids", unit))[0] == 201
    big = {
        "name": "大网格", "kind": "industrial",
        "figures": {"population": 900, "area_km2": "0.6", "business_entities": 70},
    }  # fmt: skip
    assert (await c.call("POST", "/grids", big))[0] == 201
    grids = await c.grids()
    _, _, body = await c.call("GET", "/findings")
    [finding] = body["open"]
    assert (finding["rule"], finding["subject"]) == (
        "industrial_grid.above_guide",
        grids["大网格"]["grid"],
    )
    assert finding["indicator"] == "business_entities" and "seed 000" in finding["source"]
