"""Issue 12's done-means: replaying every topic funding consumes (the registry's, matters' and
staffing's), twice, into a fresh funding database gives the same budget lines and the same
ledger balances as the funding service that followed them live.

The replay is funding's own subscription — the same reactions, the same packs — run by consumer
groups of their own from the start of each topic, on a database migrated from nothing; the
second pass finds every reaction recorded (its command id derives from the event's) and
appends nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import uuid4

import asyncpg

from services.funding.runtime import Funding
from services.funding.standards.handlers import StandardHandlers
from services.funding.subscribers import subscription
from shared.db import create_pool
from shared.inbox import InboxConsumer
from shared.settings import KernelSettings
from shared.subscribers import ReactionHandler
from tests.conftest import Stack, new_database
from tests.e2e.conftest import Platform
from tests.e2e.test_funding import funding_once, funding_when, industrial
from tests.e2e.test_funding_bonuses import (
    bonus_line_when,
    recruit,
    xixian,
    xixian_community_with_positions,
)
from tests.e2e.test_matters_admission import admitted, two_communities
from tests.e2e.test_matters_lists import call
from tests.integration.kafka_helpers import consumed_to_the_end, quiet

LINES = "SELECT code, year, line, name, amount_fen FROM funding_lines WHERE code = ANY($1)"
BALANCES = (
    "SELECT code, year, line, payer, appropriated_fen, allocated_fen, disbursed_fen, spent_fen"
    " FROM funding_balances WHERE code = ANY($1)"
)


async def read_models(url: str, codes: list[str]) -> dict[str, list[Any]]:
    conn = await asyncpg.connect(url)
    try:
        return {
            "lines": sorted(tuple(r) for r in await conn.fetch(LINES, codes)),
            "balances": sorted(tuple(r) for r in await conn.fetch(BALANCES, codes)),
        }
    finally:
        await conn.close()


async def some_of_everything_funding_follows(platform: Platform) -> list[str]:
    """Communities whose funding comes only from other services' events: an industrial one
    with its party organisation, two under an admitted matter (费随事转, its ledger postings
    too), and a Xixian one whose worker obtained a qualification."""
    industrial_code = await industrial(platform, 9_000)
    status, _ = await call(platform, "zhenhai", "PUT",
                           f"/communities/{industrial_code}/party-organisation",
                           {"party_organisation": "支部", "party_members": 40})  # fmt: skip
    assert status == 200
    await funding_once(platform, industrial_code, 4)
    matter_codes = await two_communities(platform)
    await admitted(platform, matter_codes)
    for code in matter_codes:
        await funding_when(platform, code, lambda body: bool(body["lines"]) and all(
            p["allocated_fen"] == p["part_fen"] for p in body["lines"][0]["payers"]
        ))  # fmt: skip
    xixian_code, [position] = await xixian_community_with_positions(platform, 1)
    worker = await recruit(platform, xixian_code[:12], 801)
    await xixian(platform, "POST", f"/workers/{worker}/qualifications",
                 {"level": "assistant_social_worker", "effective_from": "2025-03-01"})  # fmt: skip
    await xixian(platform, "POST", f"/workers/{worker}/assign",
                 {"position_id": position, "effective_from": "2025-04-01"})  # fmt: skip
    await bonus_line_when(platform, xixian_code, 200_000)
    return [industrial_code, *matter_codes, xixian_code]


async def test_replaying_every_topic_twice_into_a_fresh_database_gives_the_same_balances(
    platform: Platform, stack: Stack
) -> None:
    codes = await some_of_everything_funding_follows(platform)
    live = await read_models(platform.funding_db, codes)
    assert len(live["lines"]) >= 8 and live["balances"], live

    # Both replays read the same records: the topics, once nothing more is being published.
    await quiet(platform.bootstrap_servers, list(subscription(StandardHandlers()).topics))
    fresh = await new_database(stack, "funding")
    settings = KernelSettings(env="test", service="funding", database_url=fresh,
                              kafka_bootstrap_servers=platform.bootstrap_servers)  # fmt: skip
    pool = await create_pool(fresh)
    try:
        runtime = Funding(settings, pool)
        following = subscription(runtime.standards)
        passes = []
        for _ in range(2):
            group = f"funding-replay-{uuid4().hex[:8]}"
            consumer = InboxConsumer(
                pool, name=group, topics=following.topics,
                handler=ReactionHandler(replace(following, name=group), runtime.pipeline),
                bootstrap_servers=platform.bootstrap_servers,
            )  # fmt: skip
            await consumer.start()
            try:
                await consumed_to_the_end(platform.bootstrap_servers, list(following.topics), group)
            finally:
                await consumer.stop()
            while await runtime.projections.run_once():
                pass
            events = await pool.fetch(
                "SELECT event_type, count(*) AS n FROM events GROUP BY event_type ORDER BY 1"
            )
            passes.append(([tuple(r) for r in events], await read_models(fresh, codes)))
    finally:
        await pool.close()
    (events_once, replayed_once), (events_twice, replayed_twice) = passes
    assert replayed_once == live
    assert replayed_twice == live
    assert events_twice == events_once  # the second replay appended nothing
