"""Values a read model cannot store are refused at the door: a field-level 422, nothing appended.

Guards issue 8 §1: full-width or Arabic-Indic digits in a division code (Python's `isdigit()`
and `\\d` take them; the read model's CHECK does not) got a 500 after their events were
appended, and stalled the communities projection for every district; a NUL in a community or
grid name was accepted (202) and stalled its projection the same way; `"households": true`
was taken as 1.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from shared.sealing import SEAL_STREAM
from tests.e2e.conftest import Platform, community, new_division, registered


async def event_count(platform: Platform) -> int:
    conn = await asyncpg.connect(platform.registry_db)
    try:
        # The relay's seals come on their own clock (and may land between two counts): they
        # are the log's record of what was published, not something a command appended.
        count: int = await conn.fetchval(
            "SELECT count(*) FROM events WHERE stream_id <> $1", SEAL_STREAM
        )
        return count
    finally:
        await conn.close()


async def refused(platform: Platform, path: str, body: Any) -> list[str]:
    """POST `body`; assert a 422 problem that appended nothing; return the fields it names."""
    before = await event_count(platform)
    async with platform.http.post(
        f"{platform.gateway}{path}", json=body, headers=platform.auth("zhenhai")
    ) as r:
        problem = await r.json(content_type=None)
        assert r.status == 422, problem
        assert r.headers["Content-Type"] == "application/problem+json"
    assert await event_count(platform) == before
    return [e["field"] for e in problem["errors"]]


@pytest.mark.parametrize(
    "division_code",
    [
        "３３０２１１００４００１",  # full-width
        "٣٣٠٢١١٠٠٤٠٠١",  # Arabic-Indic
        "33021100400١",  # one non-ASCII digit at the end
        "３30211004001",  # one at the start
    ],
)
async def test_non_ascii_digits_in_a_division_code_are_refused(
    platform: Platform, division_code: str
) -> None:
    fields = await refused(platform, "/v1/communities", community(division_code))
    assert fields == ["division_code"]


INDUSTRIAL = {"name": "澥浦工业社区", "major_type": "industrial", "subtype": "工业社区"}
TRUST_AREA = {"name": "飞地", "area_km2": "0.2", "reason": "确有需要"}


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"name": "勤勇\u0000社区"}, "name"),
        ({"name": "勤勇\u202e社区"}, "name"),  # a bidi override (format character)
        ({"name": "勤勇\n社区"}, "name"),
        ({"name": "勤勇社区\n"}, "name"),  # Python's `$` matches before a final newline
        (INDUSTRIAL | {"trust_areas": [TRUST_AREA | {"name": "飞\u0000"}]}, "trust_areas.0.name"),
        ({"subtype": "老城区\u0000社区"}, "subtype"),
        ({"households": True}, "households"),
        ({"residents": "7420"}, "residents"),
        ({"households": 2**40}, "households"),
        ({"area_km2": "NaN"}, "area_km2"),
        ({"has_residents_committee": 1}, "has_residents_committee"),
    ],
)
async def test_unstorable_registration_values_are_refused(
    platform: Platform, over: dict[str, object], field: str
) -> None:
    assert await refused(platform, "/v1/communities", community(new_division(), **over)) == [field]


async def test_a_nul_in_a_grid_or_micro_grid_name_is_refused(platform: Platform) -> None:
    code = await registered(platform)
    grids = f"/v1/communities/{code}/grids"
    figures = {"households": 300, "population": 900}
    bad_grid = {"name": "第一\u0000网格", "kind": "residential", "figures": figures}
    assert await refused(platform, grids, bad_grid) == ["name"]
    bad_micro = {
        "name": "第一网格",
        "kind": "residential",
        "figures": figures,
        "micro_grids": [{"name": "1\u0000幢", "kind": "residential", "households": 60}],
    }
    assert await refused(platform, grids, bad_micro) == ["micro_grids.0.name"]
