"""Benchmark set-up: the embedded stack in a temporary directory (or the servers in the env)."""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.settings import StackSettings
from shared.stack.embedded import temporary_stack


@dataclass
class BenchStack:
    admin_url: str
    bootstrap_servers: str


@contextlib.contextmanager
def bench_stack() -> Iterator[BenchStack]:
    given = StackSettings()  # as `wuding run` and the tests read them
    admin, kafka = given.postgres_admin_url, given.kafka_bootstrap_servers
    if admin and kafka:
        yield BenchStack(admin, kafka)
        return
    with temporary_stack("wuding-bench-") as (postgres, broker):
        yield BenchStack(postgres.admin_url, broker.bootstrap_servers)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(q * len(sorted_values)))
    return sorted_values[index]


def peak_rss_mb(pid: int | None = None) -> float:
    """A process's peak resident memory (VmHWM) in MiB; this process's without a pid."""
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return round(kib / 1024, 1)
