"""The district checks (services/staffing/district/checks.py) on the real PostgreSQL: a
staffing event marks its district in the same transaction as the read models; the checker
checks each marked district once, appends the finding that changed and clears the mark; a
scheduled re-check of every district appends nothing when nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from services.staffing.district.checks import Mark, mark_all
from services.staffing.district.events import district_stream
from services.staffing.runtime import Staffing
from shared.cloudevents import IncomingEvent
from shared.eventstore import Checkpoint
from shared.settings import KernelSettings
from tests.conftest import Stack, new_database

CODE, DIVISION = "33021100400110006", "330211004001"


def registered(residents: int) -> IncomingEvent:
    data: dict[str, Any] = {
        "code": CODE, "division_code": DIVISION, "major_type": "urban", "status": "active",
        "indicators": {"residents": residents, "households": 2860, "area_km2": "1.35"},
        "residents": residents, "households": 2860,
    }  # fmt: skip
    return IncomingEvent(
        event_id=uuid4(), source="/wuding/registry", type="CommunityRegistered",
        schema_version=1, subject=CODE, time=datetime.now(UTC), data=data, headers={},
    )  # fmt: skip


@pytest.fixture
async def staffing(stack: Stack) -> Any:
    url = await new_database(stack, "staffing")
    settings = KernelSettings(
        service="staffing", database_url=url, relay_enabled=False,
        kafka_bootstrap_servers=stack.bootstrap_servers,
    )  # fmt: skip
    runtime = Staffing(settings, await asyncpg.create_pool(url, min_size=1, max_size=4))
    yield runtime
    await runtime.pool.close()


async def test_a_marked_district_is_checked_once_and_a_rerun_appends_nothing(
    staffing: Staffing,
) -> None:
    """7,420 residents × 18 / 10,000 = 13.4 → a floor of 14; nothing filled: a finding."""
    await staffing.quotas.observe(registered(7420), staffing.pipeline)
    await staffing.projections.run_once()
    marks = await staffing.pool.fetch("SELECT prefix FROM staffing_district_checks")
    assert [m["prefix"] for m in marks] == ["330211"]  # marked with the read models

    assert await staffing.district_checks.run_once() == 1
    events = await staffing.store.read_stream(district_stream("330211"))
    assert [e.event_type for e in events] == ["DistrictFloorFindingOpened"]
    opened = events[0]
    assert (opened.payload["floor"], opened.payload["filled"]) == (14, 0)
    assert opened.metadata["policy_pack"] == "ningbo@2023.1"
    assert opened.metadata["actor"] == "staffing-district-checks"
    quota_set = (await staffing.store.read_stream(f"community-{CODE}"))[-1]
    assert opened.metadata["causation_id"] == str(quota_set.event_id)  # the marking event

    assert await staffing.district_checks.run_once() == 0  # the mark was cleared
    async with staffing.pool.acquire() as conn:
        await mark_all(conn, "day 2026-12-02")
    assert await staffing.district_checks.run_once() == 1  # checked again: nothing changed
    assert len(await staffing.store.read_stream(district_stream("330211"))) == 1
    assert await staffing.pool.fetchval("SELECT count(*) FROM staffing_district_checks") == 0


async def test_a_district_marked_again_during_its_check_stays_marked(staffing: Staffing) -> None:
    """The mark is cleared only if no later event marked the district meanwhile: the later
    event's figures are checked next round, not lost."""
    await staffing.quotas.observe(registered(7420), staffing.pipeline)
    await staffing.projections.run_once()
    checker = staffing.district_checks
    (row,) = await staffing.pool.fetch("SELECT * FROM staffing_district_checks")
    async with staffing.pool.acquire() as conn:
        await mark_all(conn, "day 2026-12-03")  # a later mark, between the read and the check
    assert await checker.check(
        Mark(row["prefix"], row["caused_by"], Checkpoint.parse(row["log_position"]))
    )
    (left,) = await staffing.pool.fetch("SELECT caused_by FROM staffing_district_checks")
    assert left["caused_by"] == "day 2026-12-03"
