"""Matters end to end (issue 11): a registry registration at the gateway → the registry's topic
→ matters opens the community's list from the catalogue of its type → the list read through
the gateway and published on the `matters` topic; tasks pushed through the gateway are checked
against it (清单之外无事项, seed 004 §二). Matters never calls the registry."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.conftest import Platform, community, new_division
from tests.e2e.test_registry_conversion import PLAN, STEPS
from tests.integration.kafka_helpers import Published, events_for


async def call(
    platform: Platform, client: str, method: str, path: str, body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:  # fmt: skip
    async with platform.http.request(
        method, f"{platform.gateway}/v1{path}", json=body,
        headers=platform.auth(client) | (headers or {}),
    ) as r:  # fmt: skip
        return r.status, await r.json(content_type=None)


async def matters_once(platform: Platform, client: str, code: str, **expected: Any) -> Any:
    """The community's list through the gateway, once matters shows `expected`."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        status, body = await call(platform, client, "GET", f"/communities/{code}/matters")
        if status == 200 and all(body[k] == v for k, v in expected.items()):
            return body
        assert asyncio.get_running_loop().time() < deadline, (status, body)
        await asyncio.sleep(0.1)


def _types(wanted: list[str]) -> Any:
    return lambda found: [e.type for e in found] == wanted or len(found) > len(wanted)


async def test_a_registration_opens_the_urban_list_and_pushes_are_checked_against_it(
    platform: Platform,
) -> None:
    """Ningbo urban: the 79 basic functions of seed 004 §二 (placeholders, the seed gives only
    the count), each on one of the four runways. A task naming one is accepted; a task naming
    no matter on the list is a 422 naming the rule, recorded as refused, changing nothing else;
    a retried push gets its first answer; another district may neither read nor push."""
    status, body = await call(
        platform, "zhenhai", "POST", "/communities", community(new_division())
    )
    assert status == 201, body
    code = body["code"]
    listed = await matters_once(platform, "zhenhai", code, status="open")
    assert (listed["community_type"], listed["policy_pack"]) == ("urban", "ningbo@2023.1")
    assert len(listed["items"]) == 79 and listed["division_code"] == code[:12]
    assert listed["runways"] == sorted(["党建统领", "经济生态", "平安法治", "公共服务"])
    assert all(m["basis"] == "basic" for m in listed["items"])
    assert "4大类17小类共79项" in listed["source"]
    first = listed["items"][0]

    task = {"matter_id": first["matter_id"], "department": "区民政局", "title": "困难家庭走访"}
    key = {"Idempotency-Key": f"push-{code}"}
    status, pushed = await call(
        platform, "zhenhai", "POST", f"/communities/{code}/tasks", task, key
    )
    assert status == 201, pushed
    assert (pushed["matter_id"], pushed["runway"], pushed["department"]) == (
        first["matter_id"], first["runway"], "区民政局",
    )  # fmt: skip
    again = await call(platform, "zhenhai", "POST", f"/communities/{code}/tasks", task, key)
    assert again == (201, pushed)  # the same task, not a second one

    outside = task | {"matter_id": "X99.01", "department": "区住建局"}
    rkey = {"Idempotency-Key": f"refused-{code}"}
    status, problem = await call(
        platform, "zhenhai", "POST", f"/communities/{code}/tasks", outside, rkey
    )
    assert status == 422, problem
    assert problem["type"] == "urn:wuding:problem:matter-not-on-list"
    assert problem["errors"][0]["field"] == "matter_id"
    assert "清单之外无事项 (seed 004 §二)" in problem["errors"][0]["reason"]
    assert "X99.01" in problem["detail"]
    retried = await call(platform, "zhenhai", "POST", f"/communities/{code}/tasks", outside, rkey)
    assert retried[0] == 422 and retried[1]["detail"] == problem["detail"]
    after = await matters_once(platform, "zhenhai", code)
    assert after["version"] == listed["version"] and after["items"] == listed["items"]

    status, problem = await call(platform, "yinzhou", "POST", f"/communities/{code}/tasks", task)
    assert status == 403 and "330212" in problem["detail"]
    assert (await call(platform, "yinzhou", "GET", f"/communities/{code}/matters"))[0] == 403
    assert (await call(platform, "city", "GET", f"/communities/{code}/matters"))[0] == 200

    # On the topic: the list with its runways and division code, then the tasks.
    found = await events_for(
        platform.bootstrap_servers,
        "matters.events",
        code,
        until=_types(["MatterListOpened", "TaskPushed", "TaskRefused"]),
    )
    assert [e.type for e in found] == ["MatterListOpened", "TaskPushed", "TaskRefused"]
    opened, accepted, refused = found
    assert opened.headers["ce_divisioncode"] == code[:12]
    assert opened.headers["ce_runways"] == ",".join(listed["runways"])
    assert len(opened.data["items"]) == 79 and opened.headers["ce_source"] == "/wuding/matters"
    assert accepted.headers["ce_runways"] == first["runway"]
    assert accepted.data["task_id"] == pushed["task_id"]
    assert (refused.data["department"], refused.data["matter_id"]) == ("区住建局", "X99.01")
    assert "ce_runways" not in refused.headers  # the catalogue knows no runway for X99.01


async def test_the_catalogue_carries_the_industrial_functions_in_full(platform: Platform) -> None:
    """Seed 000 §二(二): 3 categories, 16 subcategories (党群建设 3, 平安建设 6, 助企服务 7) with
    the seed's examples, and the industrial grid's 8 basic duties; any client may read it."""
    status, body = await call(platform, "yinzhou", "GET", "/catalogue?community_type=industrial")
    assert status == 200, body
    packs = {p["region"]: p for p in body["packs"]}
    assert packs["devzone"]["catalogue"] is None and "seed 001" in packs["devzone"]["source"]
    catalogue = packs["ningbo"]["catalogue"]
    assert catalogue["counts"] == {"categories": 3, "subcategories": 16, "functions": 16}
    assert [(c["name"], len(c["subcategories"])) for c in catalogue["categories"]] == [
        ("党群建设", 3), ("平安建设", 6), ("助企服务", 7),
    ]  # fmt: skip
    fraud = catalogue["categories"][1]["subcategories"][1]["functions"][0]
    assert (fraud["name"], fraud["runway"]) == ("治安防控", "平安法治")
    assert "反诈宣传" in fraud["examples"] and fraud["in_seeds"] is True
    assert len(catalogue["grid_duties"]["items"]) == 8
    status, problem = await call(platform, "yinzhou", "GET", "/catalogue?community_type=town")
    assert status == 422, problem


async def test_a_conversion_ends_the_village_list_and_the_successor_gets_the_urban_one(
    platform: Platform,
) -> None:
    """撤村建居 (Xixian, seed 002 §三): the village's list ends at its conversion and a task
    pushed to it afterwards is refused naming the end; the successor's registration opens its
    urban list, naming its predecessor. Seed 002 gives no catalogue: both lists hold no basic
    function, and say so."""
    status, village = await call(platform, "xixian", "POST", "/communities", community(
        new_division("610104"), name="勤勇村", major_type="rural", subtype="城郊型农村社区",
        households=1500, residents=4200,
    ))  # fmt: skip
    assert status == 201, village
    code = village["code"]
    opened = await matters_once(platform, "xixian", code, status="open")
    assert opened["items"] == [] and "seed 002 gives no function catalogue" in opened["source"]

    status, case = await call(
        platform,
        "xixian",
        "POST",
        f"/communities/{code}/conversions",
        {"collective_assets_quantified": True, "documents": PLAN},
    )
    assert status == 201, case
    for name in ("consent", "civil_affairs_review", "approval"):
        status, case = await call(platform, "xixian", "POST",
                                  f"/conversions/{case['proposal_id']}/steps",
                                  {"step": name, **STEPS[name]})  # fmt: skip
        assert status == 200, case
    successor = case["successor_code"]

    ended = await matters_once(platform, "xixian", code, status="ended")
    assert ended["successor"] == successor and ended["ended_at"] is not None
    task = {"matter_id": "R01.01.01", "department": "新区民政局", "title": "村务公开检查"}
    status, problem = await call(platform, "xixian", "POST", f"/communities/{code}/tasks", task)
    assert status == 422 and "list ended" in problem["detail"], problem
    new = await matters_once(platform, "xixian", successor, status="open")
    assert (new["community_type"], new["items"]) == ("urban", [])

    found: list[Published] = await events_for(
        platform.bootstrap_servers, "matters.events", code,
        until=_types(["MatterListOpened", "MatterListEnded", "TaskRefused"]),
    )  # fmt: skip
    assert [e.type for e in found] == ["MatterListOpened", "MatterListEnded", "TaskRefused"]
    assert found[1].data["successor"] == successor
    assert found[1].headers["ce_divisioncode"] == code[:12]
