"""撤村建居 (issue 3 capability 6; seed 002 §三), through the gateway by Xixian's district system
and on the city platform's topic."""

from __future__ import annotations

from typing import Any

from services.registry.code import is_valid_code
from services.registry.conversion import renamed_committee
from tests.e2e.conftest import Platform, community, new_division
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
