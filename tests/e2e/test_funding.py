"""Funding end to end: a registration at the gateway → the registry's topic → funding's own
view and budget lines (seed 000 §二(五)1, worked by hand) → postings to the community's
commitment ledger through the gateway, refused with the figures when they break a rule,
concurrent writers taking turns, and every posting on the `funding` topic."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import asyncpg

from services.funding.ledger.deadline_checks import DeadlineChecker
from services.funding.runtime import funding_catalog
from services.funding.standards.decide import budget_year
from shared.eventstore import EventStore
from shared.pipeline import CommandPipeline
from shared.values import BEIJING
from tests.e2e.conftest import Platform, community, new_division, new_town
from tests.e2e.test_matters_admission import APPLICANT, admitted, two_communities
from tests.e2e.test_matters_lists import call
from tests.integration.kafka_helpers import event_types_for

YEAR = budget_year(datetime.now(UTC))
GROWTH = {2023: 1, 2024: 1.05, 2025: 1.1025, 2026: 1.157625, 2027: 1.21550625}


async def funding_once(platform: Platform, code: str, lines: int) -> dict[str, Any]:
    """The community's funding through the gateway, once funding shows `lines` lines."""
    return await funding_when(platform, code, lambda body: len(body["lines"]) == lines)


async def funding_when(
    platform: Platform, code: str, shows: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The community's funding through the gateway, once it `shows` what the test waits for."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        status, body = await call(platform, "zhenhai", "GET", f"/communities/{code}/funding")
        if status == 200 and shows(body):
            return body  # type: ignore[no-any-return]
        assert asyncio.get_running_loop().time() < deadline, (status, body)
        await asyncio.sleep(0.1)


def amounts(funding: dict[str, Any]) -> dict[str, int]:
    return {line["line"]: line["amount_fen"] for line in funding["lines"]}


async def industrial(platform: Platform, employed: int) -> str:
    body = community(new_division(), name="澥浦工业社区", major_type="industrial",
                     subtype="工业社区", employed_population=employed)  # fmt: skip
    status, registered = await call(platform, "zhenhai", "POST", "/communities", body)
    assert status == 201, registered
    return str(registered["code"])


def posting(
    code: str, kind: str, payer: str, fen: int, line: str = "industrial_operating"
) -> dict[str, Any]:
    return {"code": code, "year": YEAR, "kind": kind, "line": line, "payer": payer,
            "amount_fen": fen}  # fmt: skip


async def test_budget_lines_from_the_registry_and_why(platform: Platform) -> None:
    """12,000 employed × 50 yuan, grown 5% a year from 2023, shared district:town 1:1; the
    service-the-masses fund 200,000 a year (seed 000 §二(五)1)."""
    code = await industrial(platform, 12_000)
    funding = await funding_once(platform, code, 2)
    operating, service = funding["lines"]
    expected = round(12_000 * 5_000 * GROWTH[YEAR])
    assert (operating["line"], operating["amount_fen"]) == ("industrial_operating", expected)
    assert [(p["payer"], p["part_fen"]) for p in operating["payers"]] == [
        ("district", expected // 2 + expected % 2), ("town", expected // 2),
    ]  # fmt: skip
    assert (
        operating["policy_pack"] == "zhenhai@2023.2" and operating["source"] == "seed 000 §二(五)1"
    )
    assert (service["line"], service["amount_fen"]) == ("service_fund", 20_000_000)
    assert funding["trial_balance_fen"] == 0 and funding["postings"] == 0

    status, why = await call(
        platform, "zhenhai", "GET", f"/communities/{code}/funding/explain?line=industrial_operating"
    )
    assert status == 200, why
    [decision] = why["decisions"]
    assert decision["inputs"]["employed_population"] == "12000"
    assert decision["inputs"]["base_year"] == "2023" and decision["inputs"]["growth_rate"] == "0.05"
    assert decision["caused_by"]  # the registry event it was decided on
    # Another district reads none of it.
    assert (await call(platform, "yinzhou", "GET", f"/communities/{code}/funding"))[0] == 403


async def test_party_lines_follow_the_organisation_the_registry_records(
    platform: Platform,
) -> None:
    """Seed 000 §二(五)1: a 总支 at least 50,000 yuan a year, a 党委 60,000; party-member
    activity 120 yuan per member a year. Recorded on the registry, funding sets both lines;
    recorded again as it is, nothing changes; recorded as a 党委 of 120 members, both again."""
    code = await industrial(platform, 12_000)
    await funding_once(platform, code, 2)
    path = f"/communities/{code}/party-organisation"
    status, view = await call(platform, "zhenhai", "PUT", path,
                              {"party_organisation": "总支", "party_members": 86})  # fmt: skip
    assert status == 200, view
    assert (view["party_organisation"], view["party_members"]) == ("总支", 86)
    funding = await funding_once(platform, code, 4)
    assert amounts(funding)["party_organisation"] == 5_000_000
    assert amounts(funding)["party_members"] == 86 * 12_000

    status, same = await call(platform, "zhenhai", "PUT", path,
                              {"party_organisation": "总支", "party_members": 86})  # fmt: skip
    assert status == 200 and same["version"] == view["version"]  # nothing recorded again
    for bad in ({"party_organisation": "工委", "party_members": 3},
                {"party_organisation": "支部", "party_members": -1},
                {"party_organisation": "支部\u0000", "party_members": 3}):  # fmt: skip
        status, problem = await call(platform, "zhenhai", "PUT", path, bad)
        assert status == 422 and problem["errors"], problem
    stale = {"If-Match": f'"{view["version"] - 1}"'}
    status, _ = await call(platform, "zhenhai", "PUT", path,
                           {"party_organisation": "党委", "party_members": 1}, stale)  # fmt: skip
    assert status == 409  # the version the client read is not the one now

    status, view = await call(platform, "zhenhai", "PUT", path,
                              {"party_organisation": "党委", "party_members": 120})  # fmt: skip
    assert status == 200 and view["party_organisation"] == "党委", view
    funding = await funding_when(
        platform, code, lambda body: amounts(body).get("party_members") == 120 * 12_000
    )
    assert amounts(funding)["party_organisation"] == 6_000_000
    status, why = await call(
        platform, "zhenhai", "GET", f"/communities/{code}/funding/explain?line=party_organisation"
    )
    assert status == 200, why
    assert [d["amount_fen"] for d in why["decisions"]] == [5_000_000, 6_000_000]
    assert why["decisions"][-1]["inputs"]["party_organisation"] == "党委"
    assert (await call(platform, "yinzhou", "PUT", path,
                       {"party_organisation": "支部", "party_members": 1}))[0] == 403  # fmt: skip


async def test_the_ledger_refuses_what_breaks_it_and_reverses_by_entries(
    platform: Platform,
) -> None:
    code = await industrial(platform, 12_000)
    line = (await funding_once(platform, code, 2))["lines"][0]
    town_part = line["payers"][1]["part_fen"]

    status, problem = await call(
        platform, "zhenhai", "POST", "/funding/postings",
        posting(code, "appropriate", "town", town_part + 1),
    )  # fmt: skip
    assert status == 422 and problem["type"] == "urn:wuding:problem:posting-refused"
    assert problem["errors"][0]["field"] == "amount_fen"
    assert "above its part" in problem["errors"][0]["reason"]
    key = {"Idempotency-Key": f"appropriation-{uuid4()}"}
    status, appropriation = await call(
        platform, "zhenhai", "POST", "/funding/postings",
        posting(code, "appropriate", "town", town_part), key,
    )  # fmt: skip
    assert status == 201, appropriation
    again = await call(platform, "zhenhai", "POST", "/funding/postings",
                       posting(code, "appropriate", "town", town_part), key)  # fmt: skip
    assert again == (201, appropriation)  # a retry appends nothing
    status, allocation = await call(
        platform, "zhenhai", "POST", "/funding/postings", posting(code, "allocate", "town", 1_000)
    )
    assert status == 201
    status, problem = await call(
        platform, "zhenhai", "POST", "/funding/postings", posting(code, "disburse", "town", 1_001)
    )
    assert status == 422 and "disbursed would exceed allocated" in problem["detail"]
    status, _ = await call(
        platform, "zhenhai", "POST", "/funding/postings", posting(code, "disburse", "town", 600)
    )
    assert status == 201
    status, reversal = await call(
        platform, "zhenhai", "POST", "/funding/postings",
        {"code": code, "year": YEAR, "kind": "reverse", "reverses": allocation["posting_id"]},
    )  # fmt: skip
    assert status == 422 and "disbursed would exceed allocated" in reversal["detail"]
    mixed = {**posting(code, "reverse", "town", 1), "reverses": "x"}  # a move and a reversal
    status, shape = await call(platform, "zhenhai", "POST", "/funding/postings", mixed)
    assert status == 422 and shape["type"] == "urn:wuding:problem:validation-failed"
    assert "a reversal names `reverses` and nothing of the move" in str(shape["errors"])
    # The city pays no part of the line; another district may not post to it.
    status, problem = await call(
        platform, "zhenhai", "POST", "/funding/postings", posting(code, "appropriate", "city", 1)
    )
    assert status == 422 and problem["errors"][0]["field"] == "payer"
    assert (await call(platform, "yinzhou", "POST", "/funding/postings",
                       posting(code, "appropriate", "district", 1)))[0] == 403  # fmt: skip

    funding = (await call(platform, "zhenhai", "GET", f"/communities/{code}/funding"))[1]
    town = funding["lines"][0]["payers"][1]
    assert (town["appropriated_fen"], town["allocated_fen"], town["disbursed_fen"]) == (
        town_part, 1_000, 600,
    )  # fmt: skip
    assert (funding["postings"], funding["trial_balance_fen"]) == (3, 0)
    types = await event_types_for(
        platform.bootstrap_servers, "funding.events", code,
        until=lambda ts: ts.count("PostingRecorded") >= 3,
    )  # fmt: skip
    assert types.count("BudgetLineSet") == 2 and types.count("PostingRecorded") == 3


async def test_concurrent_writers_never_take_a_payer_past_its_part(platform: Platform) -> None:
    """Twelve writers at once, each appropriating a sixth of the district's part: they take
    turns on the ledger, six are accepted and six refused with the figures, and the ledger
    reconciles to the fen."""
    code = await industrial(platform, 12_000)
    part = (await funding_once(platform, code, 2))["lines"][0]["payers"][0]["part_fen"]
    sixth = part // 6
    answers = await asyncio.gather(*(
        call(platform, "zhenhai", "POST", "/funding/postings",
             posting(code, "appropriate", "district", sixth))
        for _ in range(12)
    ))  # fmt: skip
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 6 + [422] * 6, answers
    funding = (await call(platform, "zhenhai", "GET", f"/communities/{code}/funding"))[1]
    district = funding["lines"][0]["payers"][0]
    assert district["appropriated_fen"] == 6 * sixth <= part
    assert (funding["postings"], funding["trial_balance_fen"]) == (6, 0)


async def test_an_admitted_matter_brings_its_funding_and_stops_after_its_exit(
    platform: Platform,
) -> None:
    """费随事转 from matters' topic: the admitted matter's 30,000 yuan a year from the applying
    department become a line of each target community, appropriated and allocated at once;
    the department then disburses; the exit stops the line from the next budget year."""
    codes = await two_communities(platform)
    admission_id, matter_id = await admitted(platform, codes)
    line_id = f"matter:{matter_id}"
    for code in codes:
        [line] = (await funding_once(platform, code, 1))["lines"]
        assert (line["line"], line["amount_fen"], line["policy_pack"]) == (line_id, 3_000_000, None)
        [payer] = line["payers"]
        assert (payer["payer"], payer["appropriated_fen"], payer["allocated_fen"]) == (
            APPLICANT, 3_000_000, 3_000_000,
        )  # fmt: skip
        assert admission_id in line["rule"] and "费随事转" in line["source"]
    code = codes[0]
    paid = posting(code, "disburse", APPLICANT, 1_000_000, line=line_id)
    assert (await call(platform, "zhenhai", "POST", "/funding/postings", paid))[0] == 201
    status, case = await call(platform, "zhenhai", "POST", f"/matters/{matter_id}/exit",
                              {"reason": "职能调整"})  # fmt: skip
    assert status == 200, case
    stops = datetime.fromisoformat(case["items"][0]["exited_from"]).year + 1
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        funding = (await call(platform, "zhenhai", "GET", f"/communities/{code}/funding"))[1]
        [line] = funding["lines"]
        if line["stops_from_year"] is not None:
            break
        assert asyncio.get_running_loop().time() < deadline, funding
        await asyncio.sleep(0.1)
    assert line["stops_from_year"] == stops
    assert line["payers"][0]["disbursed_fen"] == 1_000_000  # this year's ledger stands
    assert (funding["postings"], funding["trial_balance_fen"]) == (3, 0)


async def rolled_over(platform: Platform, prefix: str, client: str = "zhenhai") -> Any:
    body = {"division_prefix": prefix, "year": YEAR + 1}
    status, run = await call(platform, client, "POST", "/funding/rollover", body)
    assert status == 200, run
    return run


async def test_the_roll_over_sets_next_years_lines_once_and_carries_admitted_matters(
    platform: Platform,
) -> None:
    """A town's roll-over to next year: the industrial community's standards from the pack
    (grown one more year), the admitted matter's line carried on and committed again; run
    again, it sets nothing. Another district may not roll this one over."""
    codes = await two_communities(platform)
    town = codes[0][:9]
    _, matter_id = await admitted(platform, codes)
    body = community(new_division(town), name="澥浦工业社区", major_type="industrial",
                     subtype="工业社区", employed_population=12_000)  # fmt: skip
    status, registered = await call(platform, "zhenhai", "POST", "/communities", body)
    assert status == 201, registered
    plant = registered["code"]
    await funding_once(platform, plant, 2)
    for code in codes:
        await funding_once(platform, code, 1)

    run = await rolled_over(platform, town)
    assert (run["communities"], run["communities_changed"]) == (3, 3)
    assert (run["lines_set"], run["postings"]) == (4, 4)  # 2 standards + 1 matter line × 2
    status, plant_next = await call(
        platform, "zhenhai", "GET", f"/communities/{plant}/funding?year={YEAR + 1}"
    )
    assert status == 200, plant_next
    operating = plant_next["lines"][0]
    assert operating["amount_fen"] == round(12_000 * 5_000 * GROWTH[YEAR + 1])
    _, next_year = await call(
        platform, "zhenhai", "GET", f"/communities/{codes[0]}/funding?year={YEAR + 1}"
    )
    [line] = next_year["lines"]
    assert line["line"] == f"matter:{matter_id}" and line["amount_fen"] == 3_000_000
    assert (line["payers"][0]["appropriated_fen"], line["payers"][0]["allocated_fen"]) == (
        3_000_000, 3_000_000,
    )  # fmt: skip
    assert next_year["trial_balance_fen"] == 0

    again = await rolled_over(platform, town)
    assert (again["lines_set"], again["postings"], again["communities"]) == (0, 0, 3)
    status, _ = await call(platform, "yinzhou", "POST", "/funding/rollover",
                           {"division_prefix": town, "year": YEAR + 1})  # fmt: skip
    assert status == 403
    status, problem = await call(platform, "zhenhai", "POST", "/funding/rollover",
                                 {"division_prefix": town, "year": YEAR + 2})  # fmt: skip
    assert status == 422 and problem["errors"][0]["field"] == "year"


async def test_an_exited_matter_is_not_carried_into_the_next_year(platform: Platform) -> None:
    codes = await two_communities(platform)
    _, matter_id = await admitted(platform, codes)
    await funding_once(platform, codes[0], 1)
    status, case = await call(platform, "zhenhai", "POST", f"/matters/{matter_id}/exit",
                              {"reason": "职能调整"})  # fmt: skip
    assert status == 200, case
    deadline = asyncio.get_running_loop().time() + 20
    for code in codes:
        while (await funding_once(platform, code, 1))["lines"][0]["stops_from_year"] is None:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.1)
    run = await rolled_over(platform, codes[0][:9])
    assert (run["communities"], run["lines_set"]) == (2, 0)
    _, next_year = await call(
        platform, "zhenhai", "GET", f"/communities/{codes[0]}/funding?year={YEAR + 1}"
    )
    assert next_year["lines"] == []


async def test_a_missed_deadline_is_flagged_the_day_after_and_cleared_when_paid(
    platform: Platform,
) -> None:
    """Xixian (seed 002 §八(三)): the new area disburses its share by 31 May, each new city its
    matching share by 30 June. The scheduled check, run for 1 June (its day injected), flags
    the new area, not the new city; the new area's disbursement in full clears the flag."""
    body = community(new_division("610104"), name="沣东社区", households=1500, residents=4200)
    status, registered = await call(platform, "xixian", "POST", "/communities", body)
    assert status == 201, registered
    code = registered["code"]
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        status, funding = await call(platform, "xixian", "GET", f"/communities/{code}/funding")
        if status == 200 and funding["lines"]:
            break
        assert asyncio.get_running_loop().time() < deadline, funding
        await asyncio.sleep(0.1)
    [line] = funding["lines"]
    new_area = line["payers"][0]
    assert (line["line"], new_area["payer"]) == ("community_work", "new_area")

    pool = await asyncpg.create_pool(platform.funding_db, min_size=1, max_size=2)
    try:
        checker = DeadlineChecker(pool, CommandPipeline(EventStore(pool), funding_catalog()))
        while (
            await pool.fetchval("SELECT count(*) FROM funding_deadlines WHERE code = $1", code) < 2
        ):
            assert asyncio.get_running_loop().time() < deadline  # the read model catches up
            await asyncio.sleep(0.05)
        assert await checker.run_once(date(YEAR, 5, 31)) == 0  # the deadline itself
        assert await checker.run_once(date(YEAR, 6, 1)) == 1  # the new area, the day after
        assert await checker.run_once(date(YEAR, 6, 2)) == 0  # raised once
    finally:
        await pool.close()
    prefix = code[:12]
    url = f"/funding/overdue?division_prefix={prefix}&as_of={YEAR}-06-15"
    items = await until_overdue(platform, url, 1)
    assert [(i["payer"], i["deadline"], i["part_fen"], i["disbursed_fen"]) for i in items] == [
        ("new_area", f"{YEAR}-05-31", new_area["part_fen"], 0),
    ]  # fmt: skip
    for kind in ("appropriate", "allocate", "disburse"):
        move = posting(code, kind, "new_area", new_area["part_fen"], line="community_work")
        status, answer = await call(platform, "xixian", "POST", "/funding/postings", move)
        assert status == 201, answer
    assert await until_overdue(platform, f"/funding/overdue?division_prefix={prefix}", 0) == []
    # Still overdue on 15 June: it was paid only now.
    assert len(await until_overdue(platform, url, 1)) == 1
    assert (await call(platform, "zhenhai", "GET", url))[0] == 403


async def until_overdue(platform: Platform, url: str, count: int) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        status, listed = await call(platform, "xixian", "GET", url)
        assert status == 200, listed
        if len(listed["items"]) == count:
            return listed["items"]  # type: ignore[no-any-return]
        assert asyncio.get_running_loop().time() < deadline, listed
        await asyncio.sleep(0.1)


async def test_the_disclosure_statement_in_json_csv_and_a_printable_page(
    platform: Platform,
) -> None:
    """居务公开 (seed 003 §6.3): this quarter's funds received and spent by line."""
    code = await industrial(platform, 12_000)
    await funding_once(platform, code, 2)
    for kind, fen in (("appropriate", 500_000), ("allocate", 500_000), ("disburse", 300_000),
                      ("spend", 120_000)):  # fmt: skip
        move = posting(code, kind, "district", fen, line="service_fund")
        status, answer = await call(platform, "zhenhai", "POST", "/funding/postings", move)
        assert status == 201, answer
    today = datetime.now(UTC).astimezone(BEIJING).date()
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    url = f"/communities/{code}/disclosure?period={quarter}"
    status, statement = await call(platform, "zhenhai", "GET", url)
    assert status == 200, statement
    fund = next(line for line in statement["lines"] if line["line"] == "service_fund")
    assert (fund["received_fen"], fund["spent_fen"], fund["balance_fen"]) == (
        300_000, 120_000, 180_000,
    )  # fmt: skip
    async with platform.http.get(f"{platform.gateway}/v1{url}&format=csv",
                                 headers=platform.auth("zhenhai")) as r:  # fmt: skip
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
        text = (await r.read()).decode("utf-8")
    assert text.startswith("\ufeff") and f"{code},{quarter},service_fund" in text
    async with platform.http.get(f"{platform.gateway}/v1{url}&format=html",
                                 headers=platform.auth("zhenhai")) as r:  # fmt: skip
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
        page = await r.text()
    assert "社区经费公开" in page and "社区党组织服务群众专项经费" in page and "1,800.00" in page
    bad = await call(platform, "zhenhai", "GET", f"/communities/{code}/disclosure?period=2026Q5")
    assert bad[0] == 422
    assert (await call(platform, "yinzhou", "GET", url))[0] == 403


async def test_the_report_of_a_town_sums_its_communities_lines_and_ledgers(
    platform: Platform,
) -> None:
    town = new_town()
    codes = []
    for employed in (8_000, 12_000):
        body = community(new_division(town), name="澥浦工业社区", major_type="industrial",
                         subtype="工业社区", employed_population=employed)  # fmt: skip
        status, registered = await call(platform, "zhenhai", "POST", "/communities", body)
        assert status == 201, registered
        codes.append(registered["code"])
        await funding_once(platform, registered["code"], 2)
    for kind in ("appropriate", "allocate", "disburse"):
        move = posting(codes[0], kind, "district", 100_000, line="service_fund")
        assert (await call(platform, "zhenhai", "POST", "/funding/postings", move))[0] == 201
    url = f"/districts/{town}/funding-report?year={YEAR}"
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        status, report = await call(platform, "zhenhai", "GET", url)
        assert status == 200, report
        rows = {r["line"]: r for r in report["rows"]}
        if len(rows) == 2 and rows["service_fund"]["disbursed_fen"] == 100_000:
            break
        assert asyncio.get_running_loop().time() < deadline, report
        await asyncio.sleep(0.1)
    operating = rows["industrial_operating"]
    assert (operating["district"], operating["communities"]) == ("330211", 2)
    assert operating["amount_fen"] == round(20_000 * 5_000 * GROWTH[YEAR])
    assert rows["service_fund"]["amount_fen"] == 2 * 20_000_000
    assert (
        rows["service_fund"]["appropriated_fen"] == rows["service_fund"]["allocated_fen"] == 100_000
    )
    async with platform.http.get(f"{platform.gateway}/v1{url}&format=csv",
                                 headers=platform.auth("zhenhai")) as r:  # fmt: skip
        assert r.status == 200
        text = (await r.read()).decode("utf-8")
    assert (
        text.startswith("\ufeffarea,year,district,line,") and "社区党组织服务群众专项经费" in text
    )
    assert (await call(platform, "yinzhou", "GET", url))[0] == 403


async def test_a_note_with_a_nul_or_a_control_character_is_refused_and_nothing_is_posted(
    platform: Platform,
) -> None:
    """Free text is checked at the door as every service's is (shared/values.Note): a NUL, which
    PostgreSQL's text cannot hold, is a field-level 422, never a posting."""
    code = await industrial(platform, 9_000)
    await funding_once(platform, code, 2)
    for note in ("拨付\x00", "拨付\x1b[2J"):
        move = {**posting(code, "appropriate", "district", 1), "note": note}
        status, problem = await call(platform, "zhenhai", "POST", "/funding/postings", move)
        assert status == 422 and problem["errors"][0]["field"] == "note", problem
    move = {**posting(code, "appropriate", "district", 1), "note": "镇海区财政局 2026 年第一批拨付"}
    assert (await call(platform, "zhenhai", "POST", "/funding/postings", move))[0] == 201
    funding = (await call(platform, "zhenhai", "GET", f"/communities/{code}/funding"))[1]
    assert funding["postings"] == 1
