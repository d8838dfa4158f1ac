"""`wuding seed ningbo`: a synthetic city through the real command path (issue 3 capability 9).

The whole city is timed by bench/registry_load.py; here a small scale of the same plan runs
through the CLI against a real PostgreSQL, and a second run appends nothing.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg

from services.registry.seed import plan_ningbo
from shared.community_code import is_valid_code


def test_the_plan_has_seed_004s_shape() -> None:
    plans = plan_ningbo(2023)
    types = [p.registration.major_type for p in plans]
    assert (types.count("urban"), types.count("rural")) == (711, 2158)
    assert 10 <= types.count("industrial") <= 99  # "some tens"
    grids = sum(len(p.grids) for p in plans)
    micro = sum(len(g.micro_grids) for p in plans for g in p.grids)
    assert 12_000 <= grids <= 13_200 and 54_000 <= micro <= 60_000  # ~12.6k and ~57.1k
    assert len({p.registration.division_code for p in plans}) == len(plans)
    assert max(p.registration.indicators.households for p in plans) <= 6000  # cleared above 6,000
    assert plan_ningbo(2023, 0.01) == plan_ningbo(2023, 0.01)  # deterministic per seed


async def test_wuding_seed_ningbo_goes_through_the_command_path(registry_db: str) -> None:
    env = {**os.environ, "WUDING_DATABASE_URL": registry_db}
    command = [sys.executable, "-m", "services.cli", "seed", "ningbo", "--scale", "0.01"]
    first = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    plans = plan_ningbo(2023, 0.01)
    grids = sum(len(p.grids) for p in plans)
    assert f"{len(plans)} communities, {grids} grids" in first.stdout

    conn = await asyncpg.connect(registry_db)
    try:
        rows = await conn.fetch("SELECT event_type, count(*) AS n FROM events GROUP BY event_type")
        by_type = {r["event_type"]: r["n"] for r in rows}
        assert by_type["CommunityRegistered"] == len(plans)
        assert by_type["CommunityTierAssigned"] == len(plans)
        assert by_type["GridCreated"] == grids
        codes = await conn.fetch("SELECT payload->>'code' AS code FROM events"
                                 " WHERE event_type = 'CommunityRegistered'")  # fmt: skip
        assert all(is_valid_code(r["code"]) for r in codes)
        actors = await conn.fetchval("SELECT count(DISTINCT metadata->>'actor') FROM events")
        assert actors == 1  # every event names the operator who seeded
        total = await conn.fetchval("SELECT count(*) FROM events")

        again = await asyncio.to_thread(
            subprocess.run, command, env=env, capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr
        assert await conn.fetchval("SELECT count(*) FROM events") == total  # nothing twice
    finally:
        await conn.close()
