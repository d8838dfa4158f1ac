"""事项准入 end to end (issue 11, seed 000 §二(五)2) through the gateway: application → joint
meeting → judgement of each item on the five criteria → decision → handover list → the matter on
the target communities' lists (and on the `matters` topic, for funding and staffing); 准入退出;
a push racing an exit; the burden-reduction report in JSON and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime
from typing import Any

from tests.e2e.conftest import Platform, community, new_division, new_town
from tests.e2e.test_matters_lists import call, matters_once
from tests.integration.kafka_helpers import events_for

APPLICANT = "镇海区应急管理局"
FAVOURABLE = {
    c: {"favourable": True, "reason": f"{c}: 依据充分"}
    for c in ("legality", "reasonableness", "necessity", "coordination", "supporting_measures")
}


def proposed(name: str, fen: int) -> dict[str, Any]:
    return {
        "name": name, "runway": "平安法治", "legal_basis": "《中华人民共和国安全生产法》第七十九条",
        "scope": "辖区企业安全生产隐患排查", "funding_per_year_fen": fen, "staff": 1,
    }  # fmt: skip


def handover(fen: int) -> dict[str, Any]:
    return {
        "name": "企业安全隐患排查", "objectives": "每季度排查一次", "scope": "辖区内规上企业",
        "service_requirements": "发现隐患当日上报", "handover_deadline": "2027-01-31",
        "funding_per_year_fen": fen,
    }  # fmt: skip


async def two_communities(platform: Platform) -> list[str]:
    """Two urban communities in a town of their own (the report's prefix)."""
    town = new_town()
    codes = []
    for name in ("应急一社区", "应急二社区"):
        status, body = await call(
            platform, "zhenhai", "POST", "/communities", community(new_division(town), name=name)
        )
        assert status == 201, body
        codes.append(body["code"])
    for code in codes:
        await matters_once(platform, "zhenhai", code, status="open")
    return codes


async def admitted(platform: Platform, codes: list[str]) -> tuple[str, str]:
    """An application of one matter for `codes`, taken through every step: (case, matter)."""
    application = {
        "division_code": codes[0][:12], "applicant": APPLICANT, "applicant_kind": "department",
        "items": [proposed("企业安全隐患排查", 3_000_000)], "target_communities": codes,
        "documents": [{"kind": "approval_form", "title": "事项准入审批表"},
                      {"kind": "application_report", "title": "申请报告"}],
    }  # fmt: skip
    status, case = await call(platform, "zhenhai", "POST", "/admissions", application)
    assert status == 201, case
    path = f"/admissions/{case['admission_id']}"
    steps: list[tuple[str, dict[str, Any]]] = [
        ("meeting", {"held_on": "2026-11-20", "participants": [
            {"kind": "department", "name": APPLICANT}, {"kind": "town", "name": "招宝山街道"},
            {"kind": "deputy", "name": "区人大代表"}, {"kind": "community_representative",
                                                    "name": "社区书记"}]}),
        ("judgements", {"item": 1, "judgements": FAVOURABLE}),
        ("decision", {"documents": [{"kind": "meeting_minutes", "title": "联席会议纪要"}]}),
        ("handovers", {"item": 1, "handover": handover(3_000_000), "signatures": [
            {"unit": u, "signed_by": "经办人"} for u in (APPLICANT, *codes)]}),
    ]  # fmt: skip
    for step, body in steps:
        status, case = await call(platform, "zhenhai", "POST", f"{path}/{step}", body)
        assert status == 200, (step, case)
    assert case["status"] == "handed_over"
    return case["admission_id"], case["items"][0]["matter_id"]


async def test_an_admission_through_every_step_puts_the_matter_on_the_lists(
    platform: Platform,
) -> None:
    """Two items: one judged favourable on all five criteria is admitted, one judged unnecessary
    is rejected with the reason; steps out of order are refused naming the missing step; the
    handover list needs every signature; the matter then appears on both communities' lists,
    a task naming it is accepted, and the topic carries MatterAdmitted (runway and division
    code) for funding and staffing. Another district may neither read nor act on the case."""
    codes = await two_communities(platform)
    application = {
        "division_code": codes[0][:12], "applicant": APPLICANT, "applicant_kind": "department",
        "items": [proposed("企业安全隐患排查", 3_000_000), proposed("安全台账填报", 0)],
        "target_communities": codes,
        "documents": [{"kind": "approval_form", "title": "事项准入审批表"}],
    }  # fmt: skip
    status, problem = await call(platform, "zhenhai", "POST", "/admissions", application)
    assert status == 422 and "application_report" in str(problem["errors"]), problem
    outside = application | {"target_communities": ["33021200100100001"]}
    status, problem = await call(platform, "zhenhai", "POST", "/admissions", outside)
    assert status == 422, problem
    application["documents"].append({"kind": "application_report", "title": "申请报告"})
    status, case = await call(platform, "zhenhai", "POST", "/admissions", application)
    assert status == 201, case
    assert (case["status"], case["next_step"]) == ("applied", "meeting")
    path = f"/admissions/{case['admission_id']}"
    assert case["admission_id"].startswith(codes[0][:12])

    minutes = {"documents": [{"kind": "meeting_minutes", "title": "联席会议纪要"}]}
    status, problem = await call(platform, "zhenhai", "POST", f"{path}/decision", minutes)
    assert status == 422, problem
    assert "missing step(s) meeting, judgement" in problem["errors"][0]["reason"]

    meeting = {
        "held_on": "2026-11-20",
        "participants": [
            {"kind": "department", "name": APPLICANT},
            {"kind": "town", "name": "招宝山街道"},
        ],
    }
    status, problem = await call(platform, "zhenhai", "POST", f"{path}/meeting", meeting)
    assert status == 422 and "deputy, community_representative" in str(problem), problem
    meeting["participants"] += [
        {"kind": "deputy", "name": "区政协委员"},
        {"kind": "community_representative", "name": "社区书记"},
    ]
    status, case = await call(platform, "zhenhai", "POST", f"{path}/meeting", meeting)
    assert status == 200 and case["status"] == "convened", case

    partial = {"item": 1, "judgements": {"legality": FAVOURABLE["legality"]}}
    status, problem = await call(platform, "zhenhai", "POST", f"{path}/judgements", partial)
    assert status == 422 and "necessity (必要性)" in str(problem), problem
    status, case = await call(platform, "zhenhai", "POST", f"{path}/judgements",
                              {"item": 1, "judgements": FAVOURABLE})  # fmt: skip
    assert status == 200 and case["status"] == "judging", case
    unnecessary = FAVOURABLE | {"necessity": {"favourable": False, "reason": "与网格巡查重复"}}
    status, case = await call(platform, "zhenhai", "POST", f"{path}/judgements",
                              {"item": 2, "judgements": unnecessary})  # fmt: skip
    assert status == 200 and case["status"] == "judged", case
    status, case = await call(platform, "zhenhai", "POST", f"{path}/decision", minutes)
    assert status == 200 and case["status"] == "decided", case
    assert [(i["outcome"]["admitted"], i["outcome"]["reason"]) for i in case["items"]] == [
        (True, "五项审核均通过"), (False, "未通过: 必要性"),
    ]  # fmt: skip
    assert case["items"][1]["judgements"]["necessity"]["reason"] == "与网格巡查重复"

    signatures = [{"unit": APPLICANT, "signed_by": "张三"}, {"unit": codes[0], "signed_by": "李四"}]
    signed = {"item": 1, "handover": handover(3_000_000), "signatures": signatures}
    status, problem = await call(platform, "zhenhai", "POST", f"{path}/handovers", signed)
    assert status == 422 and codes[1] in problem["errors"][0]["reason"], problem
    rejected = signed | {"item": 2, "handover": handover(0)}
    status, problem = await call(platform, "zhenhai", "POST", f"{path}/handovers", rejected)
    assert status == 422 and "not admitted" in str(problem), problem
    signatures.append({"unit": codes[1], "signed_by": "王五"})
    status, case = await call(platform, "zhenhai", "POST", f"{path}/handovers", signed)
    assert status == 200 and case["status"] == "handed_over", case
    item = case["items"][0]
    matter_id = item["matter_id"]
    assert matter_id == f"{case['admission_id'].upper()}.1" and item["entered"] == codes

    for code in codes:
        listed = await matters_once(platform, "zhenhai", code)
        extra = [m for m in listed["items"] if m["basis"] == "admitted"]
        assert [(m["matter_id"], m["name"], m["runway"]) for m in extra] == [
            (matter_id, "企业安全隐患排查", "平安法治"),
        ]  # fmt: skip
    task = {"matter_id": matter_id, "department": APPLICANT, "title": "第四季度隐患排查"}
    status, pushed = await call(platform, "zhenhai", "POST", f"/communities/{codes[1]}/tasks", task)
    assert status == 201 and pushed["matter_name"] == "企业安全隐患排查", pushed

    assert (await call(platform, "yinzhou", "GET", path))[0] == 403
    assert (await call(platform, "yinzhou", "POST", f"{path}/meeting", meeting))[0] == 403
    assert (await call(platform, "city", "GET", path))[0] == 200
    status, listed_cases = await call(
        platform,
        "zhenhai",
        "GET",
        f"/admissions?division_prefix={codes[0][:12]}&status=handed_over",
    )
    assert status == 200, listed_cases
    assert [c["admission_id"] for c in listed_cases["items"]] == [case["admission_id"]]

    found = await events_for(
        platform.bootstrap_servers, "matters.events", codes[0],
        until=lambda found: any(e.type == "MatterAdmitted" for e in found),
    )  # fmt: skip
    (entered,) = [e for e in found if e.type == "MatterAdmitted"]
    assert entered.headers["ce_runways"] == "平安法治"
    assert entered.headers["ce_divisioncode"] == codes[0][:12]
    assert (entered.data["funding_per_year_fen"], entered.data["staff"]) == (3_000_000, 1)
    assert entered.data["department"] == APPLICANT
    steps = await events_for(
        platform.bootstrap_servers, "matters.events", case["admission_id"],
        until=lambda found: len(found) >= 6,
    )  # fmt: skip
    assert [e.type for e in steps] == [
        "AdmissionApplied", "JointMeetingConvened", "ItemJudged", "ItemJudged",
        "AdmissionDecided", "HandoverSigned",
    ]  # fmt: skip


async def test_an_exit_takes_the_matter_off_and_no_push_is_accepted_after_it(
    platform: Platform,
) -> None:
    """准入退出 racing pushes: four clients push tasks naming the matter without pause while it
    exits. Every push is answered 201 or 422 (no other status), every accepted one was recorded
    before the exit took effect, and every push sent after the exit answered is refused naming
    准入退出. Funding and staff that followed the matter stop from the next budget year."""
    codes = await two_communities(platform)
    _, matter_id = await admitted(platform, codes)
    code = codes[0]
    task = {"matter_id": matter_id, "department": APPLICANT, "title": "隐患排查"}
    answers: list[tuple[int, Any]] = []
    exited = asyncio.Event()
    after_exit: list[tuple[int, Any]] = []

    async def pusher() -> None:
        for _ in range(200):
            done = exited.is_set()
            answer = await call(platform, "zhenhai", "POST", f"/communities/{code}/tasks", task)
            (after_exit if done else answers).append(answer)
            if done and len(after_exit) >= 8:
                return

    async def exit_() -> dict[str, Any]:
        await asyncio.sleep(0.3)
        status, case = await call(platform, "zhenhai", "POST", f"/matters/{matter_id}/exit",
                                  {"reason": "职能调整, 收回区应急管理局"})  # fmt: skip
        assert status == 200, case
        exited.set()
        return case

    case, *_ = await asyncio.gather(exit_(), *(pusher() for _ in range(4)))
    exited_from = datetime.fromisoformat(case["items"][0]["exited_from"])
    assert {s for s, _ in answers + after_exit} <= {201, 422}
    accepted = [datetime.fromisoformat(b["pushed_at"]) for s, b in answers if s == 201]
    assert accepted and all(at < exited_from for at in accepted)
    assert after_exit and all(s == 422 and "准入退出" in str(b) for s, b in after_exit)

    listed = await matters_once(platform, "zhenhai", code)
    assert matter_id not in {m["matter_id"] for m in listed["items"]}
    before = await call(
        platform,
        "zhenhai",
        "GET",
        f"/communities/{code}/matters?as_of={case['items'][0]['effective_from']}",
    )
    assert matter_id in {m["matter_id"] for m in before[1]["items"]}
    status, problem = await call(platform, "zhenhai", "POST", f"/matters/{matter_id}/exit",
                                 {"reason": "再次退出"})  # fmt: skip
    assert status == 422 and "already exited" in str(problem), problem

    found = await events_for(
        platform.bootstrap_servers, "matters.events", code,
        until=lambda found: any(e.type == "MatterExited" for e in found),
    )  # fmt: skip
    (left,) = [e for e in found if e.type == "MatterExited"]
    assert left.data["stops_from"] == f"{exited_from.year + 1}-01-01"
    assert left.headers["ce_runways"] == "平安法治" and left.data["reason"].startswith("职能调整")


async def test_the_burden_report_counts_admitted_cleared_and_refused_pushes(
    platform: Platform,
) -> None:
    """Seed 004 §二 减负: for a town-level prefix, the communities and their basic functions, the
    matter admitted and cleared, and pushes refused per department, in JSON and in CSV."""
    codes = await two_communities(platform)
    _, matter_id = await admitted(platform, codes)
    status, _ = await call(platform, "zhenhai", "POST", f"/matters/{matter_id}/exit",
                           {"reason": "职能调整"})  # fmt: skip
    assert status == 200
    for department in ("区住建局", "区住建局", "区民政局"):
        task = {"matter_id": "X99.01", "department": department, "title": "报表"}
        status, _ = await call(platform, "zhenhai", "POST", f"/communities/{codes[0]}/tasks", task)
        assert status == 422
    prefix = codes[0][:9]
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        status, report = await call(
            platform, "zhenhai", "GET", f"/districts/{prefix}/burden-report"
        )
        assert status == 200, report
        if report["pushes_refused"] == 3 and report["cleared"] == 1:
            break
        assert asyncio.get_running_loop().time() < deadline, report
        await asyncio.sleep(0.1)
    assert (report["communities"], report["standardised"]) == (2, 2 * 79)
    assert (report["admitted"], report["cleared"], report["pushes_accepted"]) == (1, 1, 0)
    assert {d["department"]: d["refused"] for d in report["by_department"]} == {
        "区民政局": 1, "区住建局": 2,
    }  # fmt: skip

    async with platform.http.get(
        f"{platform.gateway}/v1/districts/{prefix}/burden-report?format=csv",
        headers=platform.auth("zhenhai"),
    ) as r:
        assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
        text = (await r.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["figure"], r["department"], r["count"]) for r in rows} >= {
        ("admitted", "", "1"), ("pushes_refused", "区住建局", "2"), ("standardised", "", "158"),
    }  # fmt: skip
    assert (await call(platform, "yinzhou", "GET", f"/districts/{prefix}/burden-report"))[0] == 403
    assert (await call(platform, "city", "GET", "/districts/3302/burden-report"))[0] == 200
