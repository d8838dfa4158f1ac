"""Qualification bonuses end to end (Xixian, seed 002 §五(二)): staffing records a worker's
social work qualification → `staffing.events` → funding sets the one-off bonus (5,000 / 3,000 /
2,000 yuan) on the line `qualification_bonus` of the community the worker serves; a worker in
the reserve pool has the bonus held until assigned; a qualification is counted once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from tests.e2e.conftest import Platform, community, new_division
from tests.e2e.test_staffing_workforce import NAME, call, id_number


async def xixian(platform: Platform, method: str, path: str, body: Any = None) -> Any:
    status, answer = await call(platform, "xixian", method, path, body)
    assert status in (200, 201), (status, answer)
    return answer


async def bonus_line_when(platform: Platform, code: str, amount_fen: int) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        status, funding = await call(
            platform, "xixian", "GET", f"/communities/{code}/funding?year=2025"
        )
        lines = {line["line"]: line for line in funding.get("lines", [])}
        if status == 200 and lines.get("qualification_bonus", {}).get("amount_fen") == amount_fen:
            return lines["qualification_bonus"]  # type: ignore[no-any-return]
        assert asyncio.get_running_loop().time() < deadline, (status, funding)
        await asyncio.sleep(0.1)


async def held_on_funding_stream(platform: Platform, worker: str) -> list[str]:
    """The events of funding's own stream of the worker, once there are any."""
    conn = await asyncpg.connect(platform.funding_db)
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while not (found := await conn.fetch(
            "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version",
            f"worker-{worker}",
        )):  # fmt: skip
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.1)
        return [row["event_type"] for row in found]
    finally:
        await conn.close()


async def xixian_community_with_positions(platform: Platform, count: int) -> tuple[str, list[str]]:
    registered = await xixian(platform, "POST", "/communities", community(
        new_division("610104"), name="沣西社区", households=3000, residents=9000,
    ))  # fmt: skip
    code = registered["code"]
    deadline = asyncio.get_running_loop().time() + 20
    while not (await call(platform, "xixian", "GET", f"/communities/{code}/staffing"))[1].get(
        "quota"
    ):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)
    for _ in range(count):
        view = await xixian(platform, "POST", f"/communities/{code}/positions",
                            {"post": "social_worker", "effective_from": "2025-01-01"})  # fmt: skip
    return code, [p["position_id"] for p in view["positions"]]


async def recruit(platform: Platform, division: str, sequence: int) -> str:
    worker = await xixian(platform, "POST", "/workers", {
        "division_code": division, "name": NAME, "id_number": id_number(sequence),
        "effective_from": "2025-01-15",
    })  # fmt: skip
    return str(worker["worker_id"])


async def test_a_qualification_brings_its_bonus_once_and_a_pool_workers_waits_for_a_post(
    platform: Platform,
) -> None:
    """A serving worker's senior social worker qualification: 5,000 yuan. A pool worker's
    social worker qualification (3,000) is held, and set once the worker is assigned: 8,000
    yuan, new area : new city 1:1 (the pack's reading, to confirm)."""
    code, [first, second] = await xixian_community_with_positions(platform, 2)
    serving, pooled = (
        await recruit(platform, code[:12], 701),
        await recruit(platform, code[:12], 702),
    )
    await xixian(platform, "POST", f"/workers/{serving}/assign",
                 {"position_id": first, "effective_from": "2025-02-01"})  # fmt: skip
    await xixian(platform, "POST", f"/workers/{serving}/qualifications",
                 {"level": "senior_social_worker", "effective_from": "2025-03-10"})  # fmt: skip
    line = await bonus_line_when(platform, code, 500_000)
    assert line["policy_pack"] == "xixian@2021.2" and line["source"].startswith("seed 002 §五(二)")

    await xixian(platform, "POST", f"/workers/{pooled}/qualifications",
                 {"level": "social_worker", "effective_from": "2025-04-01"})  # fmt: skip
    held = await held_on_funding_stream(platform, pooled)
    assert held == ["QualificationBonusHeld"]  # and the line is as it was
    assert (await bonus_line_when(platform, code, 500_000))["amount_fen"] == 500_000
    await xixian(platform, "POST", f"/workers/{pooled}/assign",
                 {"position_id": second, "effective_from": "2025-05-01"})  # fmt: skip
    line = await bonus_line_when(platform, code, 800_000)
    assert [(p["payer"], p["part_fen"]) for p in line["payers"]] == [
        ("new_area", 400_000), ("new_city", 400_000),
    ]  # fmt: skip

    explain = f"/communities/{code}/funding/explain?year=2025&line=qualification_bonus"
    status, why = await call(platform, "xixian", "GET", explain)
    assert status == 200, why
    assert why["decisions"][-1]["inputs"] == {
        f"{serving}/senior_social_worker": "500000", f"{pooled}/social_worker": "300000",
    }  # fmt: skip
    assert [d["amount_fen"] for d in why["decisions"]] == [500_000, 800_000]
    assert await held_on_funding_stream(platform, pooled) == [
        "QualificationBonusHeld", "QualificationBonusReleased",
    ]  # fmt: skip

    # The same qualification again is staffing's 409; funding's line stays as it is.
    again = {"level": "senior_social_worker", "effective_from": "2025-06-01"}
    status, _ = await call(platform, "xixian", "POST", f"/workers/{serving}/qualifications", again)
    assert status == 409
    # An appropriation of the bonus line goes through the ledger like any line's.
    status, posted = await call(platform, "xixian", "POST", "/funding/postings", {
        "code": code, "year": 2025, "kind": "appropriate", "line": "qualification_bonus",
        "payer": "new_area", "amount_fen": 400_000,
    })  # fmt: skip
    assert status in (200, 201), posted
