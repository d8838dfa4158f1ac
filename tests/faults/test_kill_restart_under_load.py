"""The platform under faults: kill -9 and restart the broker, the registry process, the staffing
process, the funding process and PostgreSQL, one after another, while a district system
registers communities and appropriates funding through the gateway (issue 8, "Done means";
staffing from issue 10, funding from issue 12). Afterwards nothing accepted is lost, the topic
holds the log, the read model converges, staffing and funding have observed every community
from the topic, every industrial community's funding line is the one its inputs give and every
appropriation is in its balance exactly once, every log verifies, and clients saw only 2xx, 409
or 503."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from services.funding.standards.events import CommunityFacts
from services.funding.standards.packs import FundingBook
from services.funding.standards.rules import budget_lines
from shared.audit import AuditReport, verify
from shared.kafka import events_topic
from shared.sealing import signing_key
from shared.topic_audit import TopicReport as TopicAudit
from shared.topic_audit import check_records, read_whole_topic
from shared.values import BEIJING
from tests.faults.checks import (
    LoggedEvent,
    TopicRecord,
    accepted_not_logged,
    by_phase,
    compare_topic,
    read_model_gap,
    unexpected_answers,
)
from tests.faults.load import (
    APPROPRIATED_FEN,
    EMPLOYED,
    POSTINGS,
    DistrictLoad,
    FundingLoad,
    is_industrial,
)
from tests.faults.stack import FaultStack

WARM_UP, DOWN, SETTLE = 5.0, 4.0, 8.0  # seconds: before the first fault, each outage, after each
FAULTS = ("broker", "registry", "staffing", "funding", "postgres")
CONVERGE = 60.0  # how long the topic and the read model may take to catch up afterwards


async def read_log(url: str) -> list[LoggedEvent]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT event_id::text, stream_id, stream_version, event_type,"
            " coalesce(metadata->>'subject', stream_id) AS subject, payload->>'code' AS code,"
            " recorded_at"
            " FROM events ORDER BY transaction_id, position"
        )
    finally:
        await conn.close()
    return [LoggedEvent(**dict(row)) for row in rows]


async def topic_created(bootstrap: str, topic: str, deadline: float) -> bool:
    """Whether the relay (re)created `topic` by `deadline`. Only listed, never subscribed to
    before: a consumer's metadata request may auto-create it with the broker's partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        while topic not in await admin.list_topics():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.5)
        return True
    finally:
        await admin.close()


async def read_topic(bootstrap: str, topic: str, want: set[str]) -> list[TopicRecord]:
    """Everything on `topic` from the beginning, as a new subscriber reads it, until every id in
    `want` arrived or CONVERGE seconds passed."""
    deadline = time.monotonic() + CONVERGE
    if not await topic_created(bootstrap, topic, deadline):
        return []
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"faults-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    records: list[TopicRecord] = []
    seen: set[str] = set()
    try:
        while not want <= seen and time.monotonic() < deadline:
            for part in (await consumer.getmany(timeout_ms=500)).values():
                for r in part:
                    headers = {k: v.decode() for k, v in r.headers}
                    record = TopicRecord(
                        event_id=headers.get("ce_id", ""),
                        key=(r.key or b"").decode(),
                        partition=r.partition,
                        offset=r.offset,
                        value=r.value or b"",
                        ce_type=headers.get("ce_type", ""),
                    )
                    records.append(record)
                    seen.add(record.event_id)
    finally:
        await consumer.stop()
    return records


async def verify_log(stack: FaultStack, service: str) -> AuditReport:
    """`wuding audit verify` on a service's log, with the seals' public key."""
    conn = await asyncpg.connect(stack.urls[service].owner)
    try:
        return await verify(conn, key=signing_key(stack.seal_key).public_key())
    finally:
        await conn.close()


async def audits(stack: FaultStack) -> tuple[AuditReport, TopicAudit]:
    """`wuding audit verify` on the log and `wuding audit verify-topic` on what a subscriber
    gets, with the seals' public key: a kill during a seal must not break the sealing."""
    key = signing_key(stack.seal_key).public_key()
    log_report = await verify_log(stack, "registry")
    received = await read_whole_topic(
        stack.broker.bootstrap_servers, events_topic("registry"), timeout=CONVERGE
    )
    return log_report, check_records(received, key)


async def projected_codes(url: str, want: set[str], table: str = "communities") -> set[str]:
    """A read model's codes once they are `want`, or when CONVERGE seconds passed."""
    conn = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + CONVERGE
        while True:
            codes = {row[0] for row in await conn.fetch(f"SELECT code FROM {table}")}
            if codes == want or time.monotonic() > deadline:
                return codes
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def health(stack: FaultStack) -> str:
    """What each service says of itself now: /healthz, /readyz, and the registry's relay,
    projection and background-task metrics (did it tell the truth, which task stopped?)."""
    answers = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        for name, base in (("registry", stack.registry), ("gateway", stack.gateway)):
            for route in ("healthz", "readyz", "metrics"):
                try:
                    async with http.get(f"{base}/{route}") as r:
                        text = await r.text()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    answers.append(f"{name} /{route}: {type(exc).__name__}")
                    continue
                if route == "metrics":
                    wanted = ("wuding_relay", "wuding_projection", "wuding_task")
                    lines = [x for x in text.splitlines() if x.startswith(wanted) or "restart" in x]
                    text = "\n    ".join(x for x in lines if not x.startswith("#"))
                answers.append(f"{name} /{route} {r.status}: {text[:1500]}")
    return "\n  ".join(answers)


def expected_funding_answer(answer: str) -> bool:
    """What FundingLoad may meet: 2xx, 409 (a key in flight), 503, a connection refused while
    a process is down, and a 404 for a community funding has not observed yet."""
    method, status = answer.split(" ", 1)
    return (
        status.startswith(("2", "connection:"))
        or status in ("409", "503")
        or (method == "GET" and status == "404")
    )


def expected_operating_fen(code: str, year: int) -> int:
    """The industrial operating line the zhenhai pack gives EMPLOYED people in `year`."""
    [pack] = [p for p in FundingBook.shipped().packs if p.region == "zhenhai"]
    facts = CommunityFacts(code=code, division_code=code[:12], major_type="industrial",
                           status="active", households=0, residents=0,
                           employed_population=EMPLOYED)  # fmt: skip
    [line] = [x for x in budget_lines(facts, year, pack) if x.line == "industrial_operating"]
    return line.amount_fen


async def funding_figures(
    url: str, codes: set[str], year: int
) -> tuple[dict[str, int], dict[str, int]]:
    """Per industrial community: its operating line's amount, and what the district has
    appropriated of it, once every community has its line or CONVERGE seconds passed."""
    conn = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + CONVERGE
        while True:
            lines = dict(await conn.fetch(
                "SELECT code, amount_fen FROM funding_lines WHERE year = $1"
                " AND line = 'industrial_operating'", year,
            ))  # fmt: skip
            if set(lines) >= codes or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        appropriated = dict(await conn.fetch(
            "SELECT code, appropriated_fen FROM funding_balances WHERE year = $1"
            " AND line = 'industrial_operating' AND payer = 'district'", year,
        ))  # fmt: skip
    finally:
        await conn.close()
    return lines, appropriated


async def test_kill_9_broker_registry_postgres_under_load_loses_nothing(
    fault_stack: FaultStack,
) -> None:
    """Guards the "Done means" of issue 8: with the broker, the registry process and PostgreSQL
    each killed -9 and restarted under load, every accepted command is in the log; a fresh
    consumer finds every event of the log on the topic, each stream in version order, any
    duplicate only a byte-identical repeat of an event id; the communities read model converges
    with the log; every command ends answered (2xx, or a 409 other than a key stuck in
    flight); clients saw only 2xx, 409 or 503."""
    stack = fault_stack
    load = DistrictLoad(
        stack.gateway, stack.keys["district"],
        max_commands=300, interval=0.18, workers=6, give_up_after=60.0,
    )  # fmt: skip
    funding = FundingLoad(stack.gateway, stack.keys["district"], load)
    running = asyncio.create_task(load.run())
    posting = asyncio.create_task(funding.run(give_up_after=90.0))
    began = datetime.now(UTC)
    timeline: list[tuple[datetime, str]] = []
    try:
        await asyncio.sleep(WARM_UP)
        for part in FAULTS:
            await stack.kill(part)
            timeline.append((datetime.now(UTC), f"kill -9 {part}"))
            await asyncio.sleep(DOWN)
            await stack.restart(part)
            timeline.append((datetime.now(UTC), f"{part} restarted"))
            await asyncio.sleep(SETTLE)
        load.stop_issuing()
        await asyncio.wait_for(running, timeout=120)
        funding.stop()
        await asyncio.wait_for(posting, timeout=120)
    finally:  # a restart that failed leaves no client task behind
        running.cancel()
        posting.cancel()
    timeline.append((datetime.now(UTC), "load done"))

    log = await read_log(stack.urls["registry"].owner)
    want_codes = {e.code for e in log if e.event_type == "CommunityRegistered" and e.code}
    records, projected, observed = await asyncio.gather(
        read_topic(stack.broker.bootstrap_servers, events_topic("registry"),
                   {e.event_id for e in log}),
        projected_codes(stack.urls["registry"].owner, want_codes),
        # staffing's own view, from the registry's topic through its inbox
        projected_codes(stack.urls["staffing"].owner, want_codes, "staffing_quotas"),
    )  # fmt: skip
    topic = compare_topic(log, records)
    histogram = load.histogram()
    unexpected = unexpected_answers(histogram)
    accepted = [c for c in load.commands if c.accepted]
    lost = accepted_not_logged([c.code for c in accepted], log)
    unfinished = [  # a key still in flight after a minute of retries is stuck: not an answer
        f"{c.key}: {c.final}{' in flight' if c.in_flight else ''}"
        for c in load.commands
        if not c.accepted and (c.final != "409" or c.in_flight)
    ]
    not_projected, not_logged = read_model_gap(log, projected)
    year = datetime.now(BEIJING).year
    industrial = {c.code for c in load.commands if c.code and is_industrial(c.index)} & want_codes
    funded, (lines, appropriated) = await asyncio.gather(
        projected_codes(stack.urls["funding"].owner, want_codes, "funding_communities"),
        funding_figures(stack.urls["funding"].owner, industrial, year),
    )
    wrong_lines = sorted(
        f"{code}: {lines.get(code)} fen, not {expected_operating_fen(code, year)}"
        for code in industrial
        if lines.get(code) != expected_operating_fen(code, year)
    )
    accepted_fen = {code: p.accepted * APPROPRIATED_FEN for code, p in funding.postings.items()}
    wrong_balances = sorted(
        f"{code}: appropriated {appropriated.get(code, 0)} fen, accepted {fen}"
        for code, fen in accepted_fen.items()
        if appropriated.get(code, 0) != fen
    ) + sorted(f"{code}: {fen} fen by no posting" for code, fen in appropriated.items()
               if code not in accepted_fen and fen)  # fmt: skip
    unposted = sorted(
        f"{code}: {p.answers}" for code, p in funding.postings.items() if p.accepted < POSTINGS
    ) + sorted(f"{code}: its line never showed" for code in industrial - set(funding.postings))
    exited = stack.exited()
    log_audit, topic_audit = await audits(stack)
    staffing_audit = await verify_log(stack, "staffing")
    funding_audit = await verify_log(stack, "funding")

    summary = (
        f"faults: {len(load.commands)} commands, {len(accepted)} accepted, answers"
        f" {dict(sorted(histogram.items()))}; log {len(log)} events; topic {len(records)} records,"
        f" {len(topic.missing)} missing, {topic.duplicates} duplicates; read model"
        f" {len(projected)}/{len(want_codes)} communities; staffing observed"
        f" {len(observed)}; funding observed {len(funded)}, {len(industrial)} industrial lines,"
        f" {sum(p.accepted for p in funding.postings.values())} appropriations, answers"
        f" {dict(sorted(funding.answers.items()))};"
        f" {log_audit.seals} seals;"
        f" refusals {dict(load.refusals)}"
    )
    print(summary)
    failures: dict[str, Sequence[object]] = {
        "clients saw answers other than 2xx, 409, 503": sorted(unexpected.items())
        + sorted((a, n) for a, n in funding.answers.items() if not expected_funding_answer(a)),
        "accepted (2xx) but not in the log": lost,
        "commands never answered 2xx or 409": unfinished,
        "events of the log missing from the topic": topic.missing,
        "topic records not in the log": topic.unknown,
        "duplicates that are not a repeat of the same event": topic.altered_duplicates,
        "records under another key than their subject": topic.wrong_key,
        "keys spread over several partitions": topic.split_keys,
        "streams read out of version order": topic.out_of_order,
        "registered in the log, not in the communities table": not_projected,
        "in the communities table, not in the log": not_logged,
        "registered in the log, never observed by staffing": sorted(want_codes - observed),
        "observed by staffing, not registered": sorted(observed - want_codes),
        "staffing's log does not verify": [f.describe() for f in staffing_audit.findings],
        "registered in the log, never observed by funding": sorted(want_codes - funded),
        "industrial communities whose operating line is not the one its inputs give": wrong_lines,
        "balances other than the sum of the appropriations accepted": wrong_balances,
        "appropriations never answered 2xx": unposted,
        "funding's log does not verify": [f.describe() for f in funding_audit.findings],
        "service processes that exited (exit code)": sorted(exited.items()),
        "no seal was made": [] if log_audit.seals else ["0 seals"],
        "the log does not verify against its seals": [f.describe() for f in log_audit.findings],
        "the topic does not verify against the seals": [f.describe() for f in topic_audit.findings],
    }
    failed = {what: found for what, found in failures.items() if found}
    if failed:
        report = "\n".join(
            f"- {what} ({len(found)}): {found[:20]}" for what, found in failed.items()
        )
        marks = "; ".join(f"{(at - began).total_seconds():.0f}s {what}" for at, what in timeline)
        missing = [e for e in log if e.event_id in set(topic.missing)]
        raise AssertionError(
            f"{summary}\n{report}\ntimeline: {marks}\n"
            f"missing from the topic, by when recorded: {by_phase(missing, timeline)}\n"
            f"the services now:\n  {await health(stack)}\n{stack.tails()}"
        )
