"""Issue 10 §1: staffing's quotas are decided only under a published staffing pack, on the
kernel's publication mechanism (shared/policy_publication.py) — the same as the registry's —
and a new version re-decides quotas only through an explicit, recorded re-evaluation."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from services.staffing.policy import staffing_policy
from services.staffing.quota.handlers import QuotaHandlers
from services.staffing.quota.packs import PerResidents, StaffingBook, StaffingPack, packs
from services.staffing.quota.reevaluation import ReevaluateQuotas, reevaluate
from services.staffing.runtime import staffing_catalog
from shared.cloudevents import IncomingEvent
from shared.commands import CommandContext
from shared.eventstore import EventStore
from shared.pipeline import CommandPipeline
from shared.policy_publication import (
    PackNotPublished,
    PackVersionChanged,
    PublishPolicyPack,
    publish_pack,
)
from tests.conftest import Stack, new_database

V1 = next(p for p in packs() if p.region == "ningbo")
CODE, DIVISION = "33021100400110006", "330211004001"


def richer(version: str = "2026.1", per_10000: str = "25") -> StaffingPack:
    """A new Ningbo staffing version in force from today: `per_10000` per 10,000 residents."""
    urban = V1.quotas["urban"]
    assert isinstance(urban, PerResidents)
    rule = urban.model_copy(update={"per_10000": Decimal(per_10000)})
    return V1.model_copy(
        update={"version": version, "effective_from": date.today(),
                "quotas": {**V1.quotas, "urban": rule}}
    )  # fmt: skip


def registry_event(kind: str, residents: int) -> IncomingEvent:
    data: dict[str, Any] = {
        "code": CODE, "division_code": DIVISION, "major_type": "urban", "status": "active",
        "indicators": {"residents": residents, "households": 2860, "area_km2": "1.35"},
        "residents": residents, "households": 2860,
    }  # fmt: skip
    return IncomingEvent(
        event_id=uuid4(), source="/wuding/registry", type=kind, schema_version=1,
        subject=CODE, time=datetime.now(UTC), data=data, headers={},
    )  # fmt: skip


def operator() -> CommandContext:
    return CommandContext(actor_id="operator:test", actor_kind="operator")


@pytest.fixture
async def staffing_db(stack: Stack) -> str:
    return await new_database(stack, "staffing")


async def test_a_quota_is_decided_under_the_published_staffing_pack_and_reevaluated_on_demand(
    staffing_db: str,
) -> None:
    """Guards: on main staffing had no publication step, so a second pack file would have
    decided nothing ever (each region's earliest version was hard-wired). Now: the baseline
    decides before the first publication; a file deployed but unpublished decides nothing;
    re-evaluating before publishing it is refused; once published, the re-evaluation re-decides
    the quota under it, caused by the publication, and a second run appends nothing."""
    pool = await asyncpg.create_pool(staffing_db, min_size=1, max_size=4)
    try:
        store = EventStore(pool)
        pipeline = CommandPipeline(store, staffing_catalog())
        deployed = StaffingBook([V1, richer()])

        async def quota() -> tuple[int, str, str]:
            [last] = [e for e in await store.read_stream(f"community-{CODE}")
                      if e.event_type == "QuotaSet"][-1:]  # fmt: skip
            return (
                last.payload["quota"],
                last.payload["policy_version"],
                last.metadata["policy_pack"],
            )

        # Before the first publication: the baseline (7,420 × 22 / 10,000 = 16.3 → 16).
        await QuotaHandlers(deployed).observe(registry_event("CommunityRegistered", 7420), pipeline)
        assert await quota() == (16, "2023.1", "ningbo@2023.1")

        # 2023.1 published; 2026.1 deployed beside it, in force by date, not published.
        [first] = await publish_pack(
            pipeline, StaffingBook([V1]), PublishPolicyPack("ningbo"), operator()
        )
        assert first.payload["version"] == "2023.1"
        assert first.payload["content_sha256"] == V1.content_sha256()
        update = registry_event("CommunityIndicatorsUpdated", 15000)
        await QuotaHandlers(deployed).observe(update, pipeline)
        assert await quota() == (33, "2023.1", "ningbo@2023.1")  # 15,000 × 22 / 10,000

        policy = staffing_policy(pipeline.load, deployed)
        with pytest.raises(PackNotPublished, match="wuding staffing policy publish"):
            await reevaluate(pipeline, policy, ReevaluateQuotas("ningbo", (CODE,)), operator())

        [second] = await publish_pack(pipeline, deployed, PublishPolicyPack("ningbo"), operator())
        assert await publish_pack(pipeline, deployed, PublishPolicyPack("ningbo"), operator()) == []
        done = await reevaluate(pipeline, policy, ReevaluateQuotas("ningbo", (CODE,)), operator())
        assert (done.pack, done.communities, done.changed) == ("ningbo@2026.1", 1, 1)
        assert await quota() == (38, "2026.1", "ningbo@2026.1")  # 37.5 rounds half up
        [decision] = [e for e in await store.read_stream(f"community-{CODE}")
                      if e.event_type == "QuotaSet"][-1:]  # fmt: skip
        assert decision.metadata["causation_id"] == str(second.event_id)
        assert decision.metadata["command"] == "ReevaluateQuotas"
        assert decision.payload["previous"] == 33

        before = len(await store.read_stream(f"community-{CODE}"))
        again = await reevaluate(pipeline, policy, ReevaluateQuotas("ningbo", (CODE,)), operator())
        assert again.changed == 0 and len(await store.read_stream(f"community-{CODE}")) == before

        # One version means one content: a changed 2026.1 file cannot be published as such.
        changed = StaffingBook([V1, richer(per_10000="30")])
        with pytest.raises(PackVersionChanged, match="publish changed rules as a new version"):
            await publish_pack(pipeline, changed, PublishPolicyPack("ningbo"), operator())
        policies = await store.read_stream("policy-ningbo")
        assert [e.payload["version"] for e in policies] == ["2023.1", "2026.1"]

        # Every published version's file changed: nothing is decided on it (the consumer
        # parks and dead-letters the registry event, as any event it cannot apply).
        both_changed = StaffingBook(
            [V1.model_copy(update={"name": "改过的文件"}), richer(per_10000="30")]
        )
        before = len(await store.read_stream(f"community-{CODE}"))
        with pytest.raises(PackVersionChanged, match="restore the published files"):
            await QuotaHandlers(both_changed).observe(
                registry_event("CommunityIndicatorsUpdated", 16000), pipeline
            )
        assert len(await store.read_stream(f"community-{CODE}")) == before
    finally:
        await pool.close()


async def wuding(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "services.cli", *args],
        env={**os.environ, "WUDING_DATABASE_URL": database_url}, capture_output=True, text=True,
    )  # fmt: skip


async def test_the_operator_publishes_and_reevaluates_staffing_packs_from_the_cli(
    staffing_db: str,
) -> None:
    """`wuding staffing policy publish|reevaluate --region R`: once per version, the shipped
    pack; an unknown region is a one-line refusal, not a traceback."""
    published = await wuding(staffing_db, "staffing", "policy", "publish", "--region", "ningbo")
    assert published.returncode == 0, published.stderr
    assert published.stdout.strip() == "staffing ningbo@2023.1: published"
    again = await wuding(staffing_db, "staffing", "policy", "publish", "--region", "ningbo")
    assert again.stdout.strip() == "staffing ningbo@2023.1: already published", again.stderr
    redo = await wuding(staffing_db, "staffing", "policy", "reevaluate", "--region", "ningbo")
    assert redo.returncode == 0, redo.stderr
    assert "re-evaluated 0 communities of ningbo under staffing ningbo@2023.1" in redo.stdout
    unknown = await wuding(staffing_db, "staffing", "policy", "publish", "--region", "nowhere")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr, unknown.stderr
    assert "nowhere" in unknown.stderr
