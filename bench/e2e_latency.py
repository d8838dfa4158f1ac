"""End to end: a registry command at the gateway until the quota it changes is readable through
the gateway, at a steady 200 commands/s (open loop), against the baseline of the same
command's own answer in the same run.

Registry, staffing and gateway run as their own processes (as `make run` starts them). Each
command raises a community's residents by 1,000, which moves its Ningbo quota (22 per
10,000) by at least 2. The bench learns that staffing decided from the `staffing` topic
(QuotaSet for that community), then reads the community's staffing through the gateway until
it shows the new quota: the figure is an upper bound (it includes the relay's hop to the
topic). Prints a table, then a last line of JSON. Asserts nothing.
`BENCH_RATE`, `BENCH_SECONDS`, `BENCH_COMMUNITIES` change the load.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaConsumer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_stack, machine, peak_rss_mb, percentile
from services.gateway.auth import hash_key, new_key
from services.launcher import spawn_service
from services.topology import prepare_databases
from shared.stack.embedded import free_port, wait_for_port

RATE = float(os.environ.get("BENCH_RATE", "200"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
COMMUNITIES = int(os.environ.get("BENCH_COMMUNITIES", "200"))
TIMEOUT = 10.0  # a command whose quota is not readable by then counts as an error


class Decisions:
    """QuotaSet events from the `staffing` topic, awaited by (community, quota)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.waiting: dict[str, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)

    def decided(self, code: str, quota: int) -> None:
        self.seen[code] = max(quota, self.seen.get(code, 0))
        still = []
        for wanted, future in self.waiting[code]:
            if quota >= wanted and not future.done():
                future.set_result(None)
            elif not future.done():
                still.append((wanted, future))
        self.waiting[code] = still

    def wait(self, code: str, quota: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.seen.get(code, 0) >= quota:
            future.set_result(None)
        else:
            self.waiting[code].append((quota, future))
        return future


async def follow(bootstrap: str, decisions: Decisions, ready: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(
        "staffing.events", bootstrap_servers=bootstrap, auto_offset_reset="latest",
        fetch_max_wait_ms=5, group_id=None,
    )  # fmt: skip
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=100)  # assignment and position before commands
        ready.set()
        while True:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                for r in records:
                    if dict(r.headers).get("ce_type", b"").endswith(b".QuotaSet.v1"):
                        data = json.loads(r.value or b"{}")
                        if data.get("quota") is not None:
                            decisions.decided(data["code"], data["quota"])
    finally:
        await consumer.stop()


def quota_for(residents: int) -> int:
    """Ningbo urban: 22 per 10,000 residents, rounded half up (the pack's rule)."""
    return int((residents * 22 + 5000) // 10000)


async def main() -> None:
    with bench_stack() as stack, tempfile.TemporaryDirectory() as tmp:
        urls = await prepare_databases(stack.admin_url, {})
        key = new_key()
        clients = Path(tmp) / "clients.json"
        clients.write_text(json.dumps([{"client_id": "bench", "kind": "district",
                                        "division_prefix": "330211",
                                        "key_sha256": hash_key(key)}]))  # fmt: skip
        ports = {"registry": free_port(), "staffing": free_port(), "gateway": free_port()}
        procs = {
            name: spawn_service(name, urls[name].service, stack.bootstrap_servers, ports,
                                clients, WUDING_LOG_LEVEL="WARNING")
            for name in ports
        }  # fmt: skip
        try:
            for port in ports.values():
                wait_for_port(port, 60)
            result = await run(f"http://127.0.0.1:{ports['gateway']}", key,
                               stack.bootstrap_servers)  # fmt: skip
            memory = {name: peak_rss_mb(proc.pid) for name, proc in procs.items()}
        finally:
            for proc in procs.values():
                proc.terminate()
                proc.wait(15)
    report(result, memory)


async def run(gateway: str, key: str, bootstrap: str) -> dict[str, object]:
    auth = {"Authorization": f"Bearer {key}"}
    decisions, ready = Decisions(), asyncio.Event()
    follower = asyncio.create_task(follow(bootstrap, decisions, ready))
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector, headers=auth) as http:
        residents: dict[str, int] = {}
        await ready.wait()
        for i in range(COMMUNITIES):
            body = {"name": "勤勇社区", "division_code": f"330211{i + 100001:06d}",
                    "major_type": "urban", "subtype": "老城区社区", "households": 2860,
                    "residents": 7420, "area_km2": "1.35"}  # fmt: skip
            async with http.post(f"{gateway}/v1/communities", json=body) as r:
                assert r.status == 201, await r.text()
                residents[(await r.json())["code"]] = 7420
        codes = list(residents)
        await asyncio.gather(*(asyncio.wait_for(decisions.wait(c, 16), 60) for c in codes))

        command_ms: list[float] = []
        e2e_ms: list[float] = []
        errors: list[str] = []

        async def one(code: str, new: int) -> None:
            started = time.perf_counter()
            try:
                async with http.patch(
                    f"{gateway}/v1/communities/{code}/indicators",
                    json={"households": 2860, "residents": new, "area_km2": "1.35"},
                ) as r:
                    await r.read()
                    if r.status != 200:
                        errors.append(f"command {r.status}")
                        return
                command_ms.append((time.perf_counter() - started) * 1000)
                wanted = quota_for(new)
                await asyncio.wait_for(decisions.wait(code, wanted), TIMEOUT)
                while True:  # readable through the gateway (staffing reads its log)
                    async with http.get(f"{gateway}/v1/communities/{code}/staffing") as r:
                        if r.status == 200 and (await r.json())["quota"] >= wanted:
                            break
                    await asyncio.sleep(0.002)
                e2e_ms.append((time.perf_counter() - started) * 1000)
            except (TimeoutError, aiohttp.ClientError) as exc:
                errors.append(type(exc).__name__)

        tasks = []
        total = int(RATE * SECONDS)
        began = time.perf_counter()
        for n in range(total):
            await asyncio.sleep(max(0.0, began + n / RATE - time.perf_counter()))
            code = codes[n % len(codes)]
            residents[code] += 1000
            tasks.append(asyncio.create_task(one(code, residents[code])))
        sent_seconds = time.perf_counter() - began
        await asyncio.gather(*tasks)
    follower.cancel()
    return {
        "commands": total, "sent_per_s": round(total / sent_seconds, 1),
        "command_ms": sorted(command_ms), "e2e_ms": sorted(e2e_ms), "errors": errors,
    }  # fmt: skip


def report(result: dict[str, object], memory: dict[str, float]) -> None:
    command: list[float] = result["command_ms"]  # type: ignore[assignment]
    e2e: list[float] = result["e2e_ms"]  # type: ignore[assignment]
    errors: list[str] = result["errors"]  # type: ignore[assignment]
    figures = {
        name: {"p50_ms": round(percentile(v, 0.5), 1), "p99_ms": round(percentile(v, 0.99), 1)}
        for name, v in (("command", command), ("quota_readable", e2e))
    }
    ratio = figures["quota_readable"]["p50_ms"] / figures["command"]["p50_ms"]
    print(f"machine: {machine()}; {result['commands']} commands at {RATE:.0f}/s"
          f" (sent at {result['sent_per_s']}/s), {COMMUNITIES} communities")  # fmt: skip
    print(f"{'':<34}{'p50 ms':>10}{'p99 ms':>10}")
    for name, label in (("command", "command answered (baseline)"),
                        ("quota_readable", "quota readable at the gateway")):  # fmt: skip
        print(f"{label:<34}{figures[name]['p50_ms']:>10.1f}{figures[name]['p99_ms']:>10.1f}")
    print(
        f"quota readable / command, p50: {ratio:.2f}; errors: {len(errors)};"
        f" p99 target < 50 ms: {figures['quota_readable']['p99_ms'] < 50}"
    )
    print(f"peak memory: {memory}")
    print(json.dumps({
        "machine": machine(), "rate": RATE, "seconds": SECONDS, "communities": COMMUNITIES,
        "sent_per_s": result["sent_per_s"], **figures, "readable_vs_command_p50": round(ratio, 2),
        "errors": len(errors), "error_kinds": sorted(set(errors)), "peak_rss_mb": memory,
        "targets_met": {"p99_under_50_ms": figures["quota_readable"]["p99_ms"] < 50},
    }))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
