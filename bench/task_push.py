"""Tasks pushed to one community through the gateway (清单之外无事项 checked on each), accepted and
refused, against a read of the same community through the gateway, in one run.

Registry, matters and gateway run as their own processes (as `make run` starts them); the load
comes from bench/loadgen.py in a fourth process, 32 connections, closed loop. Every push is a
new command: its check runs under the list's shared lock and its task is appended, relayed to
the `matters` topic and projected. Prints a table, then a last line of JSON. Asserts nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_stack, machine, peak_rss_mb
from bench.gateway import CONNECTIONS, SECONDS, load
from services.gateway.auth import hash_key, new_key
from services.launcher import spawn_service
from services.registry.community.schemas import EXAMPLE_REGISTRATION
from services.topology import prepare_databases
from shared.stack.embedded import free_port, wait_for_port

SERVICES = ("registry", "matters", "gateway")
TARGET_RATIO, TARGET_P99_MS = 0.5, 25.0


def call(url: str, key: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with urlopen(Request(url, data=data, headers=headers)) as response:
        return json.loads(response.read())


def listed(gateway: str, key: str, code: str) -> dict[str, Any]:
    """The community's list, once matters has opened it from the registry's event."""
    deadline = time.monotonic() + 60
    while True:
        try:
            found: dict[str, Any] = call(f"{gateway}/v1/communities/{code}/matters", key)
            return found
        except HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    with bench_stack() as stack, tempfile.TemporaryDirectory() as tmp:
        urls = asyncio.run(prepare_databases(stack.admin_url, {}))  # roles' passwords: throwaway
        key = new_key()
        clients = Path(tmp) / "clients.json"
        clients.write_text(json.dumps([{"client_id": "bench", "kind": "district",
                                        "division_prefix": "330211",
                                        "key_sha256": hash_key(key)}]))  # fmt: skip
        ports = {name: free_port() for name in SERVICES}
        procs = [
            spawn_service(name, urls[name].service, stack.bootstrap_servers, ports, clients,
                          WUDING_LOG_LEVEL="WARNING")
            for name in SERVICES
        ]  # fmt: skip
        try:
            for port in ports.values():
                wait_for_port(port, 60)
            gateway = f"http://127.0.0.1:{ports['gateway']}"
            code = call(f"{gateway}/v1/communities", key, EXAMPLE_REGISTRATION)["code"]
            matter = listed(gateway, key, code)["items"][0]["matter_id"]
            auth = {"Authorization": f"Bearer {key}"}
            tasks = f"{gateway}/v1/communities/{code}/tasks"
            accepted_body = {"matter_id": matter, "department": "区民政局", "title": "走访"}
            refused_body = accepted_body | {"matter_id": "X99.01", "department": "区住建局"}
            read = load(f"{gateway}/v1/communities/{code}", auth)
            accepted = load(tasks, auth, body=json.dumps(accepted_body), expect=201)
            refused = load(tasks, auth, body=json.dumps(refused_body), expect=422)
            memory = {name: peak_rss_mb(p.pid) for name, p in zip(SERVICES, procs, strict=True)}
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(15)
    rows = (("read (GET community)", read), ("push accepted", accepted), ("push refused", refused))
    print(f"machine: {machine()}; bench/loadgen.py, {CONNECTIONS} connections, {SECONDS:.0f}s each")
    print(f"{'through the gateway':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, r in rows:
        print(f"{name:<24}{r['rps']:>10,.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}"
              f"{r['errors']:>8.0f}")  # fmt: skip
    print("peak memory: " + ", ".join(f"{n} {m} MiB" for n, m in memory.items()))
    ratios = {k: round(r["rps"] / read["rps"], 3) for k, r in (("accepted", accepted),
                                                                ("refused", refused))}  # fmt: skip
    print(f"push/read: accepted {ratios['accepted']:.2f}, refused {ratios['refused']:.2f}"
          f" (target >= {TARGET_RATIO}); p99 target < {TARGET_P99_MS:.0f} ms")  # fmt: skip
    targets = {
        k: {"ratio": ratios[k] >= TARGET_RATIO, "p99": r["p99_ms"] < TARGET_P99_MS}
        for k, r in (("accepted", accepted), ("refused", refused))
    }
    print(json.dumps({"read": read, "accepted": accepted, "refused": refused, "ratios": ratios,
                      "targets_met": targets, "peak_rss_mb": memory,
                      "load_generator": "bench/loadgen.py", "machine": machine()}))  # fmt: skip


if __name__ == "__main__":
    main()
