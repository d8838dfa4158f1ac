"""Position control, the workforce and workers' personal data, through the gateway with
district-scoped clients, against the real PostgreSQL and broker (issue 10, capabilities 3, 5,
7 and 8)."""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from services import cli
from shared.audit import verify
from shared.id_card import check_character
from tests.conftest import Stack, superuser_url
from tests.e2e.conftest import Platform, community, new_division

NAME = "王晓梅"


def id_number(sequence: int = 123) -> str:
    first17 = f"33021119880521{sequence:03d}"
    return first17 + check_character(first17)


async def call(
    platform: Platform, client: str, method: str, path: str, body: Any = None,
    purpose: str | None = None,
) -> tuple[int, Any]:  # fmt: skip
    headers = platform.auth(client)
    if purpose is not None:
        headers["X-Purpose"] = quote(purpose)
    async with platform.http.request(
        method, f"{platform.gateway}/v1{path}", json=body, headers=headers
    ) as r:
        return r.status, await r.json(content_type=None)


async def community_with_quota(platform: Platform, residents: int, quota: int) -> str:
    """A fresh Zhenhai urban community, once staffing has decided its quota."""
    division = new_division()
    status, body = await call(
        platform, "zhenhai", "POST", "/communities", community(division, residents=residents)
    )
    assert status == 201, body
    code: str = body["code"]
    deadline = asyncio.get_running_loop().time() + 20
    while (await call(platform, "zhenhai", "GET", f"/communities/{code}/staffing"))[1].get(
        "quota"
    ) != quota:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)
    return code


async def authorise(platform: Platform, code: str, *posts: str) -> None:
    for post in posts:
        status, body = await call(platform, "zhenhai", "POST", f"/communities/{code}/positions",
                                  {"post": post, "effective_from": "2025-01-01"})  # fmt: skip
        assert status == 201, body


async def assign(
    platform: Platform, worker: str, position_id: str, effective_from: str = "2025-02-01"
) -> None:
    status, body = await call(
        platform,
        "zhenhai",
        "POST",
        f"/workers/{worker}/assign",
        {"position_id": position_id, "effective_from": effective_from},
    )
    assert status == 200, body


async def recruit(platform: Platform, division: str, sequence: int = 123) -> str:
    body = {"division_code": division, "name": NAME, "id_number": id_number(sequence),
            "effective_from": "2025-03-01"}  # fmt: skip
    status, worker = await call(platform, "zhenhai", "POST", "/workers", body)
    assert status == 201, worker
    assert worker["status"] == "pool" and re.fullmatch(
        r"[0-9]{12}-[0-9a-f]{12}", worker["worker_id"]
    )
    assert NAME not in json.dumps(worker, ensure_ascii=False)  # pseudonymous
    return str(worker["worker_id"])


async def staffing_topic(bootstrap: str, key: str, count: int) -> list[tuple[str, bytes]]:
    """The first `count` (CloudEvents type, raw value) on `staffing.events` keyed by `key`."""
    consumer = AIOKafkaConsumer(
        "staffing.events", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[tuple[str, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(found) < count:
            assert asyncio.get_running_loop().time() < deadline, found
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    if r.key == key.encode():
                        ce_type = dict(r.headers)["ce_type"].decode()
                        found.append((ce_type.split(".")[-2], r.value or b""))
    finally:
        await consumer.stop()
    return found


async def test_positions_within_the_quota_filled_from_the_reserve_pool(platform: Platform) -> None:
    """1,400 residents × 22 / 10,000 = 3.08 → a quota of 3 (seed 004 §四): three positions are
    authorised, a fourth is refused with the rule; workers recruited into the pool fill
    vacancies, move, go on leave (the position stays filled) and depart (it is vacant again)."""
    code = await community_with_quota(platform, 1400, 3)
    positions = f"/communities/{code}/positions"
    for post in ("grid_worker", "social_worker", "committee_member"):
        status, view = await call(platform, "zhenhai", "POST", positions,
                                  {"post": post, "effective_from": "2025-01-01"})  # fmt: skip
        assert status == 201, view
    assert (view["authorised"], view["filled"], view["vacant"], view["quota"]) == (3, 0, 3, 3)
    first, second = (p["position_id"] for p in view["positions"][:2])
    assert first == f"{code}-001" and view["positions"][0]["post_name"] == "专职网格员"

    fourth = {"post": "grid_worker", "effective_from": "2025-01-01"}
    status, problem = await call(platform, "zhenhai", "POST", positions, fourth)
    assert status == 422
    reason = problem["errors"][0]["reason"]
    assert "beyond the quota: 3 positions are authorised and the quota is 3" in reason
    assert "22 per 10,000 residents" in reason
    status, problem = await call(platform, "zhenhai", "POST", positions,
                                 {"post": "astronaut", "effective_from": "2025-01-01"})  # fmt: skip
    assert status == 422 and "not in the post catalogue" in problem["errors"][0]["reason"]

    division = code[:12]
    alice, bob = await recruit(platform, division, 101), await recruit(platform, division, 102)
    deadline = asyncio.get_running_loop().time() + 20
    while True:  # the list is a read model: it shows them once its projector applied them
        status, page = await call(platform, "zhenhai", "GET",
                                  f"/workers?division_prefix={division}&status=pool",
                                  purpose="核定社区员额缺口")  # fmt: skip
        assert status == 200, page
        if {w["worker_id"] for w in page["items"]} == {alice, bob}:
            break
        assert asyncio.get_running_loop().time() < deadline, page
        await asyncio.sleep(0.1)

    on = {"effective_from": "2025-04-01"}
    status, worker = await call(platform, "zhenhai", "POST", f"/workers/{alice}/assign",
                                {"position_id": first, **on})  # fmt: skip
    assert status == 200 and worker["status"] == "assigned" and worker["position_id"] == first
    status, problem = await call(platform, "zhenhai", "POST", f"/workers/{bob}/assign",
                                 {"position_id": first, **on})  # fmt: skip
    assert status == 409 and f"position {first} is filled by {alice}" in problem["detail"]
    status, problem = await call(platform, "zhenhai", "POST", f"/workers/{alice}/assign",
                                 {"position_id": second, **on})  # fmt: skip
    assert status == 409 and "only a worker in the pool" in problem["detail"]

    status, staffing = await call(platform, "zhenhai", "GET", f"/communities/{code}/staffing")
    assert (staffing["authorised"], staffing["filled"], staffing["vacant"]) == (3, 1, 2)

    later = {"effective_from": "2025-06-01"}
    assert (await call(platform, "zhenhai", "POST", f"/workers/{alice}/transfer",
                       {"position_id": second, **later}))[0] == 200  # fmt: skip
    _, view = await call(platform, "zhenhai", "GET", positions)
    states = {p["position_id"]: (p["state"], p["worker_id"]) for p in view["positions"]}
    assert states[first] == ("vacant", None) and states[second] == ("filled", alice)
    assert (await call(platform, "zhenhai", "POST", f"/workers/{alice}/leave",
                       {"effective_from": "2025-07-01", "until": "2025-09-30",
                        "reason": "产假"}))[0] == 200  # fmt: skip
    _, view = await call(platform, "zhenhai", "GET", positions)
    assert view["filled"] == 1  # on leave, still holding the position
    assert (await call(platform, "zhenhai", "POST", f"/workers/{alice}/return",
                       {"effective_from": "2025-10-01"}))[0] == 200  # fmt: skip
    status, worker = await call(platform, "zhenhai", "POST", f"/workers/{alice}/depart",
                                {"effective_from": "2025-12-31", "reason": "辞职"})  # fmt: skip
    assert status == 200 and worker["status"] == "departed" and worker["position_id"] is None
    _, view = await call(platform, "zhenhai", "GET", positions)
    assert (view["filled"], view["vacant"]) == (0, 3)
    # The counts are effective-dated: on 2025-05-01 Alice held the first position.
    _, then = await call(platform, "zhenhai", "GET", f"{positions}?on=2025-05-01")
    assert (then["authorised"], then["filled"]) == (3, 1)
    assert then["positions"][0]["worker_id"] == alice

    # Another district may neither act on these positions and workers nor read them.
    status, _ = await call(platform, "yinzhou", "POST", f"/workers/{bob}/assign",
                           {"position_id": first, **on})  # fmt: skip
    assert status == 403
    status, _ = await call(platform, "yinzhou", "POST", positions,
                           {"post": "grid_worker", "effective_from": "2025-01-01"})  # fmt: skip
    assert status == 403

    published = await staffing_topic(platform.bootstrap_servers, code, 6)
    kinds = [kind for kind, _ in published]
    assert kinds[:2] == ["CommunityObserved", "QuotaSet"]
    assert kinds.count("PositionAuthorised") == 3 and "PositionFilled" in kinds
    recruited = await staffing_topic(platform.bootstrap_servers, alice, 1)
    assert recruited[0][0] == "WorkerRecruited"
    raw = recruited[0][1].decode()
    assert NAME not in raw and id_number(101) not in raw and '"ciphertext"' in raw


async def test_a_worker_record_is_read_for_a_stated_purpose_and_every_read_is_audited(
    platform: Platform,
) -> None:
    division = new_division()
    worker = await recruit(platform, division, 201)
    path = f"/workers/{worker}"
    status, problem = await call(platform, "zhenhai", "GET", path)
    assert status == 422 and problem["errors"][0]["field"] == "header.X-Purpose"
    status, problem = await call(platform, "zhenhai", "GET", path, purpose="查")
    assert status == 422 and "5 to 200" in problem["errors"][0]["reason"]
    status, record = await call(platform, "zhenhai", "GET", path, purpose="2025年度薪酬核定")
    assert status == 200, record
    assert record["name"] == NAME and record["id_number"] == id_number(201)
    assert record["personal_data"] == "readable"
    status, _ = await call(platform, "yinzhou", "GET", path, purpose="跨区调阅测试")
    assert status == 403

    conn = await asyncpg.connect(platform.gateway_db)
    try:
        rows = await conn.fetch(
            "SELECT client_id, status, purpose FROM command_audit WHERE path = $1 ORDER BY id",
            path,
        )
    finally:
        await conn.close()
    assert [(r["client_id"], r["status"], r["purpose"]) for r in rows] == [
        ("zhenhai", 422, None), ("zhenhai", 422, "查"), ("zhenhai", 200, "2025年度薪酬核定"),
        ("yinzhou", 403, "跨区调阅测试"),
    ]  # fmt: skip

    # An ID number whose check character is wrong is refused, and not echoed back.
    bad = id_number(202)[:17] + ("0" if id_number(202)[17] != "0" else "1")
    body = {"division_code": division, "name": NAME, "id_number": bad,
            "effective_from": "2025-03-01"}  # fmt: skip
    status, problem = await call(platform, "zhenhai", "POST", "/workers", body)
    assert status == 422 and problem["errors"][0]["field"] == "id_number"
    assert bad not in json.dumps(problem)


async def test_appraisal_pay_and_qualifications_are_recorded_once(platform: Platform) -> None:
    worker = await recruit(platform, new_division(), 301)
    base = f"/workers/{worker}"
    status, _ = await call(platform, "zhenhai", "POST", f"{base}/appraisals",
                           {"year": 2025, "result": "不合格"})  # fmt: skip
    assert status == 200
    status, problem = await call(platform, "zhenhai", "POST", f"{base}/appraisals",
                                 {"year": 2025, "result": "优秀"})  # fmt: skip
    assert status == 409 and "already appraised for 2025: 不合格" in problem["detail"]
    status, problem = await call(platform, "zhenhai", "POST", f"{base}/appraisals",
                                 {"year": 2025, "result": "很好"})  # fmt: skip
    assert status == 422
    assert (await call(platform, "zhenhai", "POST", f"{base}/pay",
                       {"year": 2025, "annual_pay_fen": 9_876_543}))[0] == 200  # fmt: skip
    level = {"level": "social_worker", "effective_from": "2025-10-20"}
    assert (await call(platform, "zhenhai", "POST", f"{base}/qualifications", level))[0] == 200
    status, problem = await call(platform, "zhenhai", "POST", f"{base}/qualifications", level)
    assert status == 409 and "recorded once" in problem["detail"]

    _, record = await call(platform, "zhenhai", "GET", base, purpose="年度考核结果核查")
    assert record["appraisals"] == [{"year": 2025, "result": "不合格", "consequence": "解聘的依据"}]
    assert [(p["year"], p["annual_pay_fen"]) for p in record["pay"]] == [(2025, 9_876_543)]
    assert record["qualifications"] == [{"level": "social_worker", "effective_from": "2025-10-20"}]
    kinds = [k for k, _ in await staffing_topic(platform.bootstrap_servers, worker, 4)]
    assert kinds == ["WorkerRecruited", "WorkerAppraised", "PayRecorded", "QualificationObtained"]


async def test_erasing_a_worker_keeps_the_chain_and_hides_the_personal_fields(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`wuding staffing erase-worker` destroys the worker's key: the record shows them erased,
    their name and ID number are gone from every read, WorkerErased is on the log (audited),
    and `audit verify` still passes over the unchanged events."""
    worker = await recruit(platform, new_division(), 401)
    monkeypatch.setenv("WUDING_DATABASE_URL", platform.staffing_db)
    with pytest.raises(SystemExit) as done:
        await asyncio.to_thread(
            cli.main, ["staffing", "erase-worker", worker, "--reason", "本人申请删除个人信息"]
        )
    assert done.value.code == 0 and f"worker {worker} erased" in capsys.readouterr().out

    status, record = await call(platform, "zhenhai", "GET", f"/workers/{worker}",
                                purpose="删除后核查")  # fmt: skip
    assert status == 200
    assert record["erased"] is True and record["name"] is None and record["id_number"] is None
    assert record["personal_data"] == "erased"
    deadline = asyncio.get_running_loop().time() + 20
    while True:  # the workers read model shows the erasure too
        _, page = await call(
            platform,
            "zhenhai",
            "GET",
            f"/workers?division_prefix={worker[:12]}",
            purpose="删除后核查",
        )
        if page["items"] and page["items"][0]["erased"]:
            break
        assert asyncio.get_running_loop().time() < deadline, page
        await asyncio.sleep(0.1)
    with pytest.raises(SystemExit) as again:  # erasing twice is refused
        await asyncio.to_thread(cli.main, ["staffing", "erase-worker", worker, "--reason", "再次"])
    assert again.value.code == 2 and "already erased" in capsys.readouterr().err

    conn = await asyncpg.connect(platform.staffing_db)
    try:
        report = await verify(conn)
        events = await conn.fetch(
            "SELECT event_type, payload::text AS payload, metadata->>'actor' AS actor"
            " FROM events WHERE stream_id = $1 ORDER BY stream_version",
            f"worker-{worker}",
        )
        keys = await conn.fetchval("SELECT count(*) FROM personal_keys WHERE subject = $1", worker)
    finally:
        await conn.close()
    assert report.ok, report.findings
    assert [e["event_type"] for e in events] == ["WorkerRecruited", "WorkerErased"]
    assert events[1]["actor"].startswith("operator:") and keys == 0
    assert NAME not in events[0]["payload"] and id_number(401) not in events[0]["payload"]


async def test_the_district_floor_and_vacancies_are_read_per_district(platform: Platform) -> None:
    """GET /v1/districts/{prefix}/staffing sums the district's communities (seed 003 §7.1.1:
    at least 18 per 10,000 residents, rounded up) and lists the communities with vacancies."""

    async def district() -> dict[str, Any]:
        status, body = await call(platform, "zhenhai", "GET", "/districts/330211/staffing")
        assert status == 200, body
        return body  # type: ignore[no-any-return]

    code = await community_with_quota(platform, 1400, 3)
    await authorise(platform, code, "grid_worker", "grid_worker")
    worker = await recruit(platform, code[:12], 501)
    await assign(platform, worker, f"{code}-001")
    later = await recruit(platform, code[:12], 502)  # assigned from next month: not yet filled
    next_month = (date.today() + timedelta(days=31)).isoformat()
    await assign(platform, later, f"{code}-002", effective_from=next_month)

    deadline = asyncio.get_running_loop().time() + 20
    while True:  # read models: wait until they show both assignments
        _, page = await call(platform, "zhenhai", "GET", f"/workers?division_prefix={code[:12]}",
                             purpose="区级空岗核查")  # fmt: skip
        assigned = {w["worker_id"] for w in page["items"] if w["status"] == "assigned"}
        if {worker, later} <= assigned:
            break
        assert asyncio.get_running_loop().time() < deadline, page
        await asyncio.sleep(0.1)
    body = await district()
    mine = [v for v in body["vacancies"] if v["code"] == code]
    assert mine[0] == {"code": code, "quota": 3, "authorised": 2, "filled": 1, "vacant": 1}
    assert body["floor"] == -(-body["residents"] * 18 // 10000)  # rounded up
    assert body["below_floor"] == (body["filled"] < body["floor"])
    assert body["vacant"] == body["authorised"] - body["filled"]
    assert body["policy_pack"] == "ningbo@2023.1" and "seed 003 §7.1.1" in body["floor_rule"]
    if body["below_floor"]:
        assert f"{body['filled']} filled positions, below the floor of" in body["finding"]

    status, _ = await call(platform, "zhenhai", "GET", "/districts/330212/staffing")
    assert status == 403
    assert (await call(platform, "city", "GET", "/districts/330211/staffing"))[0] == 200
    status, problem = await call(platform, "city", "GET", "/districts/3302x1/staffing")
    assert status == 422 and problem["errors"][0]["field"] == "prefix"


async def team_once(platform: Platform, path: str, **expected: Any) -> dict[str, Any]:
    """A grid's team through the gateway, once staffing shows `expected`."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        status, body = await call(platform, "zhenhai", "GET", path)
        if status == 200 and all(body[k] == v for k, v in expected.items()):
            return body  # type: ignore[no-any-return]
        assert asyncio.get_running_loop().time() < deadline, (status, body)
        await asyncio.sleep(0.1)


async def test_a_grid_team_missing_any_of_1_plus_3_is_a_finding_until_filled(
    platform: Platform,
) -> None:
    """A grid the registry creates (its event, on the registry's topic) has a team in staffing
    with an open finding naming the four missing roles; filling them resolves it; the leader
    departing opens it again. Seed 000 §二(四)3: the leader is a leadership member, the
    part-time grid worker leads a micro-grid."""
    code = await community_with_quota(platform, 1400, 3)
    grid_body = {
        "name": "第一网格",
        "kind": "residential",
        "figures": {"households": 400, "population": 1200},
        "micro_grids": [{"name": "1幢", "kind": "residential", "households": 60}],
    }
    status, grids = await call(platform, "zhenhai", "POST", f"/communities/{code}/grids",
                               grid_body)  # fmt: skip
    assert status == 201, grids
    grid, micro = grids["grids"][0]["grid"], grids["grids"][0]["micro_grids"][0]["id"]
    team_path = f"/communities/{code}/grids/{grid}/team"
    team = await team_once(platform, team_path, finding_open=True)
    assert team["missing"] == ["leader", "full_time", "part_time", "instructor"]

    await authorise(platform, code, "party_secretary", "grid_worker")
    secretary, gridder = (await recruit(platform, code[:12], 601),
                          await recruit(platform, code[:12], 602))  # fmt: skip
    for worker, number in ((secretary, 1), (gridder, 2)):
        await assign(platform, worker, f"{code}-00{number}")

    day = {"effective_from": "2025-03-01"}
    status, problem = await call(
        platform, "zhenhai", "POST", team_path, {"role": "leader", "worker_id": gridder, **day}
    )
    assert status == 422 and "leadership member" in problem["errors"][0]["reason"]
    status, problem = await call(
        platform,
        "zhenhai",
        "POST",
        team_path,
        {"role": "part_time", "member_ref": "v-0001", "micro_grid": "no-such", **day},
    )
    assert status == 422 and micro in problem["errors"][0]["reason"]
    status, _ = await call(
        platform,
        "zhenhai",
        "POST",
        team_path,
        {"role": "instructor", "member_ref": "王书记", **day},
    )
    assert status == 422  # a reference, never a name
    for member in (
        {"role": "leader", "worker_id": secretary},
        {"role": "full_time", "worker_id": gridder},
        {"role": "part_time", "member_ref": "v-0001", "micro_grid": micro},
        {"role": "other", "member_ref": "police-17"},
    ):
        status, team = await call(platform, "zhenhai", "POST", team_path, {**member, **day})
        assert status == 201, team
    assert team["missing"] == ["instructor"] and team["finding_open"] is True
    status, team = await call(
        platform,
        "zhenhai",
        "POST",
        team_path,
        {"role": "instructor", "member_ref": "town-cadre-3", **day},
    )
    assert status == 201 and team["missing"] == [] and team["finding_open"] is False
    status, problem = await call(
        platform,
        "zhenhai",
        "POST",
        team_path,
        {"role": "instructor", "member_ref": "town-cadre-4", **day},
    )
    assert status == 409 and "they leave first" in problem["detail"]

    _, findings = await call(platform, "zhenhai", "GET", f"/communities/{code}/staffing/findings")
    assert findings["open"] == 0
    assert [(f["kind"], f["subject"], f["status"]) for f in findings["findings"]] == [
        ("grid_team_incomplete", grid, "resolved")
    ]

    # The leader departs: they leave the team with their position, and the finding reopens.
    assert (
        await call(
            platform,
            "zhenhai",
            "POST",
            f"/workers/{secretary}/depart",
            {"effective_from": "2025-09-01", "reason": "退休"},
        )
    )[0] == 200
    _, team = await call(platform, "zhenhai", "GET", team_path)
    assert team["missing"] == ["leader"] and team["finding_open"] is True
    _, findings = await call(platform, "zhenhai", "GET", f"/communities/{code}/staffing/findings")
    assert findings["open"] == 1
    assert [f["status"] for f in findings["findings"]] == ["resolved", "open"]
    assert "missing leader" in findings["findings"][-1]["detail"]
    status, _ = await call(platform, "yinzhou", "GET", team_path)
    assert status == 403

    kinds = [k for k, _ in await staffing_topic(platform.bootstrap_servers, code, 16)]
    assert kinds.count("GridTeamFindingOpened") == 2
    assert kinds.count("GridTeamFindingResolved") == 1 and "GridObserved" in kinds


async def test_pay_below_the_floor_is_a_finding_with_the_figures(platform: Platform) -> None:
    """Ningbo: the *average* annual pay of a district's urban community workers at least 1.4 ×
    the district's prior-year urban per-capita disposable income (seed 004 §五: 年平均收入).
    The income is recorded per district and year with its source. Guards: the pack checked
    each worker, so one worker below the floor was a finding though the seed bounds the
    average."""
    code = await community_with_quota(platform, 1400, 3)
    await authorise(platform, code, "grid_worker", "grid_worker")
    low, fair = await recruit(platform, code[:12], 701), await recruit(platform, code[:12], 702)
    for number, (worker, fen) in enumerate(((low, 10_000_000), (fair, 10_600_000)), start=1):
        await assign(platform, worker, f"{code}-00{number}")
        assert (
            await call(
                platform,
                "zhenhai",
                "POST",
                f"/workers/{worker}/pay",
                {"year": 2031, "annual_pay_fen": fen},
            )
        )[0] == 200
    income = {"urban_per_capita_fen": 7_500_000, "rural_per_capita_fen": 4_200_000,
              "source": "镇海区2030年国民经济和社会发展统计公报"}  # fmt: skip
    status, recorded = await call(platform, "zhenhai", "PUT", "/districts/330211/incomes/2030",
                                  income)  # fmt: skip
    assert status == 200 and recorded["year"] == 2030, recorded
    status, _ = await call(platform, "zhenhai", "PUT", "/districts/330212/incomes/2030", income)
    assert status == 403

    _, record = await call(platform, "zhenhai", "GET", f"/workers/{low}", purpose="薪酬保障核查")
    (pay,) = record["pay"]
    assert (pay["floor_fen"], pay["below_floor"]) == (10_500_000, False)  # not each worker's
    assert pay["floor_measured_on"] == "district_average"
    assert "镇海区2030年" in pay["floor_rule"] and "seed 004 §五" in pay["floor_rule"]

    deadline = asyncio.get_running_loop().time() + 20
    while True:  # the district's view is built from read models
        _, district = await call(platform, "zhenhai", "GET", "/districts/330211/staffing")
        averages = {a["year"]: a for a in district["pay_averages"]}
        if averages.get(2031, {}).get("workers") == 2:
            break
        assert asyncio.get_running_loop().time() < deadline, district
        await asyncio.sleep(0.1)
    average = averages[2031]
    assert (average["average_fen"], average["floor_fen"]) == (10_300_000, 10_500_000)
    assert average["below_floor"] is True and "10300000 fen" in average["finding"]
    assert low not in {f["worker_id"] for f in district["pay_below_floor"]}


async def test_a_key_that_does_not_open_the_sealed_fields_serves_the_rest_of_the_record(
    platform: Platform, stack: Stack
) -> None:
    """Guards: a worker's stored key replaced (tampering, or a restore that mixed the keys
    table and the log) made GET /v1/workers/{id} a 500. Now the record is served with the
    personal fields withheld and `personal_data: unreadable`; the fault is for the operators
    (logged with the pseudonymous id), and the read is still audited."""
    worker = await recruit(platform, new_division(), 801)
    conn = await asyncpg.connect(superuser_url(stack, platform.staffing_db))
    try:
        await conn.execute(
            "UPDATE personal_keys SET data_key = $2 WHERE subject = $1", worker, os.urandom(32)
        )
    finally:
        await conn.close()
    status, record = await call(platform, "zhenhai", "GET", f"/workers/{worker}",
                                purpose="密钥篡改后核查")  # fmt: skip
    assert status == 200, record
    assert record["personal_data"] == "unreadable"
    assert record["name"] is None and record["id_number"] is None
    assert record["worker_id"] == worker and record["status"] == "pool"


async def test_district_findings_open_and_resolve_as_events_on_the_staffing_topic(
    platform: Platform,
) -> None:
    """Issue 10 §2 and §6 as events: filled positions below the district floor (seed 003
    §7.1.1) and an average pay below the pay floor (seed 004 §五) open findings on the
    district's stream, which the `staffing` topic carries keyed by the district; filling the
    positions and correcting the income figure resolve them. Yinzhou (330212) is this test's
    own district: no other test registers a community there."""
    client, prefix = "yinzhou", "330212"
    status, body = await call(platform, client, "POST", "/communities",
                              community(new_division(prefix), residents=1000))  # fmt: skip
    assert status == 201, body
    code = body["code"]

    async def district(until: Any) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            status, view = await call(platform, client, "GET", f"/districts/{prefix}/staffing")
            if status == 200 and until(view):
                return view  # type: ignore[no-any-return]
            assert asyncio.get_running_loop().time() < deadline, (status, view)
            await asyncio.sleep(0.1)

    def kinds(view: dict[str, Any]) -> list[str]:
        return [f["kind"] for f in view["open_findings"]]

    # 1,000 residents × 18 / 10,000 = 1.8 → a floor of 2; nothing filled: a finding.
    view = await district(lambda v: kinds(v) == ["floor"])
    assert (view["floor"], view["filled"], view["below_floor"]) == (2, 0, True)
    assert "0 filled positions, below the floor of 2" in view["open_findings"][0]["text"]

    workers = []
    for number in (1, 2):
        position = {"post": "grid_worker", "effective_from": "2025-01-01"}
        status, body = await call(platform, client, "POST", f"/communities/{code}/positions",
                                  position)  # fmt: skip
        assert status == 201, body
        status, worker = await call(platform, client, "POST", "/workers", {
            "division_code": code[:12], "name": NAME, "id_number": id_number(800 + number),
            "effective_from": "2025-01-01",
        })  # fmt: skip
        assert status == 201, worker
        workers.append(worker["worker_id"])
        assignment = {"position_id": f"{code}-00{number}", "effective_from": "2025-02-01"}
        status, body = await call(platform, client, "POST", f"/workers/{workers[-1]}/assign",
                                  assignment)  # fmt: skip
        assert status == 200, body
    view = await district(lambda v: kinds(v) == [])
    assert (view["filled"], view["below_floor"]) == (2, False)

    # The average of the two (10,300,000) below 1.4 × 7,500,000 = 10,500,000: a finding.
    for worker, fen in zip(workers, (10_000_000, 10_600_000), strict=True):
        status, body = await call(platform, client, "POST", f"/workers/{worker}/pay",
                                  {"year": 2031, "annual_pay_fen": fen})  # fmt: skip
        assert status == 200, body
    income = {"urban_per_capita_fen": 7_500_000, "source": "鄞州区2030年统计公报"}
    status, body = await call(platform, client, "PUT", f"/districts/{prefix}/incomes/2030", income)
    assert status == 200, body
    view = await district(lambda v: kinds(v) == ["pay_average"])
    (finding,) = view["open_findings"]
    assert finding["year"] == 2031 and "10300000 fen" in finding["text"]
    assert "10500000 fen" in finding["text"]
    corrected = income | {"urban_per_capita_fen": 7_000_000}  # 9,800,000: the average meets it
    status, body = await call(platform, client, "PUT", f"/districts/{prefix}/incomes/2030",
                              corrected)  # fmt: skip
    assert status == 200, body
    await district(lambda v: kinds(v) == [])

    topic = await staffing_topic(platform.bootstrap_servers, prefix, 6)
    decided = [k for k, _ in topic if k != "DistrictIncomeRecorded"]
    assert decided == ["DistrictFloorFindingOpened", "DistrictFloorFindingResolved",
                       "PayFloorFindingOpened", "PayFloorFindingResolved"]  # fmt: skip
    opened = json.loads(next(v for k, v in topic if k == "PayFloorFindingOpened"))
    assert (opened["worker_id"], opened["workers"], opened["pay_fen"]) == (None, 2, 10_300_000)
    assert NAME not in b"".join(v for _, v in topic).decode()
