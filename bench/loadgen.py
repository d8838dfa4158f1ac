"""A small closed-loop HTTP load generator, run in its own process by bench/gateway.py.

usage: loadgen.py URL SECONDS CONNECTIONS [HEADER=VALUE ...]; prints one JSON line.
Environment: LOADGEN_BODY (a JSON body: each request is a POST of it, as a new command) and
LOADGEN_EXPECT (the status that is not an error; 200 by default).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import aiohttp
import uvloop


async def main(url: str, seconds: float, connections: int, headers: dict[str, str]) -> None:
    latencies: list[float] = []
    errors = 0
    body = os.environ.get("LOADGEN_BODY")
    expect = int(os.environ.get("LOADGEN_EXPECT", "200"))
    method = "POST" if body else "GET"
    if body:
        headers = headers | {"Content-Type": "application/json"}
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.request(method, url, data=body) as response:
                    await response.read()
                    if response.status != expect:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": errors,
                "rps": len(latencies) / elapsed,
                "p50_ms": pct(0.50),
                "p99_ms": pct(0.99),
            }
        )
    )


if __name__ == "__main__":
    extra = dict(arg.split("=", 1) for arg in sys.argv[4:])
    uvloop.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), extra))
