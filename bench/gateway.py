"""Reads of one community through the gateway versus straight from the registry, in one run.

Registry and gateway run as their own processes (as `make run` starts them); the load comes
from a third process (bench/loadgen.py), 32 connections, closed loop. Prints a table, then a
last line of JSON. Asserts nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import Request, urlopen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_stack, machine, peak_rss_mb
from services.gateway.auth import hash_key, new_key
from services.launcher import spawn_service
from services.registry.community.schemas import EXAMPLE_REGISTRATION
from services.topology import prepare_databases
from shared.stack.embedded import free_port, wait_for_port

SECONDS, CONNECTIONS = float(os.environ.get("BENCH_SECONDS", "10")), 32
NICE = 15  # the load generator's lower priority in the second pair of runs
HERE = Path(__file__).resolve().parent


def _ms(text: str) -> float:
    """wrk's '1.23ms' / '850.00us' / '1.02s' in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def load_with_wrk(url: str, headers: dict[str, str], nice: int) -> dict[str, float]:
    args = [*_niced(nice), "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS:.0f}s", "--latency", url]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    fields = dict(re.findall(r"^\s*(50%|99%|Requests/sec:)\s+(\S+)", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(fields["Requests/sec:"]),
        "p50_ms": _ms(fields["50%"]),
        "p99_ms": _ms(fields["99%"]),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _niced(nice: int) -> list[str]:
    return ["nice", "-n", str(nice)] if nice else []


def load(
    url: str, headers: dict[str, str], nice: int = 0, body: str | None = None, expect: int = 200
) -> dict[str, float]:
    """wrk (Debian's package) when present: a C load generator steals less CPU from the servers.

    `nice`: run the load generator at a lower priority. Real clients are on other machines;
    here the generator shares the two cores with the gateway, the registry and PostgreSQL,
    and at equal priority it takes CPU from them at the moments that make the tail.
    """
    if shutil.which("wrk") and body is None:
        return load_with_wrk(url, headers, nice)
    env = os.environ | ({"LOADGEN_BODY": body, "LOADGEN_EXPECT": str(expect)} if body else {})
    args = [*_niced(nice), sys.executable, str(HERE / "loadgen.py"), url, str(SECONDS),
            str(CONNECTIONS)]  # fmt: skip
    out = subprocess.run(
        args + [f"{k}={v}" for k, v in headers.items()],
        capture_output=True, text=True, check=True, env=env,
    ).stdout  # fmt: skip
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    with bench_stack() as stack, tempfile.TemporaryDirectory() as tmp:
        urls = asyncio.run(prepare_databases(stack.admin_url, {}))  # roles' passwords: throwaway
        key = new_key()
        clients = Path(tmp) / "clients.json"
        clients.write_text(
            json.dumps(
                [
                    {
                        "client_id": "bench",
                        "kind": "district",
                        "division_prefix": "330211",
                        "key_sha256": hash_key(key),
                    }
                ]
            )
        )
        ports = {"registry": free_port(), "gateway": free_port()}
        procs = [
            spawn_service(name, urls[name].service, stack.bootstrap_servers, ports, clients,
                          WUDING_LOG_LEVEL="WARNING")
            for name in ("registry", "gateway")
        ]  # fmt: skip
        try:
            for port in ports.values():
                wait_for_port(port, 60)
            gateway = f"http://127.0.0.1:{ports['gateway']}"
            body = json.dumps(EXAMPLE_REGISTRATION).encode()
            request = Request(
                f"{gateway}/v1/communities",
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            code = json.loads(urlopen(request).read())["code"]
            time.sleep(1)
            direct_url = f"http://127.0.0.1:{ports['registry']}/communities/{code}"
            gateway_url = f"{gateway}/v1/communities/{code}"
            auth = {"Authorization": f"Bearer {key}"}
            direct, through = load(direct_url, {}), load(gateway_url, auth)
            direct_niced = load(direct_url, {}, nice=NICE)
            through_niced = load(gateway_url, auth, nice=NICE)
            memory = {name: peak_rss_mb(proc.pid) for name, proc in zip(ports, procs, strict=True)}
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(15)
    ratio = through["rps"] / direct["rps"]
    ratio_niced = through_niced["rps"] / direct_niced["rps"]
    tool = "wrk" if shutil.which("wrk") else "bench/loadgen.py"
    print(f"machine: {machine()}; {tool}, {CONNECTIONS} connections, {SECONDS:.0f}s each")
    print(f"{'path':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    rows = (
        ("direct", direct), ("gateway", through),
        (f"direct, generator nice {NICE}", direct_niced),
        (f"gateway, generator nice {NICE}", through_niced),
    )  # fmt: skip
    for name, r in rows:
        print(
            f"{name:<26}{r['rps']:>10,.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}{r['errors']:>8.0f}"
        )
    print(f"peak memory after the load: registry {memory['registry']} MiB,"
          f" gateway {memory['gateway']} MiB")  # fmt: skip
    print(
        f"gateway/direct = {ratio:.2f} (target >= 0.4); gateway p99 {through['p99_ms']:.1f} ms"
        f" (target < 25); with the generator niced: {ratio_niced:.2f},"
        f" p99 {through_niced['p99_ms']:.1f} ms"
    )
    print(
        json.dumps(
            {
                "direct": direct,
                "gateway": through,
                "ratio": round(ratio, 3),
                "targets_met": {"ratio": ratio >= 0.4, "p99": through["p99_ms"] < 25},
                "generator_niced": {
                    "nice": NICE,
                    "direct": direct_niced,
                    "gateway": through_niced,
                    "ratio": round(ratio_niced, 3),
                    "targets_met": {
                        "ratio": ratio_niced >= 0.4,
                        "p99": through_niced["p99_ms"] < 25,
                    },
                },
                "peak_rss_mb": memory,
                "load_generator": tool,
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
