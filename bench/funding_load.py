"""A budget year of the Ningbo-scale city through funding's command path, against the raw
PostgreSQL insert baseline measured in the same run.

Every community of the synthetic city (services/registry/seed.py: 2,905 at scale 1.0) is
observed and gets its lines by the code a registry event runs (standards/decide.py), then the
postings of a year go through `LedgerHandlers.post` (lock, fold, checks, append): per line and
payer an appropriation and an allocation of its part and a disbursement of half. The seeds
give figures for Zhenhai's industrial communities and the development zone only, so the bench
uses its own pack, BENCH_PACK, applying those standards to every community type: a load, not a
policy. Baseline: the same number of rows inserted by the same number of writers into a plain
table. Then the city-wide trial balance from the log (every posting's entries summed).

Prints a table, then a last line of JSON. Asserts nothing. BENCH_SCALE=0.1 for a quick run.
"""

from __future__ import annotations

import asyncio
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
from services.funding.ledger.handlers import LedgerHandlers, Post
from services.funding.runtime import funding_catalog
from services.funding.standards.decide import CommunityFunding, decide
from services.funding.standards.events import BudgetLineSet, CommunityFacts, community_stream
from services.funding.standards.packs import FundingBook, FundingPack
from services.registry.seed import plan_ningbo
from services.topology import SERVICES, database_url
from shared.commands import CommandContext
from shared.db import create_pool, ensure_database, migrate
from shared.errors import StreamPosition
from shared.eventstore import EventStore
from shared.gc_tuning import tune_gc_for_serving
from shared.pipeline import Change, CommandPipeline

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
WRITERS = 16
YEAR = 2026
TRIAL_BALANCE = """
SELECT coalesce(sum((e->>'debit_fen')::bigint - (e->>'credit_fen')::bigint), 0)::bigint AS balance,
       count(DISTINCT events.event_id) AS postings
FROM events, json_array_elements(payload->'entries') AS e
WHERE event_type = 'PostingRecorded'
"""


def bench_pack() -> FundingPack:
    """The shipped Zhenhai and development-zone standards, applying to every type, in 3302."""
    shipped = {p.region: p for p in FundingBook.shipped().packs}
    standards = {**shipped["zhenhai"].standards, **shipped["devzone"].standards}
    every = ["urban", "rural", "industrial"]
    return FundingPack(
        region="bench", name="bench", version="1", effective_from="2020-01-01",  # type: ignore[arg-type]
        division_prefixes=["3302"], sources={"bench": "a load, not a policy"},
        standards={k: s.model_copy(update={"applies_to": every}) for k, s in standards.items()},
    )  # fmt: skip


async def new_database(admin_url: str) -> str:
    name = f"bench_funding_{uuid4().hex[:8]}"
    await ensure_database(admin_url, name)
    url = database_url(admin_url, name)
    await migrate(url, SERVICES["funding"].migrations)
    return url


async def in_parallel(items: list, work, writers: int = WRITERS) -> None:  # type: ignore[no-untyped-def, type-arg]
    queue = list(reversed(items))

    async def worker() -> None:
        while queue:
            await work(queue.pop())

    await asyncio.gather(*(worker() for _ in range(writers)))


async def main() -> None:
    tune_gc_for_serving()
    plans = plan_ningbo(scale=SCALE)
    pack = bench_pack()
    with bench_stack() as stack:
        url = await new_database(stack.admin_url)
        pool = await create_pool(url, max_size=WRITERS + 2)
        pipeline = CommandPipeline(EventStore(pool), funding_catalog())
        ledger = LedgerHandlers(pool, pipeline)
        lines: list[BudgetLineSet] = []

        async def observe(plan) -> None:  # type: ignore[no-untyped-def]
            r = plan.registration
            code = f"{r.division_code}{len(lines):04d}0"[:17]
            facts = CommunityFacts(
                code=code, division_code=r.division_code, major_type=r.major_type,
                status="active", households=r.indicators.households,
                residents=r.indicators.residents,
                employed_population=r.indicators.employed_population or r.indicators.residents // 2,
            )  # fmt: skip
            events = decide(facts, CommunityFunding(), pack, YEAR)
            ctx = CommandContext(actor_id="bench", actor_kind="system")
            new = [pipeline.new_event(e, "ObserveCommunity", ctx, subject=code,
                                      division_code=r.division_code) for e in events]  # fmt: skip
            await pipeline.save(ctx, Change(community_stream(code), StreamPosition(), new))
            lines.extend(e for e in events if isinstance(e, BudgetLineSet))

        started = time.perf_counter()
        await in_parallel(plans, observe)
        lines_seconds = time.perf_counter() - started

        posts = [
            Post(code=line.code, year=YEAR, kind=kind, line=line.line, payer=part.payer,
                 amount_fen=fen)
            for line in lines
            for part in line.payers
            for kind, fen in (("appropriate", part.fen), ("allocate", part.fen),
                              ("disburse", part.fen // 2))
            if fen > 0
        ]  # fmt: skip
        # Per ledger in order (a move needs the one before it); ledgers side by side.
        by_ledger: dict[tuple[str, int], list[Post]] = {}
        for post in posts:
            by_ledger.setdefault((post.code, post.year), []).append(post)

        async def post_all(ledger_posts: list[Post]) -> None:
            for post in ledger_posts:
                await ledger.post(post, CommandContext(actor_id="bench", actor_kind="district"))

        started = time.perf_counter()
        await in_parallel(list(by_ledger.values()), post_all)
        postings_seconds = time.perf_counter() - started
        postings_rate = len(posts) / postings_seconds

        raw_rate = await raw_inserts(url, len(posts))
        started = time.perf_counter()
        balance = await pool.fetchrow(TRIAL_BALANCE)
        trial_seconds = time.perf_counter() - started
        await pool.close()

    total = lines_seconds + postings_seconds
    ratio = postings_rate / raw_rate
    print(f"machine: {machine()}; scale {SCALE}: {len(plans)} communities, {len(lines)} lines,"
          f" {len(posts)} postings")  # fmt: skip
    print(f"lines        {lines_seconds:8.2f} s")
    print(f"postings     {postings_seconds:8.2f} s  {postings_rate:8.0f}/s")
    print(f"raw inserts                {raw_rate:8.0f}/s  (ratio {ratio:.3f})")
    print(f"trial balance {trial_seconds:7.3f} s  = {balance['balance']} fen over"
          f" {balance['postings']} postings")  # fmt: skip
    print(json.dumps({
        "bench": "funding_load", "machine": machine(), "scale": SCALE,
        "communities": len(plans), "lines": len(lines), "postings": len(posts),
        "lines_seconds": round(lines_seconds, 2), "postings_seconds": round(postings_seconds, 2),
        "budget_year_seconds": round(total, 2), "postings_per_s": round(postings_rate),
        "raw_inserts_per_s": round(raw_rate), "postings_vs_raw": round(ratio, 3),
        "trial_balance_seconds": round(trial_seconds, 3),
        "trial_balance_fen": balance["balance"], "peak_rss_mb": peak_rss_mb(),
        "targets_met": {"under_60_s": total < 60 if SCALE == 1.0 else None,
                        "ratio": ratio >= 0.5, "balanced": balance["balance"] == 0},
    }))  # fmt: skip


async def raw_inserts(url: str, count: int) -> float:
    """Rows of a posting's size per second, `WRITERS` writers, one INSERT each (the baseline)."""
    payload = json.dumps({"code": "33021100100110001", "year": YEAR, "line": "x" * 20,
                          "entries": [{"account": "x" * 40, "debit_fen": 1}] * 2})  # fmt: skip
    conns = [await asyncpg.connect(url) for _ in range(WRITERS)]
    await conns[0].execute(
        "CREATE TABLE raw_postings (id bigserial PRIMARY KEY, stream text, payload jsonb)"
    )
    per = max(1, count // WRITERS)

    async def one(conn: asyncpg.Connection, w: int) -> None:
        for _ in range(per):
            await conn.execute(
                "INSERT INTO raw_postings (stream, payload) VALUES ($1, $2)", f"raw-{w}", payload
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(c, w) for w, c in enumerate(conns)))
    elapsed = time.perf_counter() - started
    for c in conns:
        await c.close()
    return WRITERS * per / elapsed


if __name__ == "__main__":
    uvloop.run(main())
