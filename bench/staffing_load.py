"""Staffing catching up with a whole city: the synthetic Ningbo (`wuding seed ningbo`) is
registered through the registry's command path, its relay publishes the log, then staffing
consumes the registry topic from the beginning until every community has its quota decided.

Figures: the relay's publish rate (the baseline), staffing's consume rate (every registry
event through its inbox, the ignored ones included, from its first batch committed: joining
the consumer group is a one-off wait for the broker, reported on its own) and their ratio
(target >= 0.5), and the time from start until staffing caught up, the join included
(target < 30 s at scale 1.0). Prints a table, then a last line
of JSON. Asserts nothing. `BENCH_SCALE=0.1` for a tenth; `BENCH_PROFILE=/tmp/p.out` to
profile staffing's part.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import sys
import time
from pathlib import Path
from uuid import uuid4

import asyncpg
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_stack, machine, peak_rss_mb
from services.registry.runtime import Registry
from services.registry.seed import plan_ningbo, seed_city
from services.staffing.runtime import Staffing
from services.topology import SERVICES, database_url
from shared.db import create_pool, ensure_database, migrate
from shared.settings import KernelSettings

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
PROFILE = os.environ.get("BENCH_PROFILE")  # a path: cProfile staffing's catching up into it


async def new_database(admin_url: str, service: str) -> str:
    name = f"bench_{service}_{uuid4().hex[:8]}"
    await ensure_database(admin_url, name)
    url = database_url(admin_url, name)
    await migrate(url, SERVICES[service].migrations)
    return url


async def until_count(pool: asyncpg.Pool, query: str, target: int) -> None:
    """Poll a count until it reaches `target` (nothing notifies of it)."""
    while await pool.fetchval(query) < target:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def main() -> None:
    with bench_stack() as stack:
        # The bench's own stack (bench_stack): registry.events starts empty.
        registry_url = await new_database(stack.admin_url, "registry")
        registry_settings = KernelSettings(
            service="registry", database_url=registry_url,
            kafka_bootstrap_servers=stack.bootstrap_servers, relay_batch_size=2000,
        )  # fmt: skip
        registry = Registry(registry_settings, await create_pool(registry_url, max_size=10))
        report = await seed_city(
            registry.commands, plan_ningbo(2023, SCALE), actor="bench", seed=2023
        )
        events = await registry.pool.fetchval("SELECT count(*) FROM events")

        started, published = time.perf_counter(), 0
        while n := await registry.relay.publish_batch():
            published += n
        relay_seconds = time.perf_counter() - started
        await registry.relay._close_producer()

        staffing_url = await new_database(stack.admin_url, "staffing")
        staffing_settings = KernelSettings(
            service="staffing", database_url=staffing_url, relay_enabled=False,
            kafka_bootstrap_servers=stack.bootstrap_servers, poll_interval_seconds=0.05,
        )  # fmt: skip
        staffing = Staffing(staffing_settings, await create_pool(staffing_url, max_size=10))
        profiler = cProfile.Profile() if PROFILE else None
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        staffing.start()
        inbox = "SELECT count(*) FROM inbox"
        await until_count(staffing.pool, inbox, 1)  # joined the group, first batch committed
        joined, first_count = time.perf_counter(), await staffing.pool.fetchval(inbox)
        await until_count(staffing.pool, inbox, published)
        consume_seconds = time.perf_counter() - joined
        seen = "SELECT count(*) FROM staffing_quotas"  # a row per community observed
        await until_count(staffing.pool, seen, report.communities)
        caught_up_seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(PROFILE)
        quotas = await staffing.pool.fetchval(
            "SELECT count(*) FROM staffing_quotas WHERE quota IS NOT NULL"
        )
        observed = await staffing.pool.fetchval(seen)
        await staffing.stop()
        await registry.stop()

    relay_rate = published / relay_seconds
    consume_rate = (published - first_count) / consume_seconds
    ratio = consume_rate / relay_rate
    print(f"machine: {machine()}; scale {SCALE}")
    print(f"{'communities':<34}{report.communities:>10,}")
    print(f"{'registry events':<34}{events:>10,}")
    print(f"{'relay publish, events/s':<34}{relay_rate:>10,.0f}")
    print(f"{'staffing joined its group, s':<34}{joined - started:>10.1f}")
    print(f"{'staffing consume, events/s':<34}{consume_rate:>10,.0f}")
    print(f"{'consume / publish':<34}{ratio:>10.2f}   (target >= 0.5)")
    print(f"{'staffing caught up, s':<34}{caught_up_seconds:>10.1f}   (target < 30)")
    print(f"{'communities seen / with a quota':<34}{observed:>5,} / {quotas:,}")
    print(
        json.dumps(
            {
                "machine": machine(),
                "scale": SCALE,
                "communities": report.communities,
                "registry_events": events,
                "published": published,
                "relay_events_per_s": round(relay_rate),
                "consume_events_per_s": round(consume_rate),
                "consume_vs_relay": round(ratio, 3),
                "join_seconds": round(joined - started, 2),
                "consume_seconds": round(consume_seconds, 2),
                "caught_up_seconds": round(caught_up_seconds, 2),
                "communities_seen": observed,
                "communities_with_quota": quotas,
                "peak_rss_mb": peak_rss_mb(),
                "targets_met": {
                    "ratio": ratio >= 0.5,
                    "caught_up_under_30_s": caught_up_seconds < 30 if SCALE == 1.0 else None,
                },
            }
        )
    )


if __name__ == "__main__":
    uvloop.run(main())
