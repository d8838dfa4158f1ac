"""Industrial establishment workflow (issue 3 capability 4; seed 000 §二(一)4), through the
gateway by a district system and on the city platform's topic."""

from __future__ import annotations

from typing import Any

from shared.community_code import issue_code
from tests.e2e.conftest import Platform, new_division
from tests.integration.kafka_helpers import event_types_for

DOCS = [
    {"kind": "info_sheet", "title": "澥浦工业社区基本信息表"},
    {"kind": "map", "title": "四至范围图", "reference": "镇海澥浦〔2026〕3号"},
]


def proposal(division: str, **over: Any) -> dict[str, Any]:
    return {
        "name": "澥浦工业社区", "subtype": "工业社区", "division_code": division,
        "households": 0, "residents": 0, "area_km2": "2.4", "employed_population": 9000,
        "business_entities": 180, "on_site_share": "0.2", "documents": DOCS, **over,
    }  # fmt: skip


STEPS: dict[str, dict[str, Any]] = {
    "preliminary_review": {"actor_role": "district_civil_affairs", "outcome": "pass"},
    "field_survey": {
        "actor_role": "joint_departments", "outcome": "completed",
        "departments": ["区民政局", "区经信局", "区自然资源规划分局"],
        "documents": [{"kind": "survey_report", "title": "实地踏勘报告"}],
    },
    "joint_review": {
        "actor_role": "joint_review_meeting", "outcome": "pass",
        "documents": [{"kind": "meeting_minutes", "title": "部门联审会议纪要"}],
    },
    "approval": {
        "actor_role": "district_government", "outcome": "approved",
        "documents": [{"kind": "approval_document", "title": "关于同意设立澥浦工业社区的批复"}],
    },
    "registration": {
        "actor_role": "civil_affairs_registration", "outcome": "registered",
        "certificate_number": "52330211MJ1234567X",
    },
}  # fmt: skip


class Workflow:
    def __init__(self, platform: Platform, who: str = "zhenhai") -> None:
        self.platform, self.auth = platform, platform.auth(who)

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.platform.http.request(
            method, f"{self.platform.gateway}/v1{path}", json=body, headers=self.auth
        ) as r:
            return r.status, await r.json()

    async def step(self, pid: str, step: str, **over: Any) -> tuple[int, Any]:
        return await self.call("POST", f"/establishments/{pid}/steps",
                               {"step": step, **STEPS[step], **over})  # fmt: skip


async def test_proposal_to_registration_issues_the_code_at_approval(platform: Platform) -> None:
    w = Workflow(platform)
    division = new_division()
    status, view = await w.call("POST", "/establishments", proposal(division))
    assert status == 201, view
    pid = view["proposal_id"]
    assert pid.startswith(division) and view["status"] == "proposed"
    assert view["next_step"] == "preliminary_review" and view["code"] is None

    # Out of order: refused with the missing steps; the wrong office: refused with the right one.
    status, problem = await w.step(pid, "approval")
    assert status == 422
    assert problem["errors"][0]["reason"] == (
        "approval cannot be taken yet: missing step(s) preliminary_review, field_survey,"
        " joint_review"
    )
    status, problem = await w.step(pid, "preliminary_review", actor_role="town")
    assert status == 422 and "taken by district_civil_affairs" in problem["errors"][0]["reason"]

    for step in ("preliminary_review", "field_survey"):
        status, view = await w.step(pid, step)
        assert status == 200, view
    # The joint review defers once, then passes (a deferred proposal is reviewed again).
    status, view = await w.step(pid, "joint_review", outcome="defer", note="补充企业名录")
    assert (status, view["status"], view["next_step"]) == (200, "deferred", "joint_review")
    status, view = await w.step(pid, "joint_review")
    assert view["status"] == "jointly_reviewed"
    code = issue_code(division, "industrial")
    status, _ = await w.call("GET", f"/communities/{code}")
    assert status == 404  # no code before approval

    status, view = await w.step(pid, "approval")
    assert (status, view["status"], view["code"]) == (200, "approved", code)
    status, community = await w.call("GET", f"/communities/{code}")
    assert status == 200
    assert (community["status"], community["establishment"]) == ("approved", pid)
    assert community["has_residents_committee"] is False
    assert community["service_centre_name"] == "澥浦工业社区(党群)服务中心"

    status, view = await w.step(pid, "registration")
    assert (status, view["status"], view["next_step"]) == (200, "registered", None)
    assert view["certificate_number"] == "52330211MJ1234567X"
    assert [s["step"] for s in view["steps"]] == [
        "proposal", "preliminary_review", "field_survey", "joint_review", "joint_review",
        "approval", "registration",
    ]  # fmt: skip
    assert view["steps"][2]["departments"] == STEPS["field_survey"]["departments"]
    status, community = await w.call("GET", f"/communities/{code}")
    assert community["status"] == "active"
    # Its version is its own stream's: the proposal's steps that name it are on another
    # stream (the conversion test shows what such events used to do to a version).
    status, history = await w.call("GET", f"/communities/{code}/history")
    assert community["version"] == len(history["events"]) == history["events"][-1]["stream_version"]
    status, problem = await w.step(pid, "registration")
    assert status == 422 and "no further step" in problem["errors"][0]["reason"]

    # The list shows where each proposal stands; another district sees none of it.
    status, page = await w.call("GET", f"/establishments?division_prefix={division}")
    assert [(p["proposal_id"], p["status"]) for p in page["items"]] == [(pid, "registered")]
    other = Workflow(platform, "yinzhou")
    assert (await other.call("GET", f"/establishments/{pid}"))[0] == 403
    assert (await other.call("GET", f"/establishments?division_prefix={division}"))[0] == 403
    assert (await other.step(pid, "registration"))[0] == 403

    # The city platform sees the community appear at approval and become active.
    types = await event_types_for(
        platform.bootstrap_servers, "registry.events", code,
        until=lambda ts: "CommunityActivated" in ts,
    )  # fmt: skip
    assert types[:2] == ["CommunityRegistered", "CommunityTierAssigned"]
    assert types[-1] == "CommunityActivated"


async def test_rejected_proposal_ends_and_bad_proposals_are_refused(platform: Platform) -> None:
    w = Workflow(platform)
    division = new_division()
    status, problem = await w.call(
        "POST", "/establishments", proposal(division, documents=DOCS[:1])
    )
    assert status == 422 and "map" in problem["errors"][0]["reason"]
    status, problem = await w.call("POST", "/establishments", proposal(division, name="澥浦社区"))
    assert status == 422 and problem["errors"][0]["field"] == "name"  # naming rule, seed 000
    assert (await Workflow(platform, "yinzhou").call("POST", "/establishments",
                                                     proposal(division)))[0] == 403  # fmt: skip

    status, view = await w.call("POST", "/establishments", proposal(division))
    pid = view["proposal_id"]
    status, view = await w.step(pid, "preliminary_review", outcome="reject")
    assert (view["status"], view["next_step"]) == ("terminated", None)
    status, problem = await w.step(pid, "field_survey")
    assert status == 422
    assert (
        problem["errors"][0]["reason"] == "the proposal is terminated: no further step can be taken"
    )
    status, page = await w.call(
        "GET", f"/establishments?division_prefix={division}&status=terminated"
    )
    assert [p["proposal_id"] for p in page["items"]] == [pid]


async def test_a_non_adjoining_part_only_in_trust_and_oversize_is_a_finding(
    platform: Platform,
) -> None:
    """Seed 000 §二(一)2–3: the own area adjoins, a part that does not is held in trust (托管);
    the size cap is a finding, not a refusal."""
    w = Workflow(platform)
    status, problem = await w.call(
        "POST", "/establishments", proposal(new_division(), area_contiguous=False)
    )
    assert status == 422 and problem["errors"][0]["field"] == "area_contiguous"

    trust = {"name": "澥浦飞地地块", "area_km2": "0.3", "reason": "暂无接壤社区可管理"}
    body = {k: v for k, v in proposal(new_division(), employed_population=16000).items()
            if k != "documents"}  # fmt: skip
    status, created = await w.call(
        "POST", "/communities", {**body, "major_type": "industrial", "trust_areas": [trust]}
    )
    assert status == 201, created
    assert created["trust_areas"] == [trust]
    code = created["code"]
    status, found = await w.call("GET", f"/communities/{code}/findings")
    [finding] = found["open"]
    assert finding["rule"] == "industrial.employed_above_max"
    assert finding["limit"] == "employed_population 16000 > 15000"
    status, village = await w.call(
        "POST", "/communities",
        {"name": "勤勇村", "division_code": new_division(), "major_type": "rural",
         "subtype": "纯农型农村社区", "households": 900, "residents": 2500, "area_km2": "3",
         "trust_areas": [trust]},
    )  # fmt: skip
    assert status == 422 and village["errors"][0]["field"] == "trust_areas"
