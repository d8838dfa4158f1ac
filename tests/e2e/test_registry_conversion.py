"""撤村建居 (issue 3 capability 6; seed 002 §三), through the gateway by Xixian's district system
and on the city platform's topic."""

from __future__ import annotations

from typing import Any

from services.registry.conversion.workflow import renamed_committee
from shared.community_code import is_valid_code
from tests.e2e.conftest import Platform, community, new_division, new_town
from tests.integration.kafka_helpers import event_types_for

PLAN = [{"kind": "conversion_plan", "title": "勤勇村撤村建居方案"}]
STEPS: dict[str, dict[str, Any]] = {
    "consent": {"actor_role": "villagers_meeting", "outcome": "consented", "votes_for": 71,
                "votes_total": 96,
                "documents": [{"kind": "meeting_minutes", "title": "户代表会议记录"}]},
    "civil_affairs_review": {"actor_role": "civil_affairs", "outcome": "pass"},
    "approval": {"actor_role": "management_committee", "outcome": "approved",
                 "documents": [{"kind": "approval_document", "title": "沣东新城管委会批复"}]},
    "filing": {"actor_role": "new_area_civil_affairs", "outcome": "filed"},
}  # fmt: skip


def test_the_villagers_committee_becomes_a_residents_committee() -> None:
    assert renamed_committee("庄市街道勤勇村村民委员会") == "庄市街道勤勇社区居民委员会"
    assert renamed_committee("勤勇村村民委员会") == "勤勇社区居民委员会"


async def test_conversion_ends_the_village_and_links_its_urban_successor(
    platform: Platform,
) -> None:
    auth = platform.auth("xixian")
    gw = f"{platform.gateway}/v1"

    async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with platform.http.request(method, gw + path, json=body, headers=auth) as r:
            return r.status, await r.json()

    status, village = await call("POST", "/communities", community(
        new_division("610104"), name="勤勇村", major_type="rural", subtype="城郊型农村社区",
        households=1500, residents=4200,
    ))  # fmt: skip
    assert status == 201, village
    code = village["code"]

    url = f"/communities/{code}/conversions"
    status, problem = await call(
        "POST", url, {"collective_assets_quantified": False, "documents": PLAN}
    )
    assert status == 422 and "seed 002 §三(一)" in problem["errors"][0]["reason"]
    status, case = await call(
        "POST", url, {"collective_assets_quantified": True, "documents": PLAN}
    )
    assert status == 201, case
    pid = case["proposal_id"]
    # The proposal's stream is not the village's: its events name the village (`code`) but
    # leave the village's version, the ETag an If-Match is checked against, where it was (on
    # main it dropped to 1, the proposal's own version).
    async with platform.http.get(f"{gw}/communities/{code}", headers=auth) as r:
        assert (r.headers["ETag"], (await r.json())["version"]) == (
            f'"{village["version"]}"',
            village["version"],
        )
    assert (case["status"], case["next_step"], case["successor_name"]) == (
        "proposed", "consent", "勤勇社区",
    )  # fmt: skip

    async def step(name: str, **over: Any) -> tuple[int, Any]:
        return await call(
            "POST", f"/conversions/{pid}/steps", {"step": name, **STEPS[name], **over}
        )

    status, problem = await step("filing")
    assert problem["errors"][0]["reason"] == (
        "filing cannot be taken yet: missing step(s) consent, civil_affairs_review, approval"
    )
    status, problem = await step("consent", votes_for=40)
    assert status == 422 and "40 of 96 is no majority" in problem["errors"][0]["reason"]
    for name in ("consent", "civil_affairs_review"):
        status, case = await step(name)
        assert status == 200, case
    status, case = await step("approval")
    assert (status, case["status"]) == (200, "approved")
    successor = case["successor_code"]
    assert is_valid_code(successor) and successor[:12] == code[:12] and successor[12] == "1"

    status, old = await call("GET", f"/communities/{code}")
    assert (old["status"], old["successor"]) == ("converted", successor)
    status, new = await call("GET", f"/communities/{successor}")
    assert (new["name"], new["major_type"], new["predecessor"]) == ("勤勇社区", "urban", code)
    assert new["committee_name"] == "勤勇社区居民委员会" and new["has_residents_committee"]
    assert new["households"] == 1500 and new["tier"] is not None

    # The village has ended: nothing more is recorded on it.
    status, problem = await call("PATCH", f"/communities/{code}/indicators",
                                 {"households": 1, "residents": 1, "area_km2": "1"})  # fmt: skip
    assert status == 409 and successor in problem["detail"]
    status, case = await step("filing")
    assert (case["status"], case["next_step"]) == ("filed", None)
    assert [s["step"] for s in case["steps"]] == [
        "proposal", "consent", "civil_affairs_review", "approval", "filing",
    ]  # fmt: skip
    assert (await call("GET", f"/conversions/{pid}"))[1]["status"] == "filed"
    async with platform.http.get(f"{gw}/conversions/{pid}", headers=platform.auth("zhenhai")) as r:
        assert r.status == 403

    # On the topic: the village's stream ends with its conversion; the successor's begins.
    old_types = await event_types_for(
        platform.bootstrap_servers, "registry.events", code,
        until=lambda ts: "CommunityConverted" in ts,
    )  # fmt: skip
    assert old_types[-1] == "CommunityConverted"
    new_types = await event_types_for(
        platform.bootstrap_servers, "registry.events", successor,
        until=lambda ts: "CommunityTierAssigned" in ts,
    )  # fmt: skip
    assert new_types[0] == "CommunityRegistered"


async def test_one_open_proposal_per_village_and_an_ended_village_names_its_successor(
    platform: Platform,
) -> None:
    """Guards (issue 8 §6): a second open 撤村建居 proposal for one village was accepted on main
    and stayed `reviewed` for ever once the first was approved; a proposal on an ended village
    was a 422. Now: one open proposal per village (409 naming it), a new one only after the
    first ended, 409 naming the successor once the village has converted; and conversions
    are listed like establishments, under a division prefix and a status."""
    auth = platform.auth("xixian")
    gw = f"{platform.gateway}/v1"

    async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with platform.http.request(method, gw + path, json=body, headers=auth) as r:
            return r.status, await r.json(content_type=None)

    town = new_town("610104")
    villages = []
    for number, name in ((1, "甲村"), (2, "乙村")):
        status, village = await call("POST", "/communities", community(
            f"{town}{number:03d}", name=name, major_type="rural", subtype="城郊型农村社区",
            households=1500, residents=4200,
        ))  # fmt: skip
        assert status == 201, village
        villages.append(village["code"])
    proposal = {"collective_assets_quantified": True, "documents": PLAN}

    async def step(pid: str, name: str, **over: Any) -> tuple[int, Any]:
        return await call(
            "POST", f"/conversions/{pid}/steps", {"step": name, **STEPS[name], **over}
        )

    status, first = await call("POST", f"/communities/{villages[0]}/conversions", proposal)
    assert status == 201, first
    status, problem = await call("POST", f"/communities/{villages[0]}/conversions", proposal)
    assert status == 409 and problem["type"].endswith("conversion-open"), problem
    assert first["proposal_id"] in problem["detail"]
    for name in ("consent", "civil_affairs_review", "approval"):
        status, case = await step(first["proposal_id"], name)
        assert status == 200, case
    status, problem = await call("POST", f"/communities/{villages[0]}/conversions", proposal)
    assert status == 409 and problem["type"].endswith("community-ended"), problem
    assert case["successor_code"] in problem["detail"]

    # A terminated proposal is closed: the village may be proposed again.
    status, refused = await call("POST", f"/communities/{villages[1]}/conversions", proposal)
    assert status == 201, refused
    status, case = await step(refused["proposal_id"], "consent", outcome="refused", votes_for=10)
    assert (status, case["status"]) == (200, "terminated"), case
    status, again = await call("POST", f"/communities/{villages[1]}/conversions", proposal)
    assert status == 201 and again["proposal_id"] != refused["proposal_id"], again

    status, page = await call("GET", f"/conversions?division_prefix={town}")
    assert status == 200, page
    assert {(c["proposal_id"], c["status"]) for c in page["items"]} == {
        (first["proposal_id"], "approved"), (refused["proposal_id"], "terminated"),
        (again["proposal_id"], "proposed"),
    }  # fmt: skip
    status, page = await call("GET", f"/conversions?division_prefix={town}&status=terminated")
    assert [c["proposal_id"] for c in page["items"]] == [refused["proposal_id"]]
    status, page = await call("GET", f"/conversions?division_prefix={town}&limit=2")
    status, rest = await call(
        "GET", f"/conversions?division_prefix={town}&cursor={page['next_cursor']}"
    )
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    async with platform.http.get(
        f"{gw}/conversions", params={"division_prefix": town}, headers=platform.auth("zhenhai")
    ) as r:
        assert r.status == 403


async def test_unknown_status_filters_are_a_422_naming_the_field(platform: Platform) -> None:
    """Guards (issue 8 §3, §6): `GET /v1/establishments?status=%00` was a 500 on main (the NUL
    reached PostgreSQL) and an unknown status an empty 200. A status filter is one of the
    workflow's statuses, on the registry and through the gateway; anything else is a 422
    problem naming `query.status` and the statuses it may be."""
    for base, auth in ((f"{platform.gateway}/v1", platform.auth("city")), (platform.registry, {})):
        for path in ("/establishments", "/conversions"):
            for bad in ("\x00", "bogus", "Proposed", "proposed "):
                params = {"division_prefix": "33", "status": bad}
                async with platform.http.get(base + path, params=params, headers=auth) as r:
                    assert r.status == 422, (base, path, bad, await r.text())
                    assert r.content_type == "application/problem+json"
                    problem = await r.json(content_type=None)
                    [error] = problem["errors"]
                    assert error["field"] == "query.status" and "'proposed'" in error["reason"]
            params = {"division_prefix": "33", "status": "proposed"}
            async with platform.http.get(base + path, params=params, headers=auth) as r:
                assert r.status == 200, await r.text()
    async with platform.http.get(f"{platform.gateway}/openapi.json") as r:
        spec = await r.json()
    for path, last in (("/v1/establishments", "terminated"), ("/v1/conversions", "terminated")):
        [status] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "status"]
        enum = status["schema"]["enum"]  # optional, not nullable (shared/openapi.py)
        assert enum[0] == "proposed" and enum[-1] == last
